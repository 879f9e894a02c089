package bridge_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	gwa "github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/tstranex/u2f"

	"github.com/twinkey/twinkey/bridge"
)

// --- ceremonies through the bridge (PROTOCOL.md "Ceremonies"), verified by go-webauthn and tstranex/u2f ---

const (
	rpID     = "login.example.com"
	rpOrigin = "https://login.example.com"
)

type user struct {
	creds []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return []byte("user-1") }
func (u *user) WebAuthnName() string                       { return "ann" }
func (u *user) WebAuthnDisplayName() string                { return "Ann" }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func newRPFor(t *testing.T, id, origin string) *webauthn.WebAuthn {
	rp, err := webauthn.New(&webauthn.Config{RPID: id, RPDisplayName: "Example", RPOrigins: []string{origin}})
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

func newRP(t *testing.T) *webauthn.WebAuthn { return newRPFor(t, rpID, rpOrigin) }

// frame is what the service worker reports for a focused top-level frame of origin.
func frame(origin string) map[string]any {
	return map[string]any{"origin": origin, "tabOrigin": origin, "frameId": 0, "tabActive": true,
		"ancestorOrigins": []string{}, "allowsCreate": true, "allowsGet": true, "userActivation": false, "visible": true}
}

type prompt struct {
	Op, Origin, RPID, AppID, User, Passphrase string
	Locked, NotRegistered, WaitForTab         bool
	RecentPassphraseMinutes, InputDelayMs     int
	Hardware                                  *struct{ Status string }
}

type decision struct {
	Decision  string
	Ceremony  string
	TimeoutMs int
	Site      string
	Prompt    *prompt
	Error     *bridgeError
}

type outcome struct {
	Outcome  string
	Result   json.RawMessage
	Error    *bridgeError
	Host     *struct{ Type string }
	Activity string
}

func (p *profile) decideIn(fr map[string]any, op string, request any) decision {
	p.t.Helper()
	var d decision
	p.mustCall("/v1/ceremony/decide", map[string]any{"op": op, "frame": fr, "request": request}, &d)
	return d
}

func (p *profile) decide(op string, request any) decision {
	p.t.Helper()
	return p.decideIn(frame(rpOrigin), op, request)
}

func webauthnRequest(options any) map[string]any { return map[string]any{"options": options} }

func (p *profile) approve(id, passphrase string) outcome {
	p.t.Helper()
	var o outcome
	p.mustCall("/v1/ceremony/approve", map[string]string{"ceremony": id, "passphrase": passphrase}, &o)
	return o
}

// answered runs a prompt decision to its answer with an approval (and passphrase).
func (p *profile) answered(d decision, passphrase string) json.RawMessage {
	p.t.Helper()
	if d.Decision != "prompt" || d.Ceremony == "" {
		p.t.Fatalf("decision %+v, want a prompt", d)
	}
	o := p.approve(d.Ceremony, passphrase)
	if o.Outcome != "answer" || o.Error != nil {
		p.t.Fatalf("approve: %+v", o)
	}
	return o.Result
}

func (p *profile) register(rp *webauthn.WebAuthn, u *user, opts ...webauthn.RegistrationOption) *webauthn.Credential {
	p.t.Helper()
	creation, session, err := rp.BeginRegistration(u, opts...)
	if err != nil {
		p.t.Fatal(err)
	}
	d := p.decideIn(frame(rp.Config.RPOrigins[0]), "webauthn.create", webauthnRequest(creation.Response))
	if d.Prompt == nil || d.Prompt.RPID != rp.Config.RPID || d.Prompt.User != "ann" || d.Prompt.InputDelayMs != 500 {
		p.t.Fatalf("create decision: %+v %+v", d, d.Prompt)
	}
	parsed, err := gwa.ParseCredentialCreationResponseBytes(p.answered(d, ""))
	if err != nil {
		p.t.Fatal(err)
	}
	c, err := rp.CreateCredential(u, *session, parsed)
	if err != nil {
		p.t.Fatalf("go-webauthn refuses the bridge's registration: %v", err)
	}
	u.creds = append(u.creds, *c)
	return c
}

func (p *profile) login(rp *webauthn.WebAuthn, u *user, opts ...webauthn.LoginOption) *webauthn.Credential {
	p.t.Helper()
	assertion, session, err := rp.BeginLogin(u, opts...)
	if err != nil {
		p.t.Fatal(err)
	}
	d := p.decideIn(frame(rp.Config.RPOrigins[0]), "webauthn.get", webauthnRequest(assertion.Response))
	parsed, err := gwa.ParseCredentialRequestResponseBytes(p.answered(d, ""))
	if err != nil {
		p.t.Fatal(err)
	}
	c, err := rp.ValidateLogin(u, *session, parsed)
	if err != nil {
		p.t.Fatalf("go-webauthn refuses the bridge's assertion: %v", err)
	}
	c.Flags.UserVerified = parsed.Response.AuthenticatorData.Flags.HasUserVerified() // this assertion's flag
	for i := range u.creds {
		if bytes.Equal(u.creds[i].ID, c.ID) {
			u.creds[i] = *c
		}
	}
	return c
}

func TestWebAuthnThroughBridge(t *testing.T) {
	p := newProfile(t)
	p.create()
	rp, u := newRP(t), &user{}
	p.register(rp, u, webauthn.WithConveyancePreference(gwa.PreferDirectAttestation))
	if u.creds[0].AttestationFormat != "packed" {
		t.Fatalf("direct attestation gave %q", u.creds[0].AttestationFormat)
	}
	for i := 0; i < 3; i++ {
		if c := p.login(rp, u); c.Authenticator.CloneWarning || c.Flags.UserVerified {
			t.Fatalf("clone warning %v, UV %v without a passphrase", c.Authenticator.CloneWarning, c.Flags.UserVerified)
		}
	}
	// Excluded credential: InvalidStateError, after consent.
	creation, _, _ := rp.BeginRegistration(u, webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()))
	d := p.decide("webauthn.create", webauthnRequest(creation.Response))
	if d.Decision != "prompt" {
		t.Fatalf("an excluded create must still ask a person first: %+v", d)
	}
	if o := p.approve(d.Ceremony, ""); o.Error == nil || o.Error.Name != "InvalidStateError" || o.Activity != "excluded" {
		t.Fatalf("excluded: %+v", o)
	}
	// An answered ceremony is gone.
	if o := p.approve(d.Ceremony, ""); o.Error == nil || o.Error.Name != "NotReadableError" {
		t.Fatalf("approving twice: %+v", o)
	}
}

// Locked vault: the prompt asks for the passphrase; approving without it or with a wrong one keeps the prompt
// open; the right one unlocks, signs, and is the user verification.
func TestLockedVaultCeremony(t *testing.T) {
	p := newProfile(t)
	p.create()
	rp, u := newRP(t), &user{}
	p.register(rp, u)
	p.mustCall("/v1/vault/lock", struct{}{}, nil)
	assertion, session, _ := rp.BeginLogin(u)
	d := p.decide("webauthn.get", webauthnRequest(assertion.Response))
	if d.Prompt == nil || !d.Prompt.Locked || d.Prompt.Passphrase != "required" {
		t.Fatalf("locked decision %+v", d.Prompt)
	}
	if o := p.approve(d.Ceremony, ""); o.Outcome != "retry" || o.Error.Name != "PassphraseRequired" {
		t.Fatalf("without passphrase: %+v", o)
	}
	if o := p.approve(d.Ceremony, "wrong one"); o.Outcome != "retry" || o.Error.Name != "WrongPassphrase" {
		t.Fatalf("wrong passphrase: %+v", o)
	}
	o := p.approve(d.Ceremony, passphrase)
	parsed, err := gwa.ParseCredentialRequestResponseBytes(o.Result)
	if err != nil {
		t.Fatalf("%+v: %v", o, err)
	}
	if _, err := rp.ValidateLogin(u, *session, parsed); err != nil || !parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		t.Fatalf("go-webauthn: %v, UV %v (the passphrase was typed in this prompt)", err, parsed.Response.AuthenticatorData.Flags.HasUserVerified())
	}
}

// Honest UV: "required" always asks for the passphrase; "preferred" reports UV only for a passphrase typed in this
// prompt, unless the person opted in to a window, which the prompt then states.
func TestHonestUserVerification(t *testing.T) {
	p := newProfile(t)
	p.create() // the passphrase was just entered
	rp, u := newRP(t), &user{}
	p.register(rp, u)
	assertion, _, _ := rp.BeginLogin(u, webauthn.WithUserVerification(gwa.VerificationRequired))
	d := p.decide("webauthn.get", webauthnRequest(assertion.Response))
	if d.Prompt.Passphrase != "required" {
		t.Fatalf("UV required: %+v", d.Prompt)
	}
	if c := p.login(rp, u, webauthn.WithUserVerification(gwa.VerificationPreferred)); c.Flags.UserVerified {
		t.Fatal("UV preferred reported UV from a passphrase typed before the ceremony, with no window set")
	}
	p.mustCall("/v1/settings/set", map[string]any{"settings": map[string]any{"uvWindowMinutes": 5}}, nil)
	assertion, session, _ := rp.BeginLogin(u, webauthn.WithUserVerification(gwa.VerificationPreferred))
	d = p.decide("webauthn.get", webauthnRequest(assertion.Response))
	if d.Prompt.RecentPassphraseMinutes != 5 || d.Prompt.Passphrase != "none" {
		t.Fatalf("with the window: %+v", d.Prompt)
	}
	parsed, _ := gwa.ParseCredentialRequestResponseBytes(p.answered(d, ""))
	if _, err := rp.ValidateLogin(u, *session, parsed); err != nil || !parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		t.Fatalf("the opted-in window: %v, UV %v", err, parsed.Response.AuthenticatorData.Flags.HasUserVerified())
	}
}

// One example of each decision type, and the requests Twinkey leaves to the browser untouched.
func TestDecisionTypes(t *testing.T) {
	p := newProfile(t)
	rp, u := newRP(t), &user{}
	creation, _, _ := rp.BeginRegistration(u)
	opts, _ := json.Marshal(creation.Response)
	with := func(k string, v any) map[string]any {
		var m map[string]any
		json.Unmarshal(opts, &m)
		m[k] = v
		return m
	}
	rs256 := with("pubKeyCredParams", []map[string]any{{"type": "public-key", "alg": -257}})
	related := with("rp", map[string]string{"id": "example.org", "name": "x"})

	// No vault yet: every WebAuthn request is the browser's.
	for _, o := range []any{creation.Response, rs256, related} {
		if d := p.decide("webauthn.create", webauthnRequest(o)); d.Decision != "browser" {
			t.Fatalf("no vault: %+v", d)
		}
	}
	p.create()
	if d := p.decide("webauthn.create", webauthnRequest(creation.Response)); d.Decision != "prompt" {
		t.Fatalf("prompt: %+v", d)
	}
	// A public suffix as RP ID is not a suffix Twinkey may claim either: the browser decides (it refuses).
	suffix := with("rp", map[string]string{"id": "co.uk", "name": "x"})
	for name, o := range map[string]any{"RS256 only": rs256, "related origin": related, "public suffix": suffix} {
		if d := p.decide("webauthn.create", webauthnRequest(o)); d.Decision != "browser" {
			t.Fatalf("%s: %+v", name, d)
		}
	}
	if d := p.decide("webauthn.get", webauthnRequest(map[string]any{"challenge": "AAAA"})); d.Decision != "browser" {
		t.Fatalf("username-less get: %+v", d)
	}
	foreign := map[string]any{"challenge": "AAAA", "allowCredentials": []map[string]string{{"type": "public-key", "id": "AAAAAAAA"}}}
	if d := p.decide("webauthn.get", webauthnRequest(foreign)); d.Decision != "usb" || d.Prompt.Hardware == nil {
		t.Fatalf("foreign credential: %+v", d)
	} else {
		var no decision
		p.mustCall("/v1/ceremony/no-host", map[string]string{"ceremony": d.Ceremony}, &no)
		if no.Decision != "browser" {
			t.Fatalf("foreign credential without the USB helper: %+v", no)
		}
	}
	refusals := []struct {
		name, op   string
		frame      map[string]any
		request    any
		want       string
		wantU2F    int
		wantInText string
	}{
		{"bad base64url", "webauthn.create", frame(rpOrigin), webauthnRequest(with("challenge", "%%%")), "EncodingError", 2, ""},
		{"user.id too short", "webauthn.create", frame(rpOrigin), webauthnRequest(with("user", map[string]string{"id": "", "name": "a", "displayName": "a"})), "TypeError", 2, ""},
		{"opaque origin", "webauthn.create", frame("null"), webauthnRequest(creation.Response), "NotAllowedError", 2, ""},
		{"background tab", "webauthn.create", merge(frame(rpOrigin), "tabActive", false), webauthnRequest(creation.Response), "NotAllowedError", 2, "does not have focus"},
		{"cross-origin create without activation", "webauthn.create",
			merge(merge(frame(rpOrigin), "frameId", 3), "ancestorOrigins", []string{"https://top.example"}, "tabOrigin", "https://top.example"),
			webauthnRequest(creation.Response), "NotAllowedError", 2, "user activation"},
		{"Permissions Policy", "webauthn.get", merge(frame(rpOrigin), "allowsGet", false), webauthnRequest(foreign), "NotAllowedError", 4, "publickey-credentials-get"},
		{"tab busy", "webauthn.create", frame(rpOrigin), webauthnRequest(creation.Response), "OperationError", 1, "pending"},
	}
	for _, tc := range refusals {
		body := map[string]any{"op": tc.op, "frame": tc.frame, "request": tc.request, "tabBusy": tc.name == "tab busy"}
		var d decision
		p.mustCall("/v1/ceremony/decide", body, &d)
		if d.Decision != "refuse" || d.Error == nil || d.Error.Name != tc.want || !bytes.Contains([]byte(d.Error.Message), []byte(tc.wantInText)) {
			t.Errorf("%s: %+v %+v", tc.name, d, d.Error)
		}
	}
	// get() from a background tab is not refused (Chromium checks create() only): its prompt waits for the tab.
	if d := p.decideIn(merge(frame(rpOrigin), "tabActive", false), "webauthn.get", webauthnRequest(foreign)); d.Prompt == nil || !d.Prompt.WaitForTab {
		t.Fatalf("get from a background tab: %+v %+v", d, d.Prompt)
	}
	if d := p.decide("webauthn.get", webauthnRequest(foreign)); d.Prompt == nil || d.Prompt.WaitForTab {
		t.Fatalf("get from the tab in front waits: %+v", d.Prompt)
	}
	// The same cross-origin create with a user activation in the frame prompts.
	fr := merge(merge(frame(rpOrigin), "frameId", 3), "ancestorOrigins", []string{"https://top.example"}, "tabOrigin", "https://top.example", "userActivation", true)
	if d := p.decideIn(fr, "webauthn.create", webauthnRequest(creation.Response)); d.Decision != "prompt" || d.Prompt == nil {
		t.Fatalf("cross-origin create with activation: %+v", d)
	}
	// Switched off for the site: the browser's, with none of Twinkey's rules applied.
	p.mustCall("/v1/settings/set", map[string]any{"settings": map[string]any{"sites": map[string]any{"example.com": map[string]any{"off": true}}}}, nil)
	for _, o := range []any{creation.Response, rs256, related, with("challenge", "%%%")} {
		if d := p.decide("webauthn.create", webauthnRequest(o)); d.Decision != "browser" {
			t.Fatalf("site off: %+v", d)
		}
	}
}

func merge(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// After a denial the same origin is refused without a prompt for a short, growing while; an approval resets it.
func TestDenyBackoff(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	p := newProfileAt(t, func() time.Time { return now })
	p.create()
	rp, u := newRP(t), &user{}
	creation, _, _ := rp.BeginRegistration(u)
	req := webauthnRequest(creation.Response)
	end := func(d decision) bridgeError {
		var e struct{ Error bridgeError }
		p.mustCall("/v1/ceremony/end", map[string]string{"ceremony": d.Ceremony, "reason": "denied"}, &e)
		return e.Error
	}
	d := p.decide("webauthn.create", req)
	if e := end(d); e.Name != "NotAllowedError" {
		t.Fatalf("deny: %+v", e)
	}
	if d := p.decide("webauthn.create", req); d.Decision != "refuse" || d.Error.Name != "NotAllowedError" {
		t.Fatalf("asked again at once: %+v", d)
	}
	now = now.Add(3 * time.Second)
	d = p.decide("webauthn.create", req)
	if d.Decision != "prompt" {
		t.Fatalf("after 3 s: %+v", d)
	}
	end(d) // second denial in a row: 6 s
	now = now.Add(5 * time.Second)
	if d := p.decide("webauthn.create", req); d.Decision != "refuse" {
		t.Fatalf("5 s after the second denial: %+v", d)
	}
	now = now.Add(time.Second)
	d = p.decide("webauthn.create", req)
	p.answered(d, "")
	if d := p.decide("webauthn.create", req); d.Decision != "prompt" {
		t.Fatalf("after an approval: %+v", d)
	}
	// Other origins were never held back.
	other := newRPFor(t, "other.example", "https://other.example")
	c2, _, _ := other.BeginRegistration(u)
	if d := p.decideIn(frame("https://other.example"), "webauthn.create", webauthnRequest(c2.Response)); d.Decision != "prompt" {
		t.Fatalf("another origin: %+v", d)
	}
}

func newProfileAt(t *testing.T, now func() time.Time) *profile {
	p := &profile{t: t, local: &bridge.MemoryStorage{}, session: &bridge.MemoryStorage{}}
	p.srv = httptest.NewServer(bridge.NewHandler(bridge.Env{Local: p.local, Session: p.session, Rand: rand.Reader, VaultParams: testParams, Now: now}))
	t.Cleanup(p.srv.Close)
	return p
}

// The twin journey at the bridge level: B restores A's phrase as backup; go-webauthn accepts B without a new
// registration and then flags A's next assertion.
func TestBackupTwinThroughBridge(t *testing.T) {
	a, b := newProfile(t), newProfile(t)
	phrase := a.create()
	rp, u := newRP(t), &user{}
	a.register(rp, u)
	for i := 0; i < 3; i++ {
		a.login(rp, u)
	}
	var role struct{ Role string }
	b.mustCall("/v1/vault/restore", map[string]string{"phrase": phrase, "role": "backup", "passphrase": "another passphrase"}, &role)
	if role.Role != "backup" {
		t.Fatal(role)
	}
	if c := b.login(rp, u); c.Authenticator.CloneWarning {
		t.Fatal("the backup was flagged")
	}
	assertion, session, _ := rp.BeginLogin(u)
	raw := a.answered(a.decide("webauthn.get", webauthnRequest(assertion.Response)), "")
	parsed, _ := gwa.ParseCredentialRequestResponseBytes(raw)
	c, err := rp.ValidateLogin(u, *session, parsed)
	if err != nil || !c.Authenticator.CloneWarning {
		t.Fatalf("the primary after the backup: err %v, clone warning %v", err, c != nil && c.Authenticator.CloneWarning)
	}
}

// Sites known to punish counter jumps get the zero policy by default; the person can still choose per site.
func TestDefaultZeroCounterPolicy(t *testing.T) {
	p := newProfile(t)
	p.create()
	ms := newRPFor(t, "login.microsoft.com", "https://login.microsoft.com")
	u := &user{}
	p.register(ms, u)
	if c := p.login(ms, u); c.Authenticator.SignCount != 0 {
		t.Fatalf("login.microsoft.com got counter %d, want 0 by default", c.Authenticator.SignCount)
	}
	rp, u2 := newRP(t), &user{}
	p.register(rp, u2)
	if c := p.login(rp, u2); c.Authenticator.SignCount == 0 {
		t.Fatal("an ordinary site got the zero policy")
	}
	p.mustCall("/v1/settings/set", map[string]any{"settings": map[string]any{"sites": map[string]any{"login.microsoft.com": map[string]any{"counterPolicy": "twin"}}}}, nil)
	if c := p.login(ms, u); c.Authenticator.SignCount == 0 {
		t.Fatal("the person's twin policy did not apply")
	}
}

// attestationFormats is honoured in the RP's order where Twinkey can produce the format (W3C §5.4
// attestationFormats); go-webauthn verifies each statement.
func TestAttestationFormatsOrder(t *testing.T) {
	p := newProfile(t)
	p.create()
	for _, tc := range []struct {
		formats []string
		want    string
	}{
		{[]string{"fido-u2f", "packed"}, "fido-u2f"},
		{[]string{"tpm", "packed", "fido-u2f"}, "packed"},
		{[]string{"apple"}, "packed"},
	} {
		rp, u := newRP(t), &user{}
		creation, session, _ := rp.BeginRegistration(u, webauthn.WithConveyancePreference(gwa.PreferDirectAttestation))
		var m map[string]any
		b, _ := json.Marshal(creation.Response)
		json.Unmarshal(b, &m)
		m["attestationFormats"] = tc.formats
		parsed, err := gwa.ParseCredentialCreationResponseBytes(p.answered(p.decide("webauthn.create", webauthnRequest(m)), ""))
		if err != nil {
			t.Fatal(err)
		}
		c, err := rp.CreateCredential(u, *session, parsed)
		if err != nil || c.AttestationFormat != tc.want {
			t.Errorf("%v: format %q (%v), want %q", tc.formats, c.AttestationFormat, err, tc.want)
		}
	}
}

// The counter value is reserved while the prompt is shown; the signature then reports exactly it.
func TestCounterReservedWhilePrompting(t *testing.T) {
	p := newProfile(t)
	p.create()
	rp, u := newRP(t), &user{}
	p.register(rp, u)
	first := p.login(rp, u).Authenticator.SignCount
	assertion, session, _ := rp.BeginLogin(u)
	d := p.decide("webauthn.get", webauthnRequest(assertion.Response))
	deadline := time.Now().Add(5 * time.Second)
	for p.storedCounter("primary") != first+2 {
		if time.Now().After(deadline) {
			t.Fatalf("no reservation while prompting: store %d, want %d", p.storedCounter("primary"), first+2)
		}
		time.Sleep(2 * time.Millisecond)
	}
	parsed, _ := gwa.ParseCredentialRequestResponseBytes(p.answered(d, ""))
	c, err := rp.ValidateLogin(u, *session, parsed)
	if err != nil || c.Authenticator.SignCount != first+1 {
		t.Fatalf("signature after the reservation: %v, counter %d, want %d", err, c.Authenticator.SignCount, first+1)
	}
	if got := p.storedCounter("primary"); got != first+2 {
		t.Fatalf("the held value was written again: store %d", got)
	}
}

// --- legacy U2F ---

func TestU2FThroughBridge(t *testing.T) {
	const appID = "https://login.example.com"
	p := newProfile(t)
	p.create()
	ch, _ := u2f.NewChallenge(appID, []string{appID})
	rr := u2f.NewWebRegisterRequest(ch, nil)
	d := p.decide("u2f.register", map[string]any{"appId": appID, "registerRequests": rr.RegisterRequests, "registeredKeys": []any{}})
	if d.Prompt == nil || d.Prompt.AppID != appID || d.TimeoutMs != 30_000 {
		t.Fatalf("register decision %+v %+v", d, d.Prompt)
	}
	var regResp u2f.RegisterResponse
	json.Unmarshal(p.answered(d, ""), &regResp)
	reg, err := u2f.Register(regResp, *ch, &u2f.Config{SkipAttestationVerify: true})
	if err != nil {
		t.Fatalf("tstranex/u2f refuses the bridge's registration: %v", err)
	}
	var counter uint32
	for i := 0; i < 2; i++ {
		ch, _ := u2f.NewChallenge(appID, []string{appID})
		sr := ch.SignRequest([]u2f.Registration{*reg})
		d := p.decide("u2f.sign", map[string]any{"appId": appID, "challenge": sr.Challenge, "registeredKeys": sr.RegisteredKeys})
		var sig u2f.SignResponse
		json.Unmarshal(p.answered(d, ""), &sig)
		if counter, err = reg.Authenticate(sig, *ch, counter); err != nil {
			t.Fatalf("tstranex/u2f refuses the bridge's signature: %v", err)
		}
	}
	// Registering again with the key listed: DEVICE_INELIGIBLE (4), after consent.
	ch2, _ := u2f.NewChallenge(appID, []string{appID})
	rr2 := u2f.NewWebRegisterRequest(ch2, []u2f.Registration{*reg})
	d = p.decide("u2f.register", map[string]any{"appId": appID, "registerRequests": rr2.RegisterRequests, "registeredKeys": rr2.RegisteredKeys})
	if o := p.approve(d.Ceremony, ""); o.Error == nil || o.Error.U2FCode != 4 {
		t.Fatalf("excluded register: %+v", o)
	}
	// An AppID of another site: BAD_REQUEST (2), no prompt.
	if d := p.decide("u2f.register", map[string]any{"appId": "https://evil.example", "registerRequests": rr.RegisterRequests, "registeredKeys": []any{}}); d.Decision != "refuse" || d.Error.U2FCode != 2 {
		t.Fatalf("foreign AppID: %+v", d)
	}
	// Denied: CryptoToken's codes, TIMEOUT (5) for register and DEVICE_INELIGIBLE (4) for sign.
	for op, want := range map[string]int{"u2f.register": 5, "u2f.sign": 4} {
		ch, _ := u2f.NewChallenge(appID, []string{appID})
		req := map[string]any{"appId": appID, "registerRequests": rr.RegisterRequests, "registeredKeys": []any{}}
		if op == "u2f.sign" {
			sr := ch.SignRequest([]u2f.Registration{*reg})
			req = map[string]any{"appId": appID, "challenge": sr.Challenge, "registeredKeys": sr.RegisteredKeys}
		}
		p2 := newProfile(t) // a fresh profile: no back-off from the other denial
		p2.mustCall("/v1/vault/restore", map[string]string{"phrase": p.phrase(), "role": "primary", "passphrase": passphrase}, nil)
		d := p2.decide(op, req)
		var e struct{ Error bridgeError }
		p2.mustCall("/v1/ceremony/end", map[string]string{"ceremony": d.Ceremony, "reason": "denied"}, &e)
		if e.Error.U2FCode != want || e.Error.Name != "NotAllowedError" {
			t.Errorf("%s denied: %+v, want code %d", op, e.Error, want)
		}
	}
	// A handle that is not Twinkey's: the USB key; without the helper, a prompt that says so, and code 4 only
	// after the person closed it — the same timing class as Twinkey's own handle.
	sr := ch.SignRequest([]u2f.Registration{{KeyHandle: bytes.Repeat([]byte{7}, 64), PubKey: reg.PubKey}})
	d = p.decide("u2f.sign", map[string]any{"appId": appID, "challenge": sr.Challenge, "registeredKeys": sr.RegisteredKeys})
	if d.Decision != "usb" {
		t.Fatalf("foreign handle: %+v", d)
	}
	var no decision
	p.mustCall("/v1/ceremony/no-host", map[string]string{"ceremony": d.Ceremony}, &no)
	if no.Decision != "prompt" || !no.Prompt.NotRegistered || no.Ceremony != d.Ceremony {
		t.Fatalf("foreign handle without the helper: %+v", no)
	}
	var e struct{ Error bridgeError }
	p.mustCall("/v1/ceremony/end", map[string]string{"ceremony": d.Ceremony, "reason": "denied"}, &e)
	if e.Error.U2FCode != 4 {
		t.Fatalf("foreign handle closed: %+v", e.Error)
	}
}

func (p *profile) phrase() string {
	var out struct{ Phrase string }
	p.mustCall("/v1/vault/phrase", map[string]string{"passphrase": passphrase}, &out)
	return out.Phrase
}

func TestMalformedBridgeRequests(t *testing.T) {
	p := newProfile(t)
	for _, body := range []string{"[", `{"op":"webauthn.create","frame":1}`, `{"unknown":true}`} {
		p.wantRaw("/v1/ceremony/decide", body, 400, "TypeError")
	}
	p.wantRaw("/v1/ceremony/end", `{"ceremony":"x","reason":"bored"}`, 200, "")
	p.wantRaw("/v1/nope", "{}", 404, "NotFoundError")
}
