//go:build js && wasm

package main

// settings.html: auto-lock, per-site rules, the recovery phrase again, change passphrase, erase, native host.
//
// Element IDs (stable, for tests):
//   Vault:     #vault-state, #vault-role, #settings-unlock-link (when locked), #settings-lock (when unlocked)
//   Auto-lock: #autolock-form, #autolock-minutes, #autolock-save, #autolock-status, #autolock-error;
//              user-verification window: #uv-window-form, #uv-window-minutes, #uv-window-save, #uv-window-status,
//              #uv-window-error
//   Sites:     #sites (table; each row tr[data-site=HOST]) with per-row controls #site-answer-HOST (select:
//              twinkey | hardware | off), #site-policy-HOST (select: twin | zero), #site-remove-HOST;
//              #sites-empty; add form #site-add-form, #site-new, #site-new-answer, #site-new-policy, #site-add;
//              #sites-status, #sites-error
//   Phrase:    #phrase-form, #phrase-passphrase, #phrase-show, #phrase-error, then #phrase-words (ol) with
//              #shown-word-1 … #shown-word-24 and #phrase-hide
//   Passphrase:#pass-form, #pass-old, #pass-new, #pass-new2, #pass-strength, #pass-change, #pass-status,
//              #pass-error
//   Erase:     #erase-form, #erase-confirm (type "erase"), #erase, #erase-error; after: #erased, #setup-link
//   Native:    #native-host-status (host.status: installed or not, version, simulated), #native-host-keys (li per key)
//   Sections:  #vault-section, #autolock-section, #sites-section, #phrase-section, #passphrase-section,
//              #native-section, #erase-section (each a card with an h2 #<name>-heading)
//   #fatal

import (
	"errors"
	"strings"
	"sync"

	"github.com/twinkey/twinkey/wasm/ui/internal/backend"
	"github.com/twinkey/twinkey/wasm/ui/internal/prefs"
	"github.com/twinkey/twinkey/wasm/ui/internal/view"
	"honnef.co/go/js/dom/v2"
)

// eraseWord is what the person types to confirm erasing (bridge/PROTOCOL.md /v1/vault/erase {"confirm": "erase"}).
const eraseWord = "erase"

// settingsPage holds one run of the page. mu serialises settings edits: each saves the whole object.
type settingsPage struct {
	page
	mu       sync.Mutex
	settings backend.Settings
}

func runSettings(p page) {
	s := &settingsPage{page: p}
	d := p.doc
	st, err := p.client.Status()
	if err != nil {
		showFatal(d, describe(err))
		return
	}
	cfg, err := p.client.Settings()
	if err != nil {
		showFatal(d, describe(err))
		return
	}
	s.settings = cfg
	d.Show("Settings", "",
		d.E("h1", "Settings"),
		s.vaultSection(st),
		s.autoLockSection(),
		s.sitesSection(),
		s.phraseSection(st),
		s.passphraseSection(st),
		s.nativeSection(),
		s.eraseSection(st))
	go s.showHostStatus() // the helper may take a moment to start: the page does not wait for it
}

// section makes a card <section id=name-section> labelled by its h2.
func section(d view.Doc, id, title string, children ...any) view.El {
	parts := append([]any{view.ID(id + "-section"), view.Class("card"), view.A("aria-labelledby", id+"-heading"),
		d.E("h2", view.ID(id+"-heading"), title)}, children...)
	return d.E("section", parts...)
}

// --- Vault state ----------------------------------------------------------------------------------------

func (s *settingsPage) vaultSection(st backend.Status) view.El {
	d := s.doc
	if !st.Exists {
		return section(d, "vault", "This browser",
			d.E("p", d.E("span", view.ID("vault-state"), view.Class("badge locked"), "Not set up")),
			d.E("p", d.E("a", view.ID("setup-link"), view.A("href", "onboarding.html"), view.Class("button primary"), "Set up Twinkey")))
	}
	state, badge := "Locked", "badge locked"
	var action view.El = d.E("a", view.ID("settings-unlock-link"), view.A("href", "unlock.html?return=settings"), view.Class("button"), "Unlock")
	if st.Unlocked {
		state, badge = "Unlocked", "badge unlocked"
		lock := d.Button("settings-lock", "button", "Lock now")
		view.OnClick(lock, func() {
			if err := s.client.Lock(); err != nil {
				d.Say("vault-error", describe(err))
				return
			}
			runSettings(s.page)
		})
		action = lock
	}
	return section(d, "vault", "This browser",
		d.E("p", view.Class("state-line"),
			d.E("span", view.ID("vault-state"), view.Class(badge), state),
			d.E("span", view.Class("sep"), view.A("aria-hidden", "true"), " · "),
			d.E("span", view.Class("visually-hidden"), "Role: "),
			d.E("span", view.ID("vault-role"), st.Role.Label())),
		d.E("div", view.Class("actions"), action),
		d.Message("vault-error", true))
}

// --- Auto-lock ------------------------------------------------------------------------------------------

func (s *settingsPage) autoLockSection() view.El {
	d := s.doc
	form := d.E("form", view.ID("autolock-form"), view.A("novalidate", ""),
		d.Field("autolock-minutes", "Lock after this many minutes without use", "number",
			"From 1 to 1440 minutes. Twinkey also locks when the browser closes.",
			view.A("min", view.Itoa(prefs.MinAutoLockMinutes)), view.A("max", view.Itoa(prefs.MaxAutoLockMinutes)),
			view.A("step", "1"), view.A("inputmode", "numeric"), view.A("value", view.Itoa(s.settings.AutoLockMinutes))),
		d.Message("autolock-error", true),
		d.E("div", view.Class("actions"), d.Button("autolock-save", "submit", "Save")),
		d.Message("autolock-status", false))
	view.OnSubmit(form, func() {
		n, err := prefs.ParseAutoLock(d.Value("autolock-minutes"))
		if err != nil {
			d.Say("autolock-status", "")
			d.Say("autolock-error", "Type a whole number of minutes from 1 to 1440.")
			d.Invalid("autolock-minutes", true)
			d.Focus("autolock-minutes")
			return
		}
		d.Invalid("autolock-minutes", false)
		err = s.edit(func(c *prefs.Settings) { c.AutoLockMinutes = n })
		if err != nil {
			d.Say("autolock-error", describe(err))
			return
		}
		d.Say("autolock-error", "")
		d.Say("autolock-status", "Saved: Twinkey locks after "+view.Itoa(n)+" minutes without use.")
	})
	return section(d, "autolock", "Auto-lock", form, s.uvWindowForm())
}

// uvWindowForm edits how long an entered passphrase counts as user verification for sites that prefer it.
func (s *settingsPage) uvWindowForm() view.El {
	d := s.doc
	form := d.E("form", view.ID("uv-window-form"), view.A("novalidate", ""),
		d.Field("uv-window-minutes", "Sites that prefer your passphrase: count it as entered for this many minutes", "number",
			"From 0 to 60. With 0, only a passphrase typed for the request itself counts; sites that require it always ask.",
			view.A("min", "0"), view.A("max", view.Itoa(prefs.MaxUVWindowMinutes)),
			view.A("step", "1"), view.A("inputmode", "numeric"), view.A("value", view.Itoa(s.settings.UVWindowMinutes))),
		d.Message("uv-window-error", true),
		d.E("div", view.Class("actions"), d.Button("uv-window-save", "submit", "Save")),
		d.Message("uv-window-status", false))
	view.OnSubmit(form, func() {
		n, err := prefs.ParseUVWindow(d.Value("uv-window-minutes"))
		if err != nil {
			d.Say("uv-window-status", "")
			d.Say("uv-window-error", "Type a whole number of minutes from 0 to 60.")
			d.Invalid("uv-window-minutes", true)
			d.Focus("uv-window-minutes")
			return
		}
		d.Invalid("uv-window-minutes", false)
		if err := s.edit(func(c *prefs.Settings) { c.UVWindowMinutes = n }); err != nil {
			d.Say("uv-window-error", describe(err))
			return
		}
		d.Say("uv-window-error", "")
		d.Say("uv-window-status", "Saved: an entered passphrase counts for "+view.Itoa(n)+" minutes.")
	})
	return form
}

// edit applies change to a copy of the settings, saves it, and keeps what the service worker answered.
func (s *settingsPage) edit(change func(*prefs.Settings)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.settings
	next.Sites = make(map[string]prefs.Site, len(s.settings.Sites))
	for k, v := range s.settings.Sites {
		next.Sites[k] = v
	}
	change(&next.Settings)
	saved, err := s.client.SaveSettings(next)
	if err != nil {
		return err
	}
	s.settings = saved
	return nil
}

// --- Sites ----------------------------------------------------------------------------------------------

func answerOptions(d view.Doc, selected prefs.Answerer) []view.El {
	return options(d, string(selected),
		string(prefs.AnswerTwinkey), "Twinkey (default)",
		string(prefs.AnswerHardware), "USB key only",
		string(prefs.AnswerOff), "Not Twinkey")
}

func policyOptions(d view.Doc, selected prefs.CounterPolicy) []view.El {
	return options(d, string(selected),
		string(prefs.CounterTwin), "Twin (default)",
		string(prefs.CounterZero), "Always 0")
}

// options builds <option>s from value, label pairs.
func options(d view.Doc, selected string, pairs ...string) []view.El {
	out := make([]view.El, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		o := d.E("option", view.A("value", pairs[i]), pairs[i+1])
		if pairs[i] == selected {
			o.SetAttribute("selected", "")
		}
		out = append(out, o)
	}
	return out
}

func (s *settingsPage) sitesSection() view.El {
	d := s.doc
	add := d.E("form", view.ID("site-add-form"), view.Class("site-add"), view.A("novalidate", ""),
		d.E("h3", "Add a site"),
		d.E("div", view.Class("row"),
			d.Field("site-new", "Site", "text", "", view.A("placeholder", "example.com"), view.A("autocomplete", "off"),
				view.A("autocapitalize", "none"), view.A("spellcheck", "false")),
			d.E("div", view.Class("field"), d.E("label", view.A("for", "site-new-answer"), "Answered by"),
				d.E("select", view.ID("site-new-answer"), answerOptions(d, prefs.AnswerHardware))),
			d.E("div", view.Class("field"), d.E("label", view.A("for", "site-new-policy"), "Counter"),
				d.E("select", view.ID("site-new-policy"), policyOptions(d, prefs.CounterTwin)))),
		d.E("div", view.Class("actions"), d.Button("site-add", "submit", "Add site")))
	view.OnSubmit(add, s.addSite)
	return section(d, "sites", "Sites",
		d.E("p", "Rules for particular sites. Sites not listed are answered by Twinkey with twin counters."),
		d.E("dl", view.Class("explain"),
			d.E("dt", "USB key only"), d.E("dd", "Twinkey never answers this site itself; requests go to your USB security key. Use it for accounts that must stay on hardware."),
			d.E("dt", "Not Twinkey"), d.E("dd", "Twinkey stays out of this site; the browser handles security keys as if Twinkey were not installed."),
			d.E("dt", "Always 0"), d.E("dd", "Reports signature counter 0. For sites that reject large counter jumps. Such sites cannot tell your backup twin from the primary, so using the backup there does not revoke the primary.")),
		s.sitesTable(),
		d.Message("sites-error", true),
		d.Message("sites-status", false),
		add)
}

// sitesTable renders the configured sites as #sites.
func (s *settingsPage) sitesTable() view.El {
	d := s.doc
	names := s.settings.SiteNames()
	if len(names) == 0 {
		return d.E("p", view.ID("sites"), view.Class("empty"), d.E("span", view.ID("sites-empty"), "No site rules yet."))
	}
	body := d.E("tbody")
	for _, name := range names {
		site := s.settings.Sites[name]
		answer := d.E("select", view.ID("site-answer-"+name), view.A("aria-label", "Answered by, for "+name),
			answerOptions(d, site.Answerer()))
		policy := d.E("select", view.ID("site-policy-"+name), view.A("aria-label", "Counter, for "+name),
			policyOptions(d, site.CounterPolicy))
		remove := d.Button("site-remove-"+name, "button", "Remove", view.A("aria-label", "Remove "+name), view.Class("danger-quiet"))
		host := name
		view.On(answer, "change", func(dom.Event) {
			a := prefs.Answerer(d.Value("site-answer-" + host))
			go s.saveSite(host, func(c *prefs.Settings) { c.Sites[host] = c.Sites[host].WithAnswerer(a) })
		})
		view.On(policy, "change", func(dom.Event) {
			v := prefs.ParseCounterPolicy(d.Value("site-policy-" + host))
			go s.saveSite(host, func(c *prefs.Settings) {
				site := c.Sites[host]
				site.CounterPolicy = v
				c.Sites[host] = site
			})
		})
		view.OnClick(remove, func() {
			err := s.edit(func(c *prefs.Settings) { delete(c.Sites, host) })
			if err != nil {
				d.Say("sites-error", describe(err))
				return
			}
			s.redrawSites()
			d.Say("sites-status", "Removed "+host+".")
			d.Focus("site-new")
		})
		row := d.E("tr", view.A("data-site", name),
			d.E("th", view.A("scope", "row"), name),
			d.E("td", answer), d.E("td", policy), d.E("td", remove))
		body.AppendChild(row)
	}
	return d.E("table", view.ID("sites"),
		d.E("caption", view.Class("visually-hidden"), "Site rules"),
		d.E("thead", d.E("tr", d.E("th", view.A("scope", "col"), "Site"), d.E("th", view.A("scope", "col"), "Answered by"),
			d.E("th", view.A("scope", "col"), "Counter"), d.E("th", view.A("scope", "col"), d.E("span", view.Class("visually-hidden"), "Actions")))),
		body)
}

func (s *settingsPage) redrawSites() {
	if old := s.doc.ByID("sites"); old != nil {
		view.Swap(old, s.sitesTable())
	}
}

// saveSite saves a row edit. Focus stays on the control that changed (the row is not redrawn on success).
func (s *settingsPage) saveSite(host string, change func(*prefs.Settings)) {
	d := s.doc
	if err := s.edit(change); err != nil {
		d.Say("sites-error", describe(err))
		s.redrawSites() // show what is really stored
		return
	}
	d.Say("sites-error", "")
	d.Say("sites-status", "Saved "+host+".")
}

func (s *settingsPage) addSite() {
	d := s.doc
	host, err := prefs.NormalizeSite(d.Value("site-new"))
	if err != nil {
		d.Say("sites-error", "Type a site's address, such as example.com.")
		d.Invalid("site-new", true)
		d.Focus("site-new")
		return
	}
	d.Invalid("site-new", false)
	answer := prefs.Answerer(d.Value("site-new-answer"))
	policy := prefs.ParseCounterPolicy(d.Value("site-new-policy"))
	_, existed := s.settings.Sites[host]
	err = s.edit(func(c *prefs.Settings) {
		c.Sites[host] = prefs.Site{CounterPolicy: policy}.WithAnswerer(answer)
	})
	if err != nil {
		d.Say("sites-error", describe(err))
		return
	}
	d.Say("sites-error", "")
	s.redrawSites()
	d.SetValue("site-new", "")
	if existed {
		d.Say("sites-status", "Updated "+host+".")
	} else {
		d.Say("sites-status", "Added "+host+".")
	}
	d.Focus("site-new")
}

// --- Recovery phrase ------------------------------------------------------------------------------------

func (s *settingsPage) phraseSection(st backend.Status) view.El {
	d := s.doc
	if !st.Exists {
		return nil
	}
	out := d.E("div", view.ID("phrase-out"))
	form := d.E("form", view.ID("phrase-form"), view.A("novalidate", ""),
		d.E("p", "Show your 24 words again, for example to make a new paper copy. Make sure nobody can see your screen."),
		d.Field("phrase-passphrase", "Passphrase", "password", "", view.A("autocomplete", "current-password")),
		d.Message("phrase-error", true),
		d.E("div", view.Class("actions"), d.Button("phrase-show", "submit", "Show recovery phrase")))
	view.OnSubmit(form, func() {
		pass := d.Value("phrase-passphrase")
		if pass == "" {
			d.Say("phrase-error", "Type your passphrase.")
			d.Focus("phrase-passphrase")
			return
		}
		d.Busy("phrase-show", true)
		words, err := s.client.Phrase(pass)
		d.Busy("phrase-show", false)
		d.SetValue("phrase-passphrase", "")
		if err != nil {
			d.Say("phrase-error", describe(err))
			d.Invalid("phrase-passphrase", true)
			d.Focus("phrase-passphrase")
			return
		}
		d.Say("phrase-error", "")
		d.Invalid("phrase-passphrase", false)
		list := d.E("ol", view.ID("phrase-words"), view.Class("words"), view.A("aria-label", "Recovery phrase, 24 words"))
		for i, w := range strings.Fields(words) {
			n := view.Itoa(i + 1)
			list.AppendChild(d.E("li", d.E("span", view.Class("n"), view.A("aria-hidden", "true"), n),
				d.E("span", view.ID("shown-word-"+n), view.Class("w"), w)))
		}
		hide := d.Button("phrase-hide", "button", "Hide the words")
		print := d.Button("phrase-print", "button", "Print")
		view.OnClick(hide, func() {
			view.Replace(out)
			form.RemoveAttribute("hidden")
			d.Focus("phrase-passphrase")
		})
		view.OnClick(print, func() { d.Window().Print() })
		form.SetAttribute("hidden", "")
		view.Replace(out, list, d.E("div", view.Class("actions screen-only"), hide, print))
		hide.Focus()
	})
	return section(d, "phrase", "Recovery phrase", form, out)
}

// --- Change passphrase ----------------------------------------------------------------------------------

func (s *settingsPage) passphraseSection(st backend.Status) view.El {
	d := s.doc
	if !st.Exists {
		return nil
	}
	form := d.E("form", view.ID("pass-form"), view.A("novalidate", ""),
		d.Field("pass-old", "Current passphrase", "password", "", view.A("autocomplete", "current-password")),
		passphrasePair(d, "pass-new", "pass-new2", "pass-strength", "New passphrase"),
		d.Message("pass-error", true),
		d.E("div", view.Class("actions"), d.Button("pass-change", "submit", "Change passphrase")),
		d.Message("pass-status", false))
	view.OnSubmit(form, func() {
		old, next := d.Value("pass-old"), d.Value("pass-new")
		d.Say("pass-status", "")
		if old == "" {
			d.Say("pass-error", "Type your current passphrase.")
			d.Focus("pass-old")
			return
		}
		if msg := checkNewPassphrase(next, d.Value("pass-new2")); msg != "" {
			d.Say("pass-error", msg)
			d.Focus("pass-new")
			return
		}
		d.Busy("pass-change", true)
		err := s.client.ChangePassphrase(old, next)
		d.Busy("pass-change", false)
		if err != nil {
			d.Say("pass-error", describe(err))
			if errors.Is(err, backend.ErrWrongPassphrase) {
				d.Invalid("pass-old", true)
				d.Focus("pass-old")
			}
			return
		}
		for _, id := range []string{"pass-old", "pass-new", "pass-new2"} {
			d.SetValue(id, "")
			d.Invalid(id, false)
		}
		d.Say("pass-error", "")
		d.Say("pass-status", "Passphrase changed. Use the new one from now on.")
	})
	return section(d, "passphrase", "Change passphrase", form)
}

// --- Native host ----------------------------------------------------------------------------------------

func (s *settingsPage) nativeSection() view.El {
	d := s.doc
	return section(d, "native", "USB security keys",
		d.E("p", "Sites marked \u201cUSB key only\u201d are answered by your USB security key through Twinkey's native helper."),
		d.E("p", view.ID("native-host-status"), view.A("role", "status"), view.Class("hint"),
			"Native helper status: checking\u2026"),
		d.E("ul", view.ID("native-host-keys")))
}

// showHostStatus asks the service worker for host.status and fills #native-host-status and #native-host-keys.
func (s *settingsPage) showHostStatus() {
	d := s.doc
	st, err := s.client.HostStatus()
	switch {
	case err != nil:
		d.Say("native-host-status", "Native helper status: "+describe(err))
		return
	case !st.Installed:
		d.Say("native-host-status", "Native helper: not installed. Run \u201ctwinkey-host install\u201d to use USB security keys.")
		return
	case st.Message != "":
		d.Say("native-host-status", "Native helper: installed, but it failed: "+st.Message)
		return
	}
	text := "Native helper: installed (version " + st.Version + ")"
	if st.Simulated {
		text += ", running a SIMULATED key for tests"
	}
	if len(st.Keys) == 0 {
		text += ". No security key is plugged in."
	} else {
		text += "."
	}
	d.Say("native-host-status", text)
	list := d.ByID("native-host-keys")
	if list == nil {
		return
	}
	for _, k := range st.Keys {
		name := strings.TrimSpace(k.Manufacturer + " " + k.Product)
		if name == "" {
			name = k.Path
		}
		line := name
		switch {
		case k.Error != "":
			line += ": " + k.Error
		case k.PIN == "set":
			line += " (PIN set)"
		case k.PIN == "unset":
			line += " (no PIN)"
		}
		list.AppendChild(d.E("li", view.Class("native-host-key"), line))
	}
}

// --- Erase ----------------------------------------------------------------------------------------------

func (s *settingsPage) eraseSection(st backend.Status) view.El {
	d := s.doc
	if !st.Exists {
		return nil
	}
	form := d.E("form", view.ID("erase-form"), view.A("novalidate", ""),
		d.E("p", "Erasing removes Twinkey's secret from this browser. Sites registered with it can then be answered only by restoring your 24 words here or in another browser. Without the words, those registrations are lost."),
		d.Field("erase-confirm", "To confirm, type \u201cerase\u201d", "text", "", view.A("autocomplete", "off"),
			view.A("autocapitalize", "none"), view.A("spellcheck", "false")),
		d.Message("erase-error", true),
		d.E("div", view.Class("actions"), d.Button("erase", "submit", "Erase Twinkey from this browser", view.Class("danger"))))
	view.OnSubmit(form, func() {
		typed := strings.TrimSpace(strings.ToLower(d.Value("erase-confirm")))
		if typed != eraseWord {
			d.Say("erase-error", "Type the word \u201cerase\u201d to confirm.")
			d.Invalid("erase-confirm", true)
			d.Focus("erase-confirm")
			return
		}
		d.Busy("erase", true)
		err := s.client.Erase(typed)
		d.Busy("erase", false)
		if err != nil {
			d.Say("erase-error", describe(err))
			return
		}
		d.Show("Erased", "",
			d.E("h1", view.ID("erased"), "Twinkey was erased from this browser"),
			d.E("p", "You can set it up again with a new key or from your recovery phrase."),
			d.E("p", d.E("a", view.ID("setup-link"), view.A("href", "onboarding.html"), view.Class("button primary"), "Set up Twinkey")))
	})
	return section(d, "erase", "Erase", form)
}
