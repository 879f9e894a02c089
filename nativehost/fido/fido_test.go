package fido_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/tstranex/u2f"

	"github.com/twinkey/twinkey/nativehost/ctap2"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/fido"
	"github.com/twinkey/twinkey/nativehost/simkey"
)

const (
	rpID   = "example.com"
	origin = "https://example.com"
	appID  = "https://example.com/u2f-app-id.json"
)

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// recorder is a Prompter that records events and answers PIN prompts from a script.
type recorder struct {
	mu       sync.Mutex
	events   []fido.Event
	pins     []string
	asked    []int
	choose   func([]fido.Account) int // nil: the user closes the account chooser
	accounts []fido.Account           // what the chooser showed
}

func (r *recorder) ChooseAccount(_ context.Context, accounts []fido.Account) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.accounts = accounts
	if r.choose == nil {
		return 0, errors.New("user closed the account chooser")
	}
	return r.choose(accounts), nil
}

func (r *recorder) Progress(e fido.Event) { r.mu.Lock(); r.events = append(r.events, e); r.mu.Unlock() }

func (r *recorder) PIN(_ context.Context, retries int, _ bool) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, retries)
	if len(r.pins) == 0 {
		return "", errors.New("user closed the PIN prompt")
	}
	pin := r.pins[0]
	r.pins = r.pins[1:]
	return pin, nil
}

func (r *recorder) kinds() []fido.EventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []fido.EventKind
	for _, e := range r.events {
		out = append(out, e.Kind)
	}
	return out
}

func openKey(t *testing.T, cfg simkey.Config) *fido.Authenticator {
	t.Helper()
	k, err := simkey.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	dev, err := k.Open()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ctaphid.Open(context.Background(), dev, ctaphid.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := fido.New(context.Background(), conn, fido.Options{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// The relying party side: go-webauthn, which we did not write.
type rpUser struct{ creds []webauthn.Credential }

func (u *rpUser) WebAuthnID() []byte                         { return []byte("user-ann") }
func (u *rpUser) WebAuthnName() string                       { return "ann" }
func (u *rpUser) WebAuthnDisplayName() string                { return "Ann" }
func (u *rpUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func newRP(t *testing.T) *webauthn.WebAuthn {
	w, err := webauthn.New(&webauthn.Config{RPID: rpID, RPDisplayName: "Example", RPOrigins: []string{origin}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func clientDataJSON(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

func hash(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

// register runs create() through fido and has go-webauthn verify it.
func register(t *testing.T, a *fido.Authenticator, w *webauthn.WebAuthn, user *rpUser, uv fido.UserVerification, ui fido.Prompter) *fido.Registration {
	t.Helper()
	_, session, err := w.BeginRegistration(user)
	if err != nil {
		t.Fatal(err)
	}
	cdj := clientDataJSON("webauthn.create", session.Challenge)
	reg, err := a.MakeCredential(context.Background(), &fido.MakeCredentialParams{
		RPID: rpID, RPName: "Example", ClientDataHash: hash(cdj),
		User:       ctap2.UserEntity{ID: user.WebAuthnID(), Name: "ann", DisplayName: "Ann"},
		Algorithms: []int64{-7, -257}, UV: uv,
	}, ui)
	if err != nil {
		t.Fatalf("MakeCredential: %v", err)
	}
	verifyRegistration(t, w, user, session, cdj, reg)
	return reg
}

func verifyRegistration(t *testing.T, w *webauthn.WebAuthn, user *rpUser, session *webauthn.SessionData, cdj []byte, reg *fido.Registration) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"id": b64u(reg.CredentialID), "rawId": b64u(reg.CredentialID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u(cdj), "attestationObject": b64u(reg.AttestationObject),
			"transports": reg.Transports}, "clientExtensionResults": map[string]any{}})
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		t.Fatalf("go-webauthn cannot parse the registration (%s): %v", reg.Protocol, err)
	}
	cred, err := w.CreateCredential(user, *session, parsed)
	if err != nil {
		t.Fatalf("go-webauthn rejects the registration (%s): %v", reg.Protocol, err)
	}
	user.creds = append(user.creds, *cred)
}

// login runs get() through fido and has go-webauthn verify it.
func login(t *testing.T, a *fido.Authenticator, w *webauthn.WebAuthn, user *rpUser, appIDExt string, ui fido.Prompter) *fido.Assertion {
	t.Helper()
	var opts []webauthn.LoginOption
	if appIDExt != "" {
		opts = append(opts, webauthn.WithAssertionExtensions(webauthn.WithExtensionAppID(appIDExt)))
	}
	_, session, err := w.BeginLogin(user, opts...)
	if err != nil {
		t.Fatal(err)
	}
	cdj := clientDataJSON("webauthn.get", session.Challenge)
	var allow [][]byte
	for _, c := range user.creds {
		allow = append(allow, c.ID)
	}
	// A credential of another key first: the client must find the right one.
	allow = append([][]byte{make([]byte, 48)}, allow...)
	as, err := a.GetAssertion(context.Background(), &fido.GetAssertionParams{RPID: rpID, ClientDataHash: hash(cdj),
		AllowList: allow, UV: fido.UVDiscouraged, AppID: appIDExt}, ui)
	if err != nil {
		t.Fatalf("GetAssertion: %v", err)
	}
	verifyAssertion(t, w, user, session, cdj, as)
	return as
}

func verifyAssertion(t *testing.T, w *webauthn.WebAuthn, user *rpUser, session *webauthn.SessionData, cdj []byte, as *fido.Assertion) {
	t.Helper()
	ext := map[string]any{}
	if session.Extensions.AppID != "" {
		ext["appid"] = as.AppIDUsed
	}
	body, _ := json.Marshal(map[string]any{"id": b64u(as.CredentialID), "rawId": b64u(as.CredentialID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u(cdj), "authenticatorData": b64u(as.AuthenticatorData),
			"signature": b64u(as.Signature), "userHandle": b64u(as.UserHandle)}, "clientExtensionResults": ext})
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		t.Fatalf("go-webauthn cannot parse the assertion (%s): %v", as.Protocol, err)
	}
	if _, err := w.ValidateLogin(user, *session, parsed); err != nil {
		t.Fatalf("go-webauthn rejects the assertion (%s): %v", as.Protocol, err)
	}
}

func TestWebAuthnOverCTAP2VerifiedByGoWebauthn(t *testing.T) {
	a := openKey(t, simkey.Config{TouchDelay: 150 * time.Millisecond})
	if d := a.Describe(); !d.CTAP2 || !d.U2F || d.PIN != fido.PINNotSet {
		t.Fatalf("Describe = %+v", d)
	}
	w, user, ui := newRP(t), &rpUser{}, &recorder{}
	reg := register(t, a, w, user, fido.UVPreferred, ui)
	if reg.Protocol != "ctap2" {
		t.Fatalf("protocol %s, want ctap2", reg.Protocol)
	}
	if !slices.Contains(ui.kinds(), fido.EventTouch) {
		t.Fatalf("no touch event while the key waited: %v", ui.kinds())
	}
	as := login(t, a, w, user, "", ui)
	if as.Protocol != "ctap2" || string(as.CredentialID) != string(reg.CredentialID) {
		t.Fatalf("assertion %+v", as)
	}
}

// A CTAP2 key with a PIN and a request that does not require UV goes to U2F (no PIN prompt), as in Chromium;
// go-webauthn verifies the resulting fido-u2f attestation and the U2F-made assertion.
func TestWebAuthnOverU2FWhenPINSet(t *testing.T) {
	a := openKey(t, simkey.Config{PIN: "1234", DenyFirstU2FTouches: 1})
	w, user, ui := newRP(t), &rpUser{}, &recorder{}
	reg := register(t, a, w, user, fido.UVDiscouraged, ui)
	if reg.Protocol != "ctap1" || user.creds[0].AttestationFormat != "fido-u2f" {
		t.Fatalf("protocol %s, format %s", reg.Protocol, user.creds[0].AttestationFormat)
	}
	if len(ui.asked) != 0 {
		t.Fatal("asked for a PIN although UV was not required")
	}
	if !slices.Contains(ui.kinds(), fido.EventTouch) {
		t.Fatalf("no touch event while U2F polled: %v", ui.kinds())
	}
	if as := login(t, a, w, user, "", ui); as.Protocol != "ctap1" {
		t.Fatalf("assertion over %s", as.Protocol)
	}

	// The same credential in the exclude list: InvalidStateError material.
	_, err := a.MakeCredential(context.Background(), &fido.MakeCredentialParams{RPID: rpID, ClientDataHash: hash([]byte("x")),
		User: ctap2.UserEntity{ID: []byte{1}}, Algorithms: []int64{-7}, ExcludeList: [][]byte{reg.CredentialID}, UV: fido.UVDiscouraged}, ui)
	if !errors.Is(err, fido.ErrCredentialExcluded) {
		t.Fatalf("MakeCredential(excluded) = %v", err)
	}
}

// TestAppIDExtension: a credential registered through the legacy U2F API under an AppID signs a WebAuthn get()
// with the appid extension; go-webauthn checks rpIdHash = SHA-256(AppID) and the signature.
func TestAppIDExtension(t *testing.T) {
	a := openKey(t, simkey.Config{})
	ui := &recorder{}
	ch, _ := u2f.NewChallenge(appID, []string{origin})
	cd, _ := json.Marshal(u2f.ClientData{Typ: "navigator.id.finishEnrollment", Challenge: b64u(ch.Challenge), Origin: origin})
	reg, err := a.U2FRegister(context.Background(), &fido.U2FRegisterParams{AppID: appID, ClientDataHash: hash(cd)}, ui)
	if err != nil {
		t.Fatalf("U2FRegister: %v", err)
	}
	u2fReg, err := u2f.Register(u2f.RegisterResponse{Version: "U2F_V2", RegistrationData: b64u(reg.RegistrationData),
		ClientData: b64u(cd)}, *ch, &u2f.Config{SkipAttestationVerify: true})
	if err != nil {
		t.Fatalf("tstranex/u2f rejects the registration: %v", err)
	}
	pub, err := u2fReg.PubKey.Bytes() // 04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	user := &rpUser{creds: []webauthn.Credential{{ID: u2fReg.KeyHandle, PublicKey: pub, AttestationFormat: "fido-u2f"}}}
	as := login(t, a, newRP(t), user, appID, ui)
	if !as.AppIDUsed {
		t.Fatal("appid output false for a U2F-registered credential")
	}
}

func TestU2FRegisterSignVerifiedByTstranex(t *testing.T) {
	a := openKey(t, simkey.Config{})
	ui := &recorder{}
	ctx := context.Background()
	ch, _ := u2f.NewChallenge(appID, []string{origin})
	cd, _ := json.Marshal(u2f.ClientData{Typ: "navigator.id.finishEnrollment", Challenge: b64u(ch.Challenge), Origin: origin})
	reg, err := a.U2FRegister(ctx, &fido.U2FRegisterParams{AppID: appID, ClientDataHash: hash(cd)}, ui)
	if err != nil {
		t.Fatal(err)
	}
	u2fReg, err := u2f.Register(u2f.RegisterResponse{Version: "U2F_V2", RegistrationData: b64u(reg.RegistrationData),
		ClientData: b64u(cd)}, *ch, &u2f.Config{SkipAttestationVerify: true})
	if err != nil {
		t.Fatalf("tstranex/u2f rejects the registration: %v", err)
	}
	kh := u2fReg.KeyHandle
	if _, err := a.U2FRegister(ctx, &fido.U2FRegisterParams{AppID: appID, ClientDataHash: hash(cd),
		Exclude: []fido.U2FKey{{AppID: appID, KeyHandle: kh}}}, ui); !errors.Is(err, fido.ErrCredentialExcluded) {
		t.Fatalf("U2FRegister(already registered) = %v", err)
	}

	ch2, _ := u2f.NewChallenge(appID, []string{origin})
	scd, _ := json.Marshal(u2f.ClientData{Typ: "navigator.id.getAssertion", Challenge: b64u(ch2.Challenge), Origin: origin})
	foreign := fido.U2FKey{AppID: appID, KeyHandle: make([]byte, 64)}
	sig, err := a.U2FSign(ctx, &fido.U2FSignParams{ClientDataHash: hash(scd), Keys: []fido.U2FKey{foreign, {AppID: appID, KeyHandle: kh}}}, ui)
	if err != nil {
		t.Fatalf("U2FSign: %v", err)
	}
	if _, err := u2fReg.Authenticate(u2f.SignResponse{KeyHandle: b64u(sig.Key.KeyHandle), SignatureData: b64u(sig.SignatureData),
		ClientData: b64u(scd)}, *ch2, 0); err != nil {
		t.Fatalf("tstranex/u2f rejects the signature: %v", err)
	}
	if _, err := a.U2FSign(ctx, &fido.U2FSignParams{ClientDataHash: hash(scd), Keys: []fido.U2FKey{foreign}}, ui); !errors.Is(err, fido.ErrNoCredentials) {
		t.Fatalf("U2FSign(foreign only) = %v", err)
	}
}

func TestKeyRemovedMidCeremony(t *testing.T) {
	a := openKey(t, simkey.Config{UnplugAfterKeepalive: true, TouchDelay: 300 * time.Millisecond})
	ui := &recorder{}
	_, err := a.MakeCredential(context.Background(), &fido.MakeCredentialParams{RPID: rpID, ClientDataHash: hash([]byte("x")),
		User: ctap2.UserEntity{ID: []byte{1}}, Algorithms: []int64{-7}}, ui)
	if !errors.Is(err, fido.ErrKeyRemoved) {
		t.Fatalf("MakeCredential = %v, want ErrKeyRemoved", err)
	}
	if k := ui.kinds(); !slices.Equal(k, []fido.EventKind{fido.EventTouch, fido.EventKeyRemoved}) {
		t.Fatalf("events %v", k)
	}
}

func TestCancelMidCeremony(t *testing.T) {
	a := openKey(t, simkey.Config{TouchDelay: 400 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	ui := &cancelOnTouch{cancel: cancel}
	_, err := a.MakeCredential(ctx, &fido.MakeCredentialParams{RPID: rpID, ClientDataHash: hash([]byte("x")),
		User: ctap2.UserEntity{ID: []byte{1}}, Algorithms: []int64{-7}}, ui)
	if !errors.Is(err, fido.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("MakeCredential = %v, want ErrCancelled", err)
	}
}

type cancelOnTouch struct {
	recorder
	cancel func()
}

func (c *cancelOnTouch) Progress(e fido.Event) {
	if e.Kind == fido.EventTouch {
		c.cancel()
	}
}

func TestUserVerificationRequired(t *testing.T) {
	a := openKey(t, simkey.Config{})
	params := &fido.MakeCredentialParams{RPID: rpID, ClientDataHash: hash([]byte("x")), User: ctap2.UserEntity{ID: []byte{1}},
		Algorithms: []int64{-7}, UV: fido.UVRequired}
	if _, err := a.MakeCredential(context.Background(), params, &recorder{}); !errors.Is(err, fido.ErrPINNotSet) {
		t.Fatalf("UV required without PIN = %v, want ErrPINNotSet", err)
	}
	// With a PIN, the user is asked (retries known), then virtual-fido's broken key agreement stops the flow
	// with a clear error instead of a wrong token.
	b := openKey(t, simkey.Config{PIN: "1234"})
	ui := &recorder{pins: []string{"1234"}}
	_, err := b.MakeCredential(context.Background(), params, ui)
	if !errors.Is(err, ctap2.ErrInvalidKeyAgreement) {
		t.Fatalf("UV required with PIN = %v", err)
	}
	if len(ui.events) == 0 || ui.events[0].Kind != fido.EventPINNeeded || ui.events[0].Retries != 8 || !slices.Equal(ui.asked, []int{8}) {
		t.Fatalf("events %+v, asked %v", ui.events, ui.asked)
	}
	if _, err := b.MakeCredential(context.Background(), params, &recorder{}); !errors.Is(err, fido.ErrCancelled) {
		t.Fatalf("closing the PIN prompt = %v, want ErrCancelled", err)
	}
}

// TestU2FOnlyKey: on a key without CTAP2, create() and get() run over U2F (§6.7) — fido-u2f attestation and a
// U2F assertion, both accepted by go-webauthn — and what U2F cannot do is refused as not supported.
func TestU2FOnlyKey(t *testing.T) {
	a := openKey(t, simkey.Config{U2FOnly: true})
	if d := a.Describe(); d.CTAP2 || !d.U2F || d.PIN != fido.PINUnsupported {
		t.Fatalf("Describe = %+v", d)
	}
	w, user, ui := newRP(t), &rpUser{}, &recorder{}
	if reg := register(t, a, w, user, fido.UVPreferred, ui); reg.Protocol != "ctap1" {
		t.Fatalf("registration over %s", reg.Protocol)
	}
	if as := login(t, a, w, user, "", ui); as.Protocol != "ctap1" {
		t.Fatalf("assertion over %s", as.Protocol)
	}
	ctx := context.Background()
	for name, p := range map[string]*fido.MakeCredentialParams{
		"resident key": {RPID: rpID, ClientDataHash: hash(nil), User: ctap2.UserEntity{ID: []byte{1}}, Algorithms: []int64{-7}, ResidentKey: true},
		"UV required":  {RPID: rpID, ClientDataHash: hash(nil), User: ctap2.UserEntity{ID: []byte{1}}, Algorithms: []int64{-7}, UV: fido.UVRequired},
		"no ES256":     {RPID: rpID, ClientDataHash: hash(nil), User: ctap2.UserEntity{ID: []byte{1}}, Algorithms: []int64{-8}},
	} {
		if _, err := a.MakeCredential(ctx, p, ui); !errors.Is(err, fido.ErrNotSupported) {
			t.Errorf("%s: %v, want ErrNotSupported", name, err)
		}
	}
	if _, err := a.GetAssertion(ctx, &fido.GetAssertionParams{RPID: rpID, ClientDataHash: hash(nil)}, ui); !errors.Is(err, fido.ErrNotSupported) {
		t.Errorf("discoverable get: %v, want ErrNotSupported", err)
	}
}
