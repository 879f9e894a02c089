package rules_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/tstranex/u2f"

	"github.com/twinkey/twinkey/core/rules"
)

// These tests feed our parsers with requests built by relying-party libraries we did not write:
// go-webauthn v0.18.2 (WebAuthn options) and tstranex/u2f v1.0.0 (U2F JS API 1.1 requests).

type rpUser struct {
	id    []byte
	creds []webauthn.Credential
}

func (u rpUser) WebAuthnID() []byte                         { return u.id }
func (u rpUser) WebAuthnName() string                       { return "ann@example.com" }
func (u rpUser) WebAuthnDisplayName() string                { return "Ann" }
func (u rpUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func newRP(t *testing.T) *webauthn.WebAuthn {
	t.Helper()
	rp, err := webauthn.New(&webauthn.Config{
		RPID:          "example.com",
		RPDisplayName: "Example",
		RPOrigins:     []string{"https://login.example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

// unwrapPublicKey returns the bare options from go-webauthn's {"publicKey": …} wrapper.
func unwrapPublicKey(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var wrapper struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(b, &wrapper); err != nil || len(wrapper.PublicKey) == 0 {
		t.Fatalf("no publicKey member in %s", b)
	}
	return wrapper.PublicKey
}

func TestGoWebAuthnBeginRegistration(t *testing.T) {
	rp := newRP(t)
	user := rpUser{
		id: bytes.Repeat([]byte{0xa5}, 64), // the maximum user handle length
		creds: []webauthn.Credential{
			// A credential registered through the U2F API, so go-webauthn keeps the appidExclude input.
			{ID: []byte{1, 2, 3, 4}, Transport: []protocol.AuthenticatorTransport{protocol.USB}, AttestationFormat: "fido-u2f"},
			{ID: bytes.Repeat([]byte{0xff}, 80)},
		},
	}
	creation, _, err := rp.BeginRegistration(user,
		webauthn.WithExclusions(webauthn.Credentials(user.creds).CredentialDescriptors()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			AuthenticatorAttachment: protocol.CrossPlatform,
			ResidentKey:             protocol.ResidentKeyRequirementDiscouraged,
			UserVerification:        protocol.VerificationRequired,
		}),
		webauthn.WithConveyancePreference(protocol.PreferDirectAttestation),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps(), webauthn.WithExtensionAppIDExclude("https://example.com")),
	)
	if err != nil {
		t.Fatal(err)
	}
	bare := unwrapPublicKey(t, creation)
	o, err := rules.ParseCreationOptions(bare)
	if err != nil {
		t.Fatalf("ParseCreationOptions(%s): %v", bare, err)
	}
	want := creation.Response
	if !bytes.Equal(o.Challenge, want.Challenge) || len(o.Challenge) != 32 {
		t.Errorf("challenge %x, want %x", o.Challenge, []byte(want.Challenge))
	}
	if !bytes.Equal(o.User.ID, user.id) || o.User.Name != "ann@example.com" || o.User.DisplayName != "Ann" {
		t.Errorf("user %+v", o.User)
	}
	if o.RP.ID != "example.com" || o.RP.Name != "Example" {
		t.Errorf("rp %+v", o.RP)
	}
	if len(o.ExcludeCredentials) != 2 || !bytes.Equal(o.ExcludeCredentials[0].ID, []byte{1, 2, 3, 4}) ||
		!bytes.Equal(o.ExcludeCredentials[1].ID, user.creds[1].ID) ||
		len(o.ExcludeCredentials[0].Transports) != 1 || o.ExcludeCredentials[0].Transports[0] != "usb" {
		t.Errorf("excludeCredentials %+v", o.ExcludeCredentials)
	}
	if len(o.PubKeyCredParams) != len(want.Parameters) {
		t.Errorf("pubKeyCredParams %v, want %v", o.PubKeyCredParams, want.Parameters)
	}
	for i, p := range want.Parameters {
		if o.PubKeyCredParams[i].Type != string(p.Type) || o.PubKeyCredParams[i].Alg != int(p.Algorithm) {
			t.Errorf("pubKeyCredParams[%d] = %+v, want %+v", i, o.PubKeyCredParams[i], p)
		}
	}
	if o.AuthenticatorAttachment != "cross-platform" || o.ResidentKey != "discouraged" || o.UserVerification != "required" ||
		o.Attestation != "direct" || !o.Extensions.CredProps || o.Extensions.AppIDExclude != "https://example.com" {
		t.Errorf("selection/attestation/extensions: %+v", o)
	}
	wantTimeout := rules.ClampTimeoutMs(uint32(want.Timeout))
	if want.Timeout == 0 {
		wantTimeout = rules.DefaultTimeoutMs
	}
	if o.TimeoutMs != wantTimeout {
		t.Errorf("timeout %d, want %d (go-webauthn sent %d)", o.TimeoutMs, wantTimeout, want.Timeout)
	}
	if err := o.SupportsES256(); err != nil {
		t.Error(err)
	}
	if err := o.CheckAuthenticatorFit(); err != nil {
		t.Error(err)
	}
	origin, _ := rules.ParseOrigin("https://login.example.com")
	if rpID, err := rules.EffectiveRPID(origin, o.RP.ID); err != nil || rpID != "example.com" {
		t.Errorf("EffectiveRPID = %q, %v", rpID, err)
	}

	// A discoverable-credential request from go-webauthn is routed away, not refused as malformed.
	creation, _, err = rp.BeginRegistration(user, webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired))
	if err != nil {
		t.Fatal(err)
	}
	o, err = rules.ParseCreationOptions(unwrapPublicKey(t, creation))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.CheckAuthenticatorFit(); rules.ReasonOf(err) != rules.ReasonResidentKeyRequired {
		t.Errorf("resident key required: %v", err)
	}
}

func TestGoWebAuthnBeginLogin(t *testing.T) {
	rp := newRP(t)
	user := rpUser{id: []byte{1}, creds: []webauthn.Credential{
		{ID: []byte{9, 8, 7}, Transport: []protocol.AuthenticatorTransport{protocol.USB, protocol.NFC}, AttestationFormat: "fido-u2f"},
	}}
	assertion, _, err := rp.BeginLogin(user,
		webauthn.WithUserVerification(protocol.VerificationDiscouraged),
		webauthn.WithAssertionExtensions(webauthn.WithExtensionAppID("https://example.com/appid.json")),
	)
	if err != nil {
		t.Fatal(err)
	}
	bare := unwrapPublicKey(t, assertion)
	o, err := rules.ParseRequestOptions(bare)
	if err != nil {
		t.Fatalf("ParseRequestOptions(%s): %v", bare, err)
	}
	want := assertion.Response
	if !bytes.Equal(o.Challenge, want.Challenge) || len(o.Challenge) == 0 {
		t.Errorf("challenge %x, want %x", o.Challenge, []byte(want.Challenge))
	}
	if o.RPID != "example.com" || o.UserVerification != "discouraged" {
		t.Errorf("rpId %q uv %q", o.RPID, o.UserVerification)
	}
	if len(o.AllowCredentials) != 1 || !bytes.Equal(o.AllowCredentials[0].ID, []byte{9, 8, 7}) ||
		len(o.AllowCredentials[0].Transports) != 2 {
		t.Errorf("allowCredentials %+v", o.AllowCredentials)
	}
	if !o.Extensions.HasAppID || o.Extensions.AppID != "https://example.com/appid.json" {
		t.Errorf("extensions %+v", o.Extensions)
	}
	origin, _ := rules.ParseOrigin("https://login.example.com")
	if appID, err := rules.EffectiveAppID(origin, o.Extensions.AppID); err != nil || appID != o.Extensions.AppID {
		t.Errorf("EffectiveAppID = %q, %v", appID, err)
	}

	// Discoverable login: go-webauthn omits allowCredentials and rpId is still set.
	assertion, _, err = rp.BeginDiscoverableLogin()
	if err != nil {
		t.Fatal(err)
	}
	o, err = rules.ParseRequestOptions(unwrapPublicKey(t, assertion))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.AllowCredentials) != 0 || !bytes.Equal(o.Challenge, assertion.Response.Challenge) {
		t.Errorf("discoverable: %+v", o)
	}
}

func TestTstranexU2FRequests(t *testing.T) {
	const appID = "https://login.example.com"
	c, err := u2f.NewChallenge(appID, []string{appID})
	if err != nil {
		t.Fatal(err)
	}
	regs := []u2f.Registration{{KeyHandle: []byte{1, 2, 3, 4, 5}}, {KeyHandle: bytes.Repeat([]byte{0xfe}, 64)}}

	reg := u2f.NewWebRegisterRequest(c, regs)
	regJSON, err := json.Marshal(reg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := rules.ParseU2FRegister(regJSON)
	if err != nil {
		t.Fatalf("ParseU2FRegister(%s): %v", regJSON, err)
	}
	if r.AppID != appID || len(r.RegisterRequests) != 1 || r.RegisterRequests[0].Challenge != reg.RegisterRequests[0].Challenge {
		t.Errorf("register: %+v", r)
	}
	checkKeys(t, r.RegisteredKeys, regs, reg.RegisteredKeys)

	sign := c.SignRequest(regs)
	signJSON, err := json.Marshal(sign)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rules.ParseU2FSign(signJSON)
	if err != nil {
		t.Fatalf("ParseU2FSign(%s): %v", signJSON, err)
	}
	if s.AppID != appID || s.Challenge != sign.Challenge {
		t.Errorf("sign: %+v", s)
	}
	// The challenge is kept verbatim, and it is what tstranex encoded from its raw challenge.
	if raw, _ := base64.RawURLEncoding.DecodeString(s.Challenge); !bytes.Equal(raw, c.Challenge) {
		t.Errorf("challenge %q does not decode to tstranex's %x", s.Challenge, c.Challenge)
	}
	checkKeys(t, s.RegisteredKeys, regs, sign.RegisteredKeys)
	origin, _ := rules.ParseOrigin(appID)
	ids, err := s.KeyAppIDs(origin)
	if err != nil || len(ids) != 2 || ids[0] != appID {
		t.Errorf("KeyAppIDs = %q, %v", ids, err)
	}
}

func checkKeys(t *testing.T, got []rules.U2FRegisteredKey, regs []u2f.Registration, sent []u2f.RegisteredKey) {
	t.Helper()
	if len(got) != len(regs) {
		t.Fatalf("%d keys, want %d", len(got), len(regs))
	}
	for i := range regs {
		if !bytes.Equal(got[i].KeyHandle, regs[i].KeyHandle) || got[i].KeyHandleText != sent[i].KeyHandle ||
			got[i].Version != "U2F_V2" || got[i].AppID != sent[i].AppID {
			t.Errorf("key %d: %+v, sent %+v", i, got[i], sent[i])
		}
	}
}
