package activity

import "testing"

func TestLabels(t *testing.T) {
	ops := map[string]string{"webauthn.create": "Register (WebAuthn)", "webauthn.get": "Sign in (WebAuthn)",
		"u2f.register": "Register (U2F)", "u2f.sign": "Sign in (U2F)", "future.op": "future.op"}
	for in, want := range ops {
		if got := OpLabel(in); got != want {
			t.Errorf("OpLabel(%q) = %q, want %q", in, got, want)
		}
	}
	if ResultLabel("ok") != "Done" || ResultLabel("denied") != "Denied" || ResultLabel("weird") != "weird" {
		t.Error("ResultLabel")
	}
	if !OK("ok") || OK("denied") || OK("error") {
		t.Error("OK")
	}
}
