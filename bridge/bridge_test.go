package bridge_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gwa "github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/tstranex/u2f"

	"github.com/twinkey/twinkey/bridge"
	"github.com/twinkey/twinkey/core/vault"
)

// A browser profile: one bridge with its own storage.
type profile struct {
	t       *testing.T
	srv     *httptest.Server
	local   *bridge.MemoryStorage
	session *bridge.MemoryStorage
}

var testParams = vault.Params{Time: 1, MemoryKiB: 64, Threads: 1}

func newProfile(t *testing.T) *profile {
	p := &profile{t: t, local: &bridge.MemoryStorage{}, session: &bridge.MemoryStorage{}}
	p.srv = httptest.NewServer(bridge.NewHandler(bridge.Env{Local: p.local, Session: p.session, Rand: rand.Reader, VaultParams: testParams}))
	t.Cleanup(p.srv.Close)
	return p
}

type bridgeError struct {
	Name    string `json:"name"`
	U2FCode int    `json:"u2fCode"`
	Message string `json:"message"`
}

// call posts body to route; it returns the answer decoded into out, or the bridge error.
func (p *profile) call(route string, body any, out any) *bridgeError {
	p.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(p.srv.URL+route, "application/json", bytes.NewReader(b))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error *bridgeError }
		if err := json.Unmarshal(raw, &e); err != nil || e.Error == nil || e.Error.Name == "" || e.Error.Message == "" {
			p.t.Fatalf("%s: status %d with a body outside the error shape: %s", route, resp.StatusCode, raw)
		}
		return e.Error
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("%s: %v in %s", route, err, raw)
		}
	}
	return nil
}

func (p *profile) mustCall(route string, body any, out any) {
	p.t.Helper()
	if e := p.call(route, body, out); e != nil {
		p.t.Fatalf("%s: %s: %s", route, e.Name, e.Message)
	}
}

func (p *profile) wantError(route string, body any, name string) *bridgeError {
	p.t.Helper()
	e := p.call(route, body, nil)
	if e == nil || e.Name != name {
		p.t.Fatalf("%s: got %+v, want %s", route, e, name)
	}
	return e
}

const passphrase = "correct horse battery"

func (p *profile) create() string {
	var out struct{ Role, Phrase string }
	p.mustCall("/v1/vault/create", map[string]string{"passphrase": passphrase}, &out)
	if out.Role != "primary" || len(strings.Fields(out.Phrase)) != 24 {
		p.t.Fatalf("create answered %+v", out)
	}
	return out.Phrase
}

type status struct {
	Exists, Unlocked bool
	Role             string
}

func (p *profile) status() status {
	var s status
	p.mustCall("/v1/vault/status", struct{}{}, &s)
	return s
}

func TestVaultRoutes(t *testing.T) {
	p := newProfile(t)
	if s := p.status(); s.Exists {
		t.Fatal("fresh profile has a vault")
	}
	p.wantError("/v1/vault/unlock", map[string]string{"passphrase": passphrase}, "VaultMissing")
	p.wantError("/v1/vault/create", map[string]string{"passphrase": "short"}, "WeakPassphrase")
	phrase := p.create()
	p.wantError("/v1/vault/create", map[string]string{"passphrase": passphrase}, "VaultExists")
	if s := p.status(); !s.Exists || !s.Unlocked || s.Role != "primary" {
		t.Fatalf("after create: %+v", s)
	}
	p.mustCall("/v1/vault/lock", struct{}{}, nil)
	if s := p.status(); s.Unlocked {
		t.Fatal("still unlocked after lock")
	}
	p.wantError("/v1/vault/unlock", map[string]string{"passphrase": "wrong passphrase"}, "WrongPassphrase")
	p.mustCall("/v1/vault/unlock", map[string]string{"passphrase": passphrase}, nil)
	var again struct{ Phrase string }
	p.wantError("/v1/vault/phrase", map[string]string{"passphrase": "wrong passphrase"}, "WrongPassphrase")
	p.mustCall("/v1/vault/phrase", map[string]string{"passphrase": passphrase}, &again)
	if again.Phrase != phrase {
		t.Fatal("the phrase shown again differs")
	}
	p.mustCall("/v1/vault/passphrase", map[string]string{"old": passphrase, "new": "a new passphrase"}, nil)
	if s := p.status(); !s.Unlocked {
		t.Fatal("changing the passphrase locked the vault")
	}
	p.mustCall("/v1/vault/lock", struct{}{}, nil)
	p.wantError("/v1/vault/unlock", map[string]string{"passphrase": passphrase}, "WrongPassphrase")
	p.mustCall("/v1/vault/unlock", map[string]string{"passphrase": "a new passphrase"}, nil)
	p.wantError("/v1/vault/erase", map[string]string{"confirm": "yes"}, "TypeError")
	p.mustCall("/v1/vault/erase", map[string]string{"confirm": "erase"}, nil)
	if s := p.status(); s.Exists {
		t.Fatal("vault survived erase")
	}
	// Nothing secret stays in clear in storage: no phrase word sequence, no secret.
	for _, st := range []*bridge.MemoryStorage{p.local, p.session} {
		for _, k := range st.Keys() {
			v, _ := st.Get(t.Context(), k)
			if bytes.Contains(v, []byte(strings.Fields(phrase)[0]+" "+strings.Fields(phrase)[1])) {
				t.Fatalf("storage key %q holds the phrase", k)
			}
		}
	}
}

func TestRestoreErrors(t *testing.T) {
	p := newProfile(t)
	words := strings.Fields(newProfile(t).create())
	bad := append([]string(nil), words...)
	bad[6] = "abandn"
	e := p.wantError("/v1/vault/restore", map[string]string{"phrase": strings.Join(bad, " "), "role": "backup", "passphrase": passphrase}, "BadPhrase")
	if !strings.Contains(e.Message, "word 7") {
		t.Fatalf("unknown word message: %q", e.Message)
	}
	words[0], words[1] = words[1], words[0]
	p.wantError("/v1/vault/restore", map[string]string{"phrase": strings.Join(words, " "), "role": "backup", "passphrase": passphrase}, "BadPhrase")
	p.wantError("/v1/vault/restore", map[string]string{"phrase": strings.Join(words[:23], " "), "role": "backup", "passphrase": passphrase}, "BadPhrase")
	p.wantError("/v1/vault/restore", map[string]string{"phrase": strings.Join(words, " "), "role": "king", "passphrase": passphrase}, "TypeError")
}

// --- WebAuthn through the bridge, verified by go-webauthn ---

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

func newRP(t *testing.T) *webauthn.WebAuthn {
	rp, err := webauthn.New(&webauthn.Config{RPID: rpID, RPDisplayName: "Example", RPOrigins: []string{rpOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

var approved = map[string]bool{"userPresent": true}

func (p *profile) register(rp *webauthn.WebAuthn, u *user, opts ...webauthn.RegistrationOption) {
	p.t.Helper()
	creation, session, err := rp.BeginRegistration(u, opts...)
	if err != nil {
		p.t.Fatal(err)
	}
	var prep struct{ Handler, RPID string }
	p.mustCall("/v1/webauthn/prepare", map[string]any{"op": "create", "origin": rpOrigin, "options": creation.Response}, &prep)
	if prep.Handler != "twinkey" || prep.RPID != rpID {
		p.t.Fatalf("prepare: %+v", prep)
	}
	var raw json.RawMessage
	p.mustCall("/v1/webauthn/create", map[string]any{"origin": rpOrigin, "options": creation.Response, "approval": approved}, &raw)
	parsed, err := gwa.ParseCredentialCreationResponseBytes(raw)
	if err != nil {
		p.t.Fatal(err)
	}
	c, err := rp.CreateCredential(u, *session, parsed)
	if err != nil {
		p.t.Fatalf("go-webauthn refuses the bridge's registration: %v", err)
	}
	u.creds = append(u.creds, *c)
}

func (p *profile) login(rp *webauthn.WebAuthn, u *user, policy string) *webauthn.Credential {
	p.t.Helper()
	assertion, session, err := rp.BeginLogin(u)
	if err != nil {
		p.t.Fatal(err)
	}
	var prep struct{ Handler string }
	p.mustCall("/v1/webauthn/prepare", map[string]any{"op": "get", "origin": rpOrigin, "options": assertion.Response}, &prep)
	if prep.Handler != "twinkey" {
		p.t.Fatalf("prepare get: %+v", prep)
	}
	var raw json.RawMessage
	p.mustCall("/v1/webauthn/get", map[string]any{"origin": rpOrigin, "options": assertion.Response, "approval": approved, "counterPolicy": policy}, &raw)
	parsed, err := gwa.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		p.t.Fatal(err)
	}
	c, err := rp.ValidateLogin(u, *session, parsed)
	if err != nil {
		p.t.Fatalf("go-webauthn refuses the bridge's assertion: %v", err)
	}
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
		if c := p.login(rp, u, ""); c.Authenticator.CloneWarning {
			t.Fatal("clone warning")
		}
	}
	// Without approval nothing is signed.
	assertion, _, _ := rp.BeginLogin(u)
	p.wantError("/v1/webauthn/get", map[string]any{"origin": rpOrigin, "options": assertion.Response}, "NotAllowedError")
	// Excluded credential: InvalidStateError after consent.
	creation, _, _ := rp.BeginRegistration(u, webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()))
	var prep struct{ Excluded bool }
	p.mustCall("/v1/webauthn/prepare", map[string]any{"op": "create", "origin": rpOrigin, "options": creation.Response}, &prep)
	if !prep.Excluded {
		t.Fatal("prepare does not see the excluded credential")
	}
	p.wantError("/v1/webauthn/create", map[string]any{"origin": rpOrigin, "options": creation.Response, "approval": approved}, "InvalidStateError")
	// Locked: signing routes refuse; prepare still validates and says locked.
	p.mustCall("/v1/vault/lock", struct{}{}, nil)
	p.wantError("/v1/webauthn/get", map[string]any{"origin": rpOrigin, "options": assertion.Response, "approval": approved}, "VaultLocked")
	var locked struct{ Locked bool }
	p.mustCall("/v1/webauthn/prepare", map[string]any{"op": "get", "origin": rpOrigin, "options": assertion.Response}, &locked)
	if !locked.Locked {
		t.Fatal("prepare while locked does not say so")
	}
}

func TestClientRuleRefusals(t *testing.T) {
	p := newProfile(t)
	p.create()
	rp, u := newRP(t), &user{}
	creation, _, _ := rp.BeginRegistration(u)
	opts, _ := json.Marshal(creation.Response)
	var m map[string]any
	json.Unmarshal(opts, &m)
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range m {
			c[kk] = vv
		}
		c[k] = v
		return c
	}
	prepare := func(origin string, options any) map[string]any {
		return map[string]any{"op": "create", "origin": origin, "options": options}
	}
	p.wantError("/v1/webauthn/prepare", prepare("http://login.example.com", m), "SecurityError")
	p.wantError("/v1/webauthn/prepare", prepare("https://evil.example", m), "SecurityError")
	p.wantError("/v1/webauthn/prepare", prepare(rpOrigin, with("rp", map[string]string{"id": "com", "name": "x"})), "SecurityError")
	p.wantError("/v1/webauthn/prepare", prepare("https://foo.co.uk", with("rp", map[string]string{"id": "co.uk", "name": "x"})), "SecurityError")
	p.wantError("/v1/webauthn/prepare", prepare(rpOrigin, with("pubKeyCredParams", []map[string]any{{"type": "public-key", "alg": -257}})), "NotSupportedError")
	p.wantError("/v1/webauthn/prepare", prepare(rpOrigin, with("challenge", "%%%")), "EncodingError")
	p.wantError("/v1/webauthn/prepare", prepare(rpOrigin, with("user", map[string]string{"id": "", "name": "a", "displayName": "a"})), "TypeError")
	p.wantError("/v1/webauthn/prepare", prepare("null", m), "NotAllowedError")
	var local struct{ RPID string }
	p.mustCall("/v1/webauthn/prepare", prepare("http://localhost:8080", with("rp", map[string]string{"name": "x"})), &local)
	if local.RPID != "localhost" {
		t.Fatalf("localhost RP ID %q", local.RPID)
	}
}

// The twin journey at the bridge level: B restores A's phrase as backup; go-webauthn accepts B without a new
// registration and then flags A's next assertion.
func TestBackupTwinThroughBridge(t *testing.T) {
	a, b := newProfile(t), newProfile(t)
	phrase := a.create()
	rp, u := newRP(t), &user{}
	a.register(rp, u)
	for i := 0; i < 3; i++ {
		a.login(rp, u, "")
	}
	var role struct{ Role string }
	b.mustCall("/v1/vault/restore", map[string]string{"phrase": phrase, "role": "backup", "passphrase": "another passphrase"}, &role)
	if role.Role != "backup" {
		t.Fatal(role)
	}
	if c := b.login(rp, u, ""); c.Authenticator.CloneWarning {
		t.Fatal("the backup was flagged")
	}
	assertion, session, _ := rp.BeginLogin(u)
	var raw json.RawMessage
	a.mustCall("/v1/webauthn/get", map[string]any{"origin": rpOrigin, "options": assertion.Response, "approval": approved}, &raw)
	parsed, _ := gwa.ParseCredentialRequestResponseBytes(raw)
	c, err := rp.ValidateLogin(u, *session, parsed)
	if err != nil || !c.Authenticator.CloneWarning {
		t.Fatalf("the primary after the backup: err %v, clone warning %v", err, c != nil && c.Authenticator.CloneWarning)
	}
}

// --- legacy U2F through the bridge, verified by tstranex/u2f ---

func TestU2FThroughBridge(t *testing.T) {
	const appID = "https://login.example.com"
	p := newProfile(t)
	p.create()
	ch, _ := u2f.NewChallenge(appID, []string{appID})
	rr := u2f.NewWebRegisterRequest(ch, nil)
	req := map[string]any{"origin": rpOrigin, "appId": appID, "registerRequests": rr.RegisterRequests, "registeredKeys": []any{}, "approval": approved}
	var regResp u2f.RegisterResponse
	p.mustCall("/v1/u2f/register", req, &regResp)
	reg, err := u2f.Register(regResp, *ch, &u2f.Config{SkipAttestationVerify: true})
	if err != nil {
		t.Fatalf("tstranex/u2f refuses the bridge's registration: %v", err)
	}
	var counter uint32
	for i := 0; i < 2; i++ {
		ch, _ := u2f.NewChallenge(appID, []string{appID})
		sr := ch.SignRequest([]u2f.Registration{*reg})
		body := map[string]any{"origin": rpOrigin, "appId": appID, "challenge": sr.Challenge, "registeredKeys": sr.RegisteredKeys}
		var prep struct {
			Handler    string
			KeyHandles []string
		}
		p.mustCall("/v1/u2f/prepare", map[string]any{"op": "sign", "origin": rpOrigin, "appId": appID, "challenge": sr.Challenge, "registeredKeys": sr.RegisteredKeys}, &prep)
		if prep.Handler != "twinkey" || len(prep.KeyHandles) != 1 {
			t.Fatalf("prepare sign: %+v", prep)
		}
		body["approval"] = approved
		var sig u2f.SignResponse
		p.mustCall("/v1/u2f/sign", body, &sig)
		if counter, err = reg.Authenticate(sig, *ch, counter); err != nil {
			t.Fatalf("tstranex/u2f refuses the bridge's signature: %v", err)
		}
	}
	// Registering again with the key listed: DEVICE_INELIGIBLE (4) after consent.
	ch2, _ := u2f.NewChallenge(appID, []string{appID})
	rr2 := u2f.NewWebRegisterRequest(ch2, []u2f.Registration{*reg})
	e := p.wantError("/v1/u2f/register", map[string]any{"origin": rpOrigin, "appId": appID, "registerRequests": rr2.RegisterRequests, "registeredKeys": rr2.RegisteredKeys, "approval": approved}, "InvalidStateError")
	if e.U2FCode != 4 {
		t.Fatalf("u2fCode %d, want 4", e.U2FCode)
	}
	// An AppID of another site: BAD_REQUEST (2).
	e = p.wantError("/v1/u2f/prepare", map[string]any{"op": "register", "origin": rpOrigin, "appId": "https://evil.example", "registerRequests": rr.RegisterRequests, "registeredKeys": []any{}}, "SecurityError")
	if e.U2FCode != 2 {
		t.Fatalf("u2fCode %d, want 2", e.U2FCode)
	}
}

func TestMalformedBridgeRequests(t *testing.T) {
	p := newProfile(t)
	for _, body := range []string{"[", `{"op":"create","origin":1}`, `{"unknown":true}`} {
		resp, err := http.Post(p.srv.URL+"/v1/webauthn/prepare", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error *bridgeError }
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || e.Error == nil || e.Error.Name != "TypeError" {
			t.Fatalf("%s: %d %+v", body, resp.StatusCode, e.Error)
		}
	}
	resp, _ := http.Post(p.srv.URL+"/v1/nope", "application/json", strings.NewReader("{}"))
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown route: %d", resp.StatusCode)
	}
}

// failingStorage fails writes of one key, as a browser killed in the middle of a storage write would leave it:
// the write either happened whole (chrome.storage writes a value at once) or not at all.
type failingStorage struct {
	*bridge.MemoryStorage
	failKey string
}

func (f *failingStorage) Set(ctx context.Context, key string, value []byte) error {
	if key == f.failKey {
		return errors.New("interrupted")
	}
	return f.MemoryStorage.Set(ctx, key, value)
}

func (f *failingStorage) Delete(ctx context.Context, key string) error {
	if key == f.failKey {
		return errors.New("interrupted")
	}
	return f.MemoryStorage.Delete(ctx, key)
}

// Changing the passphrase or erasing, interrupted at any step, leaves the old vault or the new one, readable.
func TestInterruptedPassphraseChangeAndErase(t *testing.T) {
	local, session := &bridge.MemoryStorage{}, &bridge.MemoryStorage{}
	flaky := &failingStorage{MemoryStorage: local}
	p := &profile{t: t, local: local, session: session}
	p.srv = httptest.NewServer(bridge.NewHandler(bridge.Env{Local: flaky, Session: session, Rand: rand.Reader, VaultParams: testParams}))
	t.Cleanup(p.srv.Close)
	phrase := p.create()

	// The new vault file cannot be written: the old one stays, and the old passphrase still opens it.
	flaky.failKey = "vault"
	if e := p.call("/v1/vault/passphrase", map[string]string{"old": passphrase, "new": "a new passphrase"}, nil); e == nil {
		t.Fatal("passphrase change reported success without writing the vault")
	}
	flaky.failKey = ""
	p.mustCall("/v1/vault/lock", struct{}{}, nil)
	p.mustCall("/v1/vault/unlock", map[string]string{"passphrase": passphrase}, nil)
	p.wantError("/v1/vault/unlock", map[string]string{"passphrase": "a new passphrase"}, "WrongPassphrase")

	// Erase interrupted after the session key went: the vault is still there, locked, and opens again.
	flaky.failKey = "vault"
	if e := p.call("/v1/vault/erase", map[string]string{"confirm": "erase"}, nil); e == nil {
		t.Fatal("erase reported success without removing the vault")
	}
	flaky.failKey = ""
	if s := p.status(); !s.Exists || s.Unlocked {
		t.Fatalf("after an interrupted erase: %+v", s)
	}
	var again struct{ Phrase string }
	p.mustCall("/v1/vault/phrase", map[string]string{"passphrase": passphrase}, &again)
	if again.Phrase != phrase {
		t.Fatal("the vault after an interrupted erase holds another secret")
	}
}

// storedCounter answers the next counter value the profile's storage records for role.
func (p *profile) storedCounter(role string) uint32 {
	p.t.Helper()
	b, _ := p.local.Get(context.Background(), "counter."+role)
	if len(b) != 4 {
		p.t.Fatalf("counter.%s = %x", role, b)
	}
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// /v1/counter/reserve stores the next value as used before any signature, and the next twin-policy signature
// reports exactly that value without writing again.
func TestCounterReservedAhead(t *testing.T) {
	p := newProfile(t)
	p.create()
	rp, u := newRP(t), &user{}
	p.register(rp, u)
	first := p.login(rp, u, "").Authenticator.SignCount
	if got := p.storedCounter("primary"); got != first+1 {
		t.Fatalf("after a signature with %d the store records %d", first, got)
	}
	for i := 0; i < 2; i++ { // asking again holds the same value
		p.mustCall("/v1/counter/reserve", struct{}{}, nil)
		if got := p.storedCounter("primary"); got != first+2 {
			t.Fatalf("reserve #%d: the store records %d, want %d (held %d stored as used)", i, got, first+2, first+1)
		}
	}
	// A zero-policy signature spends no counter value and leaves the held one.
	p.login(rp, u, "zero")
	if got := p.storedCounter("primary"); got != first+2 {
		t.Fatalf("a zero-policy signature moved the store to %d", got)
	}
	u.creds[0].Authenticator.CloneWarning = false // go-webauthn flags 0 after 1: the zero policy is per site, not per login
	if c := p.login(rp, u, ""); c.Authenticator.SignCount != first+1 || c.Authenticator.CloneWarning {
		t.Fatalf("signature after reserve reported %d (clone warning %v), want the held %d",
			c.Authenticator.SignCount, c.Authenticator.CloneWarning, first+1)
	}
	if got := p.storedCounter("primary"); got != first+2 {
		t.Fatalf("the held value was written again: store %d", got)
	}
	if c := p.login(rp, u, ""); c.Authenticator.SignCount != first+2 {
		t.Fatalf("next signature reported %d, want %d", c.Authenticator.SignCount, first+2)
	}
	p.mustCall("/v1/vault/lock", struct{}{}, nil)
	p.wantError("/v1/counter/reserve", struct{}{}, "VaultLocked")
	p.wantError("/v1/counter/reserve", map[string]any{"role": "backup"}, "TypeError")
}

// A new instance over the same storage (the service worker restarted) has no held value: the reserved one is
// skipped, never reused.
func TestCounterReservedAheadSkippedAfterRestart(t *testing.T) {
	p := newProfile(t)
	p.create()
	rp, u := newRP(t), &user{}
	p.register(rp, u)
	first := p.login(rp, u, "").Authenticator.SignCount
	p.mustCall("/v1/counter/reserve", struct{}{}, nil) // holds first+1
	p.srv.Close()
	p.srv = httptest.NewServer(bridge.NewHandler(bridge.Env{Local: p.local, Session: p.session, Rand: rand.Reader, VaultParams: testParams}))
	t.Cleanup(p.srv.Close)
	if c := p.login(rp, u, ""); c.Authenticator.SignCount != first+2 {
		t.Fatalf("after a restart: %d, want %d (the held %d skipped)", c.Authenticator.SignCount, first+2, first+1)
	}
}
