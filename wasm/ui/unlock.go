//go:build js && wasm

package main

// unlock.html: the passphrase opens the vault. unlock.html?return=popup (or settings) goes back there afterwards.
//
// Element IDs (stable, for tests):
//   #unlock-form, #passphrase, #unlock, #unlock-error (role=alert: "Wrong passphrase…" for WrongPassphrase)
//   #unlocked (heading after success), #unlocked-role, #open-settings
//   #setup-link (no vault yet: link to onboarding.html); #fatal

import (
	"github.com/twinkey/twinkey/wasm/ui/internal/backend"
	"github.com/twinkey/twinkey/wasm/ui/internal/view"
)

// returnPage maps unlock.html?return= to the only pages it may go back to.
func returnPage(name string) (string, bool) {
	switch name {
	case "popup":
		return "popup.html", true
	case "settings":
		return "settings.html", true
	}
	return "", false
}

func runUnlock(p page) {
	d := p.doc
	st, err := p.client.Status()
	if err != nil {
		showFatal(d, describe(err))
		return
	}
	if !st.Exists {
		showNoVault(d)
		return
	}
	if st.Unlocked {
		showUnlocked(p, st.Role)
		return
	}
	form := d.E("form", view.ID("unlock-form"), view.A("novalidate", ""),
		d.Field("passphrase", "Passphrase", "password", "", view.A("autocomplete", "current-password"),
			view.A("required", "")),
		d.Message("unlock-error", true),
		d.E("div", view.Class("actions"), d.Button("unlock", "submit", "Unlock", view.Class("primary"))))
	view.OnSubmit(form, func() {
		pass := d.Value("passphrase")
		if pass == "" {
			d.Say("unlock-error", "Type your passphrase.")
			d.Focus("passphrase")
			return
		}
		d.Busy("unlock", true)
		role, err := p.client.Unlock(pass)
		d.Busy("unlock", false)
		if err != nil {
			d.Say("unlock-error", describe(err))
			d.Invalid("passphrase", true)
			d.Focus("passphrase")
			return
		}
		if target, ok := returnPage(d.Query("return")); ok {
			d.Navigate(target)
			return
		}
		showUnlocked(p, role)
	})
	d.Show("Unlock", "passphrase", d.E("h1", "Unlock Twinkey"),
		d.E("p", "Type the passphrase you chose for Twinkey in this browser."), form)
}

func showUnlocked(p page, role backend.Role) {
	d := p.doc
	d.Show("Unlocked", "",
		d.E("h1", view.ID("unlocked"), "Twinkey is unlocked"),
		d.E("p", view.ID("unlocked-role"), "Role: "+role.Label()+". You can close this tab."),
		d.E("p", d.E("a", view.ID("open-settings"), view.A("href", "settings.html"), "Settings")))
}

// showNoVault tells the person to set Twinkey up first (#setup-link).
func showNoVault(d view.Doc) {
	d.Show("Not set up", "",
		d.E("h1", "Twinkey is not set up yet"),
		d.E("p", "Create a new key or restore one from its recovery phrase."),
		d.E("p", d.E("a", view.ID("setup-link"), view.A("href", "onboarding.html"), view.A("target", "_blank"),
			view.Class("button primary"), "Set up Twinkey")))
}
