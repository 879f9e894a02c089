//go:build js && wasm

package main

import (
	"errors"

	"github.com/twinkey/twinkey/wasm/ui/internal/backend"
	"github.com/twinkey/twinkey/wasm/ui/internal/strength"
	"github.com/twinkey/twinkey/wasm/ui/internal/view"
	"honnef.co/go/js/dom/v2"
)

// describe is the one mapping from a backend error to the sentence a person reads.
func describe(err error) string {
	var refusal *backend.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, backend.ErrWrongPassphrase):
		return "Wrong passphrase. Check it and try again."
	case errors.Is(err, backend.ErrVaultLocked):
		return "Twinkey is locked. Unlock it first, then try again."
	case errors.Is(err, backend.ErrVaultMissing):
		return "Twinkey is not set up in this browser yet."
	case errors.Is(err, backend.ErrVaultExists):
		return "Twinkey is already set up in this browser. To start over, erase it in the settings first."
	case errors.Is(err, backend.ErrBadPhrase):
		if errors.As(err, &refusal) && refusal.Message != "" {
			return "The recovery phrase was not accepted: " + refusal.Message
		}
		return "The recovery phrase was not accepted. Compare every word with your paper."
	case errors.As(err, &refusal):
		if refusal.Message != "" {
			return refusal.Message
		}
		return "Twinkey refused: " + refusal.Name
	case errors.Is(err, backend.ErrNoAnswer):
		return "Twinkey's background service did not answer. Reload the extension and try again."
	}
	return "Something went wrong. Try again."
}

// passphrasePair renders a new-passphrase field (newID), its live strength hint (strengthID, read with the field
// through aria-describedby, and a decorative meter strengthID+"-meter") and the repeat field (repeatID).
func passphrasePair(doc view.Doc, newID, repeatID, strengthID, newLabel string) []view.El {
	meter := doc.E("meter", view.ID(strengthID+"-meter"), view.A("min", "0"), view.A("max", "5"), view.A("value", "0"),
		view.A("low", "2"), view.A("high", "3"), view.A("optimum", "5"), view.A("aria-hidden", "true"))
	hint := doc.E("p", view.ID(strengthID), view.Class("hint strength"), view.A("aria-live", "polite"),
		"Use at least 8 characters; several unrelated words work well.")
	newField := doc.Field(newID, newLabel, "password", "", view.A("autocomplete", "new-password"),
		view.A("required", ""), view.A("minlength", "8"), view.A("aria-describedby", strengthID))
	repeat := doc.Field(repeatID, "Repeat the passphrase", "password", "", view.A("autocomplete", "new-password"),
		view.A("required", ""))
	input := view.Find(newField, "input")
	view.On(input, "input", func(dom.Event) {
		e := strength.Assess(doc.Value(newID))
		doc.ByID(strengthID+"-meter").SetAttribute("value", view.Itoa(int(e.Level)))
		doc.ByID(strengthID).SetTextContent("Strength: " + e.Level.String() + ". " + e.Hint)
	})
	return []view.El{newField, meter, hint, repeat}
}

// checkNewPassphrase validates a new passphrase pair and returns the sentence to show, or "".
func checkNewPassphrase(pass, repeat string) string {
	e := strength.Assess(pass)
	switch {
	case e.Level == strength.TooShort:
		return "The passphrase is too short: use at least 8 characters."
	case !e.Level.Acceptable():
		return "This passphrase is too easy to guess. " + e.Hint
	case pass != repeat:
		return "The two passphrases are different. Type the same passphrase twice."
	}
	return ""
}
