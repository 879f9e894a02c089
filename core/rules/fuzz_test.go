package rules

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// Fuzz targets for every parser of untrusted input. Invariants: no panic; a failed parse returns a nil (or zero)
// result and an *Error of a declared Kind; a successful parse satisfies the documented post-conditions.

var creationSeeds = []string{
	`{"rp":{"id":"example.com","name":"Example"},"user":{"id":"AQID","name":"ann","displayName":"Ann"},"challenge":"3q2-7w","pubKeyCredParams":[{"type":"public-key","alg":-7}]}`,
	`{"rp":{"name":"Example"},"user":{"id":"AQID","name":"ann","displayName":"Ann"},"challenge":"3q2-7w","pubKeyCredParams":[],"timeout":60000,"excludeCredentials":[{"type":"public-key","id":"AAEC","transports":["usb","nfc"]},{"type":"x","id":"AA"}],"authenticatorSelection":{"authenticatorAttachment":"platform","residentKey":"required","requireResidentKey":true,"userVerification":"required"},"hints":["security-key"],"attestation":"direct","attestationFormats":["packed"],"extensions":{"credProps":true,"appidExclude":"https://example.com"}}`,
	`{"rp":{"name":"E","id":""},"user":{"id":"","name":"","displayName":""},"challenge":"","pubKeyCredParams":[{"type":"public-key","alg":4294967289}],"timeout":-1}`,
	`{"rp":null,"user":{"id":"AQI=","name":1},"challenge":"A","pubKeyCredParams":{}}`,
	`{"publicKey":{"challenge":"AA"}}`,
	`[]`, `null`, `{`, ``,
}

var requestSeeds = []string{
	`{"challenge":"AAEC"}`,
	`{"challenge":"AAEC","timeout":120000,"rpId":"example.com","allowCredentials":[{"type":"public-key","id":"BAUG","transports":["usb"]}],"userVerification":"discouraged","hints":["client-device"],"extensions":{"appid":"https://example.com"}}`,
	`{"challenge":"AAEC==","rpId":"","allowCredentials":[{"type":"public-key"}]}`,
	`{"challenge":1e400,"timeout":1e400}`,
	`{"challenge":"\u0000","extensions":{"appid":null}}`,
}

func checkParseError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !e.Kind.valid() || e.Message == "" {
		t.Fatalf("error %#v is not an *Error with a declared Kind and a message", err)
	}
}

func checkDescriptors(t *testing.T, ds []CredentialDescriptor) {
	t.Helper()
	if ds == nil || len(ds) > MaxCredentialDescriptors {
		t.Fatalf("descriptor list nil or too long: %d", len(ds))
	}
	for _, d := range ds {
		if d.Type != CredentialTypePublicKey || d.ID == nil || d.Transports == nil {
			t.Fatalf("descriptor %+v", d)
		}
		for _, tr := range d.Transports {
			if oneOf(tr, "", knownTransports[:]...) == "" {
				t.Fatalf("unknown transport %q kept", tr)
			}
		}
	}
}

func checkTimeout(t *testing.T, ms uint32) {
	t.Helper()
	if ms < MinTimeoutMs || ms > MaxTimeoutMs {
		t.Fatalf("timeout %d out of range", ms)
	}
}

func FuzzParseCreationOptions(f *testing.F) {
	for _, s := range creationSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := ParseCreationOptions(data)
		if err != nil {
			if o != nil {
				t.Fatal("a failed parse returned options")
			}
			checkParseError(t, err)
			return
		}
		if n := len(o.User.ID); n < MinUserIDLength || n > MaxUserIDLength {
			t.Fatalf("user.id length %d accepted", n)
		}
		if o.Challenge == nil || o.PubKeyCredParams == nil || o.Hints == nil || o.AttestationFormats == nil {
			t.Fatalf("nil member in %+v", o)
		}
		checkTimeout(t, o.TimeoutMs)
		checkDescriptors(t, o.ExcludeCredentials)
		if oneOf(o.ResidentKey, "", RequirementRequired, RequirementPreferred, RequirementDiscouraged) == "" ||
			oneOf(o.UserVerification, "", RequirementRequired, RequirementPreferred, RequirementDiscouraged) == "" ||
			oneOf(o.Attestation, "", AttestationNone, AttestationIndirect, AttestationDirect, AttestationEnterprise) == "" ||
			(o.AuthenticatorAttachment != "" && o.AuthenticatorAttachment != AttachmentPlatform && o.AuthenticatorAttachment != AttachmentCrossPlatform) {
			t.Fatalf("unresolved enumeration in %+v", o)
		}
		if err := o.SupportsES256(); err != nil && KindOf(err) != KindNotSupported {
			t.Fatalf("SupportsES256: %v", err)
		}
		if err := o.CheckAuthenticatorFit(); err != nil && ReasonOf(err) == "" {
			t.Fatalf("CheckAuthenticatorFit without a Reason: %v", err)
		}
	})
}

func FuzzParseRequestOptions(f *testing.F) {
	for _, s := range requestSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := ParseRequestOptions(data)
		if err != nil {
			if o != nil {
				t.Fatal("a failed parse returned options")
			}
			checkParseError(t, err)
			return
		}
		if o.Challenge == nil || o.Hints == nil {
			t.Fatalf("nil member in %+v", o)
		}
		checkTimeout(t, o.TimeoutMs)
		checkDescriptors(t, o.AllowCredentials)
		if oneOf(o.UserVerification, "", RequirementRequired, RequirementPreferred, RequirementDiscouraged) == "" {
			t.Fatalf("userVerification %q", o.UserVerification)
		}
	})
}

func checkU2FKeys(t *testing.T, keys []U2FRegisteredKey) {
	t.Helper()
	if len(keys) > MaxCredentialDescriptors {
		t.Fatalf("%d keys", len(keys))
	}
	for _, k := range keys {
		if k.Version != U2FVersionV2 || len(k.KeyHandle) == 0 || k.Transports == nil {
			t.Fatalf("key %+v", k)
		}
		if again, ok := decodeWebsafeBase64(k.KeyHandleText); !ok || !bytes.Equal(again, k.KeyHandle) {
			t.Fatalf("KeyHandleText %q does not decode to KeyHandle", k.KeyHandleText)
		}
	}
}

func checkU2FTimeout(t *testing.T, s int) {
	t.Helper()
	if s < MinU2FTimeoutSeconds || s > MaxU2FTimeoutSeconds {
		t.Fatalf("timeoutSeconds %d", s)
	}
}

func FuzzParseU2FRegister(f *testing.F) {
	for _, s := range []string{
		`{"type":"register","appId":"https://example.com","registerRequests":[{"version":"U2F_V2","challenge":"Y2g"}],"registeredKeys":[{"version":"U2F_V2","keyHandle":"AAEC","appId":"https://example.com","transports":["usb"]}],"timeoutSeconds":30}`,
		`{"registerRequests":[{"version":"U2F_V2","challenge":"c","appId":"https://a.example"},{"version":"U2F_V2","challenge":"d","appId":"https://b.example"}],"signRequests":[{"version":"U2F_V2","challenge":"c","keyHandle":"AA==","appId":"https://a.example"}]}`,
		`{"registerRequests":[{"version":"U2F_V1","challenge":"c"}],"timeoutSeconds":-5}`,
		`{"type":"sign"}`, `[]`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseU2FRegister(data)
		if err != nil {
			if r != nil {
				t.Fatal("a failed parse returned a request")
			}
			checkParseError(t, err)
			return
		}
		if len(r.RegisterRequests) == 0 {
			t.Fatal("no register request accepted")
		}
		for _, vc := range r.RegisterRequests {
			if vc.Version != U2FVersionV2 || vc.Challenge == "" {
				t.Fatalf("register request %+v", vc)
			}
		}
		checkU2FKeys(t, r.RegisteredKeys)
		checkU2FTimeout(t, r.TimeoutSeconds)
	})
}

func FuzzParseU2FSign(f *testing.F) {
	for _, s := range []string{
		`{"type":"sign","appId":"https://example.com","challenge":"Y2g","registeredKeys":[{"version":"U2F_V2","keyHandle":"AAEC"},{"version":"U2F_V2","keyHandle":"AwQ=","appId":"https://login.example.com"}],"timeoutSeconds":2}`,
		`{"signRequests":[{"version":"U2F_V2","challenge":"c1","keyHandle":"AAEC","appId":"https://example.com"},{"version":"U2F_V2","challenge":"c2","keyHandle":"AwQ","appId":"https://x.example.com"}],"timeoutSeconds":1e9}`,
		`{"challenge":"c","registeredKeys":[]}`,
		`{"challenge":"","registeredKeys":[{"version":"U2F_V2","keyHandle":"AA="}]}`,
		`nope`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseU2FSign(data)
		if err != nil {
			if r != nil {
				t.Fatal("a failed parse returned a request")
			}
			checkParseError(t, err)
			return
		}
		if len(r.RegisteredKeys) == 0 {
			t.Fatal("a sign request without keys accepted")
		}
		checkU2FKeys(t, r.RegisteredKeys)
		checkU2FTimeout(t, r.TimeoutSeconds)
		for _, k := range r.RegisteredKeys {
			if r.ChallengeFor(k) == "" {
				t.Fatalf("empty challenge for key %+v", k)
			}
		}
	})
}

// FuzzParseOrigin also drives EffectiveRPID and EffectiveAppID with the parsed origin and a second fuzzed string,
// checking the security invariants: an accepted RP ID is the caller's host or a dot-suffix of it and never a
// public suffix of another domain; an accepted AppID is the FacetID or an https URL.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range [][2]string{
		{"https://login.example.com:1337", "example.com"},
		{"https://login.example.com:1337", "com"},
		{"https://alice.github.io", "github.io"},
		{"https://foo.up.railway.app", "railway.app"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"http://[::1]:3000", ""},
		{"https://accounts.google.com", "https://www.gstatic.com/securitykey/origins.json"},
		{"https://login.example.com", "https://example.com/app-id.json"},
		{"null", ""},
		{"HTTPS://EXAMPLE.COM:443", "EXAMPLE.com"},
		{"https://example.com/", "https://evil@example.com"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, claim string) {
		o, err := ParseOrigin(s)
		if err != nil {
			if o != (Origin{}) {
				t.Fatalf("a failed parse returned %+v", o)
			}
			checkParseError(t, err)
			return
		}
		again, err := ParseOrigin(o.String())
		if err != nil || again != o {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, o, o.String(), again, err)
		}
		trustworthy := o.IsPotentiallyTrustworthy()

		rpID, err := EffectiveRPID(o, claim)
		if err != nil {
			if rpID != "" || KindOf(err) != KindSecurity {
				t.Fatalf("EffectiveRPID refused with %q, %v", rpID, err)
			}
		} else {
			if !trustworthy || o.HostIsIP() {
				t.Fatalf("EffectiveRPID accepted %s", o)
			}
			if rpID != o.Host && !strings.HasSuffix(o.Host, "."+rpID) {
				t.Fatalf("RP ID %q is not a suffix of %q", rpID, o.Host)
			}
			if rpID != o.Host {
				if _, ok := registrableDomain(rpID); !ok {
					t.Fatalf("RP ID %q is a public suffix", rpID)
				}
			}
		}

		appID, err := EffectiveAppID(o, claim)
		if err != nil {
			if appID != "" || KindOf(err) != KindSecurity {
				t.Fatalf("EffectiveAppID refused with %q, %v", appID, err)
			}
		} else if o.Scheme != SchemeHTTPS || (appID != o.String() && (appID != claim || !strings.EqualFold(appID[:min(len(appID), 8)], "https://"))) {
			t.Fatalf("EffectiveAppID(%s, %q) = %q", o, claim, appID)
		}
	})
}
