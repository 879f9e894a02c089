package client

import (
	"testing"

	"github.com/twinkey/twinkey/core/rules"
)

// TestRefusalTable lists every refusal of the client with the name, U2F codes and message a page sees: the one
// table (rules.Kind) applied by the one mapping (ToPageError).
func TestRefusalTable(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		dom       string
		sign, reg int
		message   string
	}{
		{"denied", ErrDenied, "NotAllowedError", 4, 5, msgNotAllowed},
		{"timed out", ErrTimedOut, "NotAllowedError", 5, 5, msgNotAllowed},
		{"pending", ErrPending, "OperationError", 1, 1, "A request is already pending."},
		{"back-off", ErrBackoff, "NotAllowedError", 4, 2, msgNotAllowed},
		{"no USB helper", ErrNoHost, "NotAllowedError", 4, 5, "This site uses your USB security key only, and Twinkey's USB helper is not installed: run twinkey-host install."},
		{"not ours", ErrNotOurs, "NotAllowedError", 4, 4, "No security key can answer this request."},
		{"excluded", ErrExcluded, "InvalidStateError", 4, 4, "The user attempted to register an authenticator that contains one of the credentials already registered with the relying party."},
		{"forgotten", ErrForgotten, "NotReadableError", 1, 1, "Twinkey restarted and no longer knows this request: try again."},
		{"not registered", ErrNotMine, "NotAllowedError", 4, 4, "This security key is not registered with this site."},
	} {
		sign, reg := ToPageError(tc.err, OpU2FSign), ToPageError(tc.err, OpU2FRegister)
		web := ToPageError(tc.err, OpGet)
		if web.Name != tc.dom || web.Message != tc.message || sign.U2FCode != tc.sign || reg.U2FCode != tc.reg {
			t.Errorf("%s: %+v / sign %d / register %d, want %s %q %d %d", tc.name, web, sign.U2FCode, reg.U2FCode, tc.dom, tc.message, tc.sign, tc.reg)
		}
	}
	// Every rules error passes through with its own Kind; anything else is NotReadableError.
	if e := ToPageError(rules.Errorf(rules.KindEncoding, "bad"), OpCreate); e.Name != "EncodingError" || e.Message != "bad" {
		t.Errorf("rules error: %+v", e)
	}
}

func TestHostErrorCodes(t *testing.T) {
	c := &Ceremony{Op: OpU2FSign}
	for code, want := range map[string]struct {
		name string
		u2f  int
	}{
		"no-device": {"NotAllowedError", 5}, "timeout": {"NotAllowedError", 5}, "excluded": {"InvalidStateError", 4},
		"no-credentials": {"NotAllowedError", 4}, "not-supported": {"NotSupportedError", 3},
		"cancelled": {"NotAllowedError", 4}, "internal": {"NotReadableError", 1}, "key-removed": {"NotAllowedError", 1},
		"pin-blocked": {"NotAllowedError", 1}, "disconnected": {"NotAllowedError", 1},
	} {
		o := c.HostError(code, "")
		if o.Error.Name != want.name || o.Error.U2FCode != want.u2f || o.Error.Message == "" {
			t.Errorf("%s: %+v, want %+v", code, o.Error, want)
		}
	}
}
