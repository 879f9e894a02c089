//go:build js && wasm

package main

// popup.html: the toolbar popup. Lock state, role, lock now, recent activity, links to the other pages.
//
// Element IDs (stable, for tests):
//   #state ("Locked" / "Unlocked"), #role ("Primary" / "Backup twin")
//   #lock (when unlocked), #unlock-link (when locked: unlock.html?return=popup), #setup-link (no vault)
//   #activity (ol; one li per event with .site, .result, .op and time.time), #activity-empty,
//   #clear-activity, #activity-status
//   #settings-link, #popup-error; #fatal

import (
	"github.com/twinkey/twinkey/wasm/ui/internal/activity"
	"github.com/twinkey/twinkey/wasm/ui/internal/view"
)

func runPopup(p page) {
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
	state, badge := "Locked", "badge locked"
	var action view.El
	if st.Unlocked {
		state, badge = "Unlocked", "badge unlocked"
		lock := d.Button("lock", "button", "Lock now", view.Class("primary"))
		view.OnClick(lock, func() {
			d.Busy("lock", true)
			err := p.client.Lock()
			d.Busy("lock", false)
			if err != nil {
				d.Say("popup-error", describe(err))
				return
			}
			runPopup(p)
			d.Focus("unlock-link")
		})
		action = lock
	} else {
		action = d.E("a", view.ID("unlock-link"), view.A("href", "unlock.html?return=popup"), view.Class("button primary"), "Unlock")
	}
	header := d.E("header", view.Class("popup-head"),
		d.E("h1", "Twinkey"),
		d.E("p", view.Class("state-line"),
			d.E("span", view.ID("state"), view.Class(badge), state),
			d.E("span", view.Class("sep"), view.A("aria-hidden", "true"), " · "),
			d.E("span", view.Class("visually-hidden"), "Role: "),
			d.E("span", view.ID("role"), st.Role.Label())),
		action)

	section := d.E("section", view.A("aria-labelledby", "activity-heading"),
		d.E("h2", view.ID("activity-heading"), "Recent activity"))
	events, err := p.client.Activity()
	if err != nil {
		section.AppendChild(d.E("p", view.Class("message error"), describe(err)))
	} else {
		section.AppendChild(activityTable(d, events))
	}
	clear := d.Button("clear-activity", "button", "Clear activity")
	view.OnClick(clear, func() {
		if err := p.client.ClearActivity(); err != nil {
			d.Say("popup-error", describe(err))
			return
		}
		if t := d.ByID("activity"); t != nil {
			view.Swap(t, activityTable(d, nil))
		}
		d.Say("activity-status", "Activity cleared.")
		d.Focus("clear-activity")
	})
	if len(events) == 0 {
		clear.SetAttribute("hidden", "")
	}
	section.AppendChild(d.E("div", view.Class("actions"), clear))
	section.AppendChild(d.Message("activity-status", false))

	d.Show("Twinkey", "", header, d.Message("popup-error", true), section,
		d.E("footer", d.E("a", view.ID("settings-link"), view.A("href", "settings.html"), view.A("target", "_blank"), "Settings")))
}

// activityTable renders events as a list (#activity), newest first, or #activity-empty when there are none.
// Each item reads, in order: site, operation, time, result; the popup is too narrow for a four-column table.
func activityTable(d view.Doc, events []activity.Event) view.El {
	if len(events) == 0 {
		return d.E("p", view.ID("activity"), view.Class("empty"), d.E("span", view.ID("activity-empty"), "No activity yet."))
	}
	list := d.E("ol", view.ID("activity"), view.Class("activity"), view.A("aria-label", "Recent requests from sites, newest first"))
	for _, e := range events {
		shown, iso := view.LocalTime(e.TimeMillis)
		result := "result ok"
		if !activity.OK(e.Result) {
			result = "result bad"
		}
		list.AppendChild(d.E("li",
			d.E("span", view.Class("site"), e.Site),
			d.E("span", view.Class(result), activity.ResultLabel(e.Result)),
			d.E("span", view.Class("op"), activity.OpLabel(e.Op)),
			d.E("time", view.Class("time"), view.A("datetime", iso), shown)))
	}
	return list
}
