package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testOrigin = "https://rp.example.test"

var b64 = base64.RawURLEncoding

// softU2FToken is a minimal U2F authenticator written for these tests (FIDO U2F raw messages v1.2 §4.3, §5.4):
// one key per registration, a self-signed attestation certificate.
type softU2FToken struct {
	t         *testing.T
	attKey    *ecdsa.PrivateKey
	attCert   []byte
	keys      map[string]*ecdsa.PrivateKey // by base64url key handle
	keyHandle string                       // the last registered one
}

func newSoftU2FToken(t *testing.T) *softU2FToken {
	t.Helper()
	attKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "soft U2F test token"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &attKey.PublicKey, attKey)
	if err != nil {
		t.Fatal(err)
	}
	return &softU2FToken{t: t, attKey: attKey, attCert: cert, keys: map[string]*ecdsa.PrivateKey{}}
}

func pointOf(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	pub, err := k.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	return pub.Bytes()
}

func sign(t *testing.T, k *ecdsa.PrivateKey, msg ...[]byte) []byte {
	t.Helper()
	digest := sha256.Sum256(bytes.Join(msg, nil))
	sig, err := ecdsa.SignASN1(rand.Reader, k, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// register answers a u2f.register request as the JavaScript API's RegisterResponse.
func (tok *softU2FToken) register(appID, challenge, origin string) map[string]string {
	t := tok.t
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	kh := make([]byte, 48)
	rand.Read(kh)
	tok.keyHandle = b64.EncodeToString(kh)
	tok.keys[tok.keyHandle] = key
	clientData, _ := json.Marshal(map[string]string{"typ": "navigator.id.finishEnrollment", "challenge": challenge, "origin": origin})
	app, chal := sha256.Sum256([]byte(appID)), sha256.Sum256(clientData)
	pub := pointOf(t, key)
	sig := sign(t, tok.attKey, []byte{0}, app[:], chal[:], kh, pub)
	data := bytes.Join([][]byte{{0x05}, pub, {byte(len(kh))}, kh, tok.attCert, sig}, nil)
	return map[string]string{"version": "U2F_V2", "registrationData": b64.EncodeToString(data), "clientData": b64.EncodeToString(clientData)}
}

// sign answers a u2f.sign request with the given counter, as the JavaScript API's SignResponse.
func (tok *softU2FToken) sign(appID, challenge, origin string, counter uint32) map[string]string {
	t := tok.t
	clientData, _ := json.Marshal(map[string]string{"typ": "navigator.id.getAssertion", "challenge": challenge, "origin": origin})
	app, chal := sha256.Sum256([]byte(appID)), sha256.Sum256(clientData)
	ctr := binary.BigEndian.AppendUint32(nil, counter)
	sig := sign(t, tok.keys[tok.keyHandle], app[:], []byte{0x01}, ctr, chal[:])
	return map[string]string{
		"keyHandle":     tok.keyHandle,
		"signatureData": b64.EncodeToString(bytes.Join([][]byte{{0x01}, ctr, sig}, nil)),
		"clientData":    b64.EncodeToString(clientData),
	}
}

// assertWithAppID answers navigator.credentials.get with the appid extension used: the authenticator data is
// scoped to SHA-256(appID) (W3C WebAuthn Level 3 §10.1.1), the credential is the U2F key handle.
func (tok *softU2FToken) assertWithAppID(appID, challenge, origin string, counter uint32) map[string]any {
	t := tok.t
	app := sha256.Sum256([]byte(appID))
	authData := bytes.Join([][]byte{app[:], {0x01}, binary.BigEndian.AppendUint32(nil, counter)}, nil)
	clientData, _ := json.Marshal(map[string]any{"type": "webauthn.get", "challenge": challenge, "origin": origin, "crossOrigin": false})
	cdHash := sha256.Sum256(clientData)
	sig := sign(t, tok.keys[tok.keyHandle], authData, cdHash[:])
	return map[string]any{
		"id": tok.keyHandle, "rawId": tok.keyHandle, "type": "public-key",
		"response": map[string]string{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(sig),
		},
		"clientExtensionResults": map[string]any{"appid": true},
	}
}

func newTestServer(t *testing.T) *server {
	t.Helper()
	s, err := newServer(t.TempDir(), []string{testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// call POSTs body to path on testOrigin and decodes the answer into a generic map.
func call(t *testing.T, s *server, path string, body any) (int, map[string]any) {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, testOrigin+path, bytes.NewReader(raw)))
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s: answer is not JSON: %q", path, rec.Body.String())
	}
	return rec.Code, out
}

func mustOK(t *testing.T, path string, code int, out map[string]any) {
	t.Helper()
	if code != http.StatusOK || out["ok"] != true {
		t.Fatalf("%s: status %d, %v", path, code, out)
	}
}

func mustRefuseAsClone(t *testing.T, what string, code int, out map[string]any) {
	t.Helper()
	if code != http.StatusForbidden || out["code"] != string(codePossibleClone) ||
		!strings.Contains(out["error"].(string), "possible cloned authenticator") {
		t.Fatalf("%s: want a possible-clone refusal, got status %d, %v", what, code, out)
	}
}

func storedCredential(t *testing.T, s *server, user string) credentialJSON {
	t.Helper()
	st := s.store.snapshot(user)
	if len(st.Users) != 1 || len(st.Users[0].Credentials) != 1 {
		t.Fatalf("want one user with one credential, got %+v", st.Users)
	}
	return st.Users[0].Credentials[0]
}

type u2fSession struct {
	ceremony, appID, challenge string
}

func beginU2F(t *testing.T, s *server, path, user string) u2fSession {
	t.Helper()
	code, out := call(t, s, path, map[string]string{"username": user})
	mustOK(t, path, code, out)
	opts := out["options"].(map[string]any)
	sess := u2fSession{ceremony: out["ceremony"].(string), appID: opts["appId"].(string)}
	if c, ok := opts["challenge"].(string); ok {
		sess.challenge = c
	} else {
		sess.challenge = opts["registerRequests"].([]any)[0].(map[string]any)["challenge"].(string)
	}
	return sess
}

func u2fSign(t *testing.T, s *server, tok *softU2FToken, user string, counter uint32) (int, map[string]any) {
	t.Helper()
	sess := beginU2F(t, s, "/api/u2f/sign/begin", user)
	return call(t, s, "/api/u2f/sign/finish?ceremony="+sess.ceremony, tok.sign(sess.appID, sess.challenge, testOrigin, counter))
}

func webauthnAppIDLogin(t *testing.T, s *server, tok *softU2FToken, user string, counter uint32) (int, map[string]any) {
	t.Helper()
	code, out := call(t, s, "/api/webauthn/login/begin", map[string]any{"username": user, "appid": true})
	mustOK(t, "login/begin", code, out)
	pk := out["options"].(map[string]any)["publicKey"].(map[string]any)
	appID := pk["extensions"].(map[string]any)["appid"].(string)
	if appID != testOrigin {
		t.Fatalf("appid extension input %q, want the page's origin %q", appID, testOrigin)
	}
	allowed := pk["allowCredentials"].([]any)
	if len(allowed) != 1 || allowed[0].(map[string]any)["id"] != tok.keyHandle {
		t.Fatalf("allowCredentials %v, want the U2F key handle %s", allowed, tok.keyHandle)
	}
	body := tok.assertWithAppID(appID, pk["challenge"].(string), testOrigin, counter)
	return call(t, s, "/api/webauthn/login/finish?ceremony="+out["ceremony"].(string), body)
}

// TestU2FRegistrationSignsInThroughBothAPIsWithOneCounter registers through the U2F API (tstranex/u2f verifies),
// signs in through U2F and through WebAuthn with the appid extension (go-webauthn verifies), and checks that both
// paths refuse a counter that did not increase and share one stored counter.
func TestU2FRegistrationSignsInThroughBothAPIsWithOneCounter(t *testing.T) {
	s := newTestServer(t)
	tok := newSoftU2FToken(t)

	reg := beginU2F(t, s, "/api/u2f/register/begin", "alice")
	if reg.appID != testOrigin {
		t.Fatalf("default AppID %q, want the page's origin", reg.appID)
	}
	code, out := call(t, s, "/api/u2f/register/finish?ceremony="+reg.ceremony, tok.register(reg.appID, reg.challenge, testOrigin))
	mustOK(t, "u2f/register/finish", code, out)
	cred := storedCredential(t, s, "alice")
	if cred.Source != sourceU2F || cred.Format != "fido-u2f" || cred.ID != tok.keyHandle || cred.AppID != testOrigin ||
		cred.SignCount != 0 || !strings.Contains(cred.AttestationSubject, "soft U2F test token") {
		t.Fatalf("stored credential %+v", cred)
	}

	steps := []struct {
		name    string
		do      func(t *testing.T, s *server, tok *softU2FToken, user string, counter uint32) (int, map[string]any)
		counter uint32
		clone   bool
	}{
		{"u2f sign, counter 5", u2fSign, 5, false},
		{"u2f sign, same counter", u2fSign, 5, true},  // tstranex accepts it; this RP does not
		{"u2f sign, lower counter", u2fSign, 3, true}, // tstranex: ErrCounterTooLow
		{"webauthn+appid, counter 7", webauthnAppIDLogin, 7, false},
		{"u2f sign after webauthn, counter 6", u2fSign, 6, true}, // one counter for both APIs
		{"webauthn+appid, same counter", webauthnAppIDLogin, 7, true},
		{"webauthn+appid, lower counter", webauthnAppIDLogin, 2, true},
		{"u2f sign, counter 8", u2fSign, 8, false},
	}
	wantStored, refusals, logins := uint32(0), 0, 0
	for _, step := range steps {
		code, out := step.do(t, s, tok, "alice", step.counter)
		if step.clone {
			mustRefuseAsClone(t, step.name, code, out)
			refusals++
		} else {
			mustOK(t, step.name, code, out)
			wantStored = step.counter
			logins++
		}
		got := storedCredential(t, s, "alice")
		if got.SignCount != wantStored || got.Refusals != refusals || got.Logins != logins {
			t.Fatalf("after %s: stored counter %d, refusals %d, logins %d; want %d, %d, %d",
				step.name, got.SignCount, got.Refusals, got.Logins, wantStored, refusals, logins)
		}
	}
	last := s.store.snapshot("alice").LastResult
	if last == nil || !last.OK || last.Op != ceremonyU2FSign || last.SignCount != 8 {
		t.Fatalf("last result %+v", last)
	}
}

// TestWebAuthnLoginWithoutAppIDDoesNotOfferU2FRegistrations: a U2F registration is scoped to its AppID, so a
// plain WebAuthn login (RP ID rp.example.test) has nothing to offer.
func TestWebAuthnLoginWithoutAppIDDoesNotOfferU2FRegistrations(t *testing.T) {
	s := newTestServer(t)
	tok := newSoftU2FToken(t)
	reg := beginU2F(t, s, "/api/u2f/register/begin", "bob")
	code, out := call(t, s, "/api/u2f/register/finish?ceremony="+reg.ceremony, tok.register(reg.appID, reg.challenge, testOrigin))
	mustOK(t, "u2f/register/finish", code, out)
	code, out = call(t, s, "/api/webauthn/login/begin", map[string]any{"username": "bob"})
	if code != http.StatusNotFound || out["code"] != string(codeNoCredentials) {
		t.Fatalf("login without appid: status %d, %v", code, out)
	}
}

// TestCeremoniesFinishOnce: a finish replayed with the same ceremony ID is refused.
func TestCeremoniesFinishOnce(t *testing.T) {
	s := newTestServer(t)
	tok := newSoftU2FToken(t)
	reg := beginU2F(t, s, "/api/u2f/register/begin", "carol")
	body := tok.register(reg.appID, reg.challenge, testOrigin)
	code, out := call(t, s, "/api/u2f/register/finish?ceremony="+reg.ceremony, body)
	mustOK(t, "first finish", code, out)
	code, out = call(t, s, "/api/u2f/register/finish?ceremony="+reg.ceremony, body)
	if code != http.StatusBadRequest || out["code"] != string(codeCeremony) {
		t.Fatalf("replayed finish: status %d, %v", code, out)
	}
}

// FuzzFinishBodies posts arbitrary bodies to every finish endpoint: the RP must answer JSON, never accept, never
// panic, and never change the stored counter.
func FuzzFinishBodies(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"keyHandle":"AAAA","signatureData":"AQAAAAUw","clientData":"e30"}`))
	f.Add([]byte(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":""},"clientExtensionResults":{"appid":true}}`))
	f.Add([]byte(`{"version":"U2F_V2","registrationData":"BQ","clientData":"e30"}`))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := newTestServer(t)
		tok := newSoftU2FToken(t)
		reg := beginU2F(t, s, "/api/u2f/register/begin", "fuzz")
		code, out := call(t, s, "/api/u2f/register/finish?ceremony="+reg.ceremony, tok.register(reg.appID, reg.challenge, testOrigin))
		mustOK(t, "register", code, out)
		for _, p := range []struct{ begin, finish string }{
			{"/api/u2f/sign/begin", "/api/u2f/sign/finish"},
			{"/api/webauthn/login/begin", "/api/webauthn/login/finish"},
			{"/api/u2f/register/begin", "/api/u2f/register/finish"},
			{"/api/webauthn/register/begin", "/api/webauthn/register/finish"},
		} {
			begin := map[string]any{"username": "fuzz"}
			if p.begin == "/api/webauthn/login/begin" {
				begin["appid"] = true
			}
			code, out := call(t, s, p.begin, begin)
			mustOK(t, p.begin, code, out)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, testOrigin+p.finish+"?ceremony="+out["ceremony"].(string), bytes.NewReader(body)))
			var answer map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
				t.Fatalf("%s: answer is not JSON: %q", p.finish, rec.Body.String())
			}
			if rec.Code == http.StatusOK || answer["ok"] != false {
				t.Fatalf("%s accepted a forged body %q: %v", p.finish, body, answer)
			}
		}
		if c := storedCredential(t, s, "fuzz"); c.SignCount != 0 || c.Logins != 0 {
			t.Fatalf("stored credential changed: %+v", c)
		}
	})
}
