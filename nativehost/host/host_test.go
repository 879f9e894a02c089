package host_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/tstranex/u2f"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/host"
	"github.com/twinkey/twinkey/nativehost/messaging"
	_ "github.com/twinkey/twinkey/nativehost/simkey/simhost"
)

// client is the browser end of a native messaging port connected to a Host over pipes. Like Chrome, it takes
// the host's replies as they come (a goroutine queues them), so a send never waits on an unread reply.
type client struct {
	t       *testing.T
	inW     *io.PipeWriter
	replies chan []byte // frames from the host; closed at EOF
	next    int
}

type reply struct {
	ID       string              `json:"id"`
	Type     string              `json:"type"`
	Result   json.RawMessage     `json:"result"`
	Error    *messaging.Error    `json:"error"`
	Progress *messaging.Progress `json:"progress"`
}

func connect(t *testing.T, env map[string]string) *client {
	t.Helper()
	key, err := host.SimulatedKeyFromEnv(func(k string) string { return env[k] })
	if err != nil || key == nil {
		t.Fatalf("simulated key: %v", err)
	}
	t.Cleanup(func() { key.Close() })
	return connectSource(t, host.SimulatedSource{Key: key})
}

// connectSource connects a client to a host over the keys src offers.
func connectSource(t *testing.T, src host.DeviceSource) *client {
	t.Helper()
	h := host.New(host.Config{Version: "test", Devices: src, Simulated: true,
		PollInterval: 20 * time.Millisecond, CTAPHID: ctaphid.Options{ResponseTimeout: 60 * time.Second}})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan struct{})
	go func() { h.Serve(context.Background(), inR, outW); outW.Close(); close(done) }()
	replies := make(chan []byte, 256)
	go func() {
		defer close(replies)
		for {
			b, err := messaging.ReadFrame(outR, messaging.MaxOutgoing)
			if err != nil {
				return
			}
			replies <- b
		}
	}()
	t.Cleanup(func() {
		inW.Close()
		go func() {
			for range replies {
			}
		}()
		<-done
	})
	return &client{t: t, inW: inW, replies: replies}
}

func (c *client) send(typ string, params any) string {
	c.t.Helper()
	c.next++
	id := "r" + string(rune('0'+c.next))
	b, _ := json.Marshal(params)
	msg, _ := json.Marshal(messaging.Request{ID: id, Type: typ, Params: b})
	if err := messaging.WriteFrame(c.inW, msg); err != nil {
		c.t.Fatal(err)
	}
	return id
}

// sendRaw sends a message as given and returns the id the test reads it under ("s" for every raw message).
func (c *client) sendRaw(msg string) string {
	c.t.Helper()
	if err := messaging.WriteFrame(c.inW, []byte(msg)); err != nil {
		c.t.Fatal(err)
	}
	return "s"
}

func (c *client) read() reply {
	c.t.Helper()
	var b []byte
	select {
	case f, ok := <-c.replies:
		if !ok {
			c.t.Fatal("read: the host closed the port")
		}
		b = f
	case <-time.After(60 * time.Second):
		c.t.Fatal("read: no reply from the host in 60 s")
	}
	var r reply
	if err := json.Unmarshal(b, &r); err != nil {
		c.t.Fatalf("reply %q: %v", b, err)
	}
	return r
}

// call sends a request and returns its final reply and the progress events before it.
func (c *client) call(typ string, params any) (reply, []string) {
	c.t.Helper()
	id := c.send(typ, params)
	var events []string
	for {
		r := c.read()
		if r.ID != id {
			c.t.Fatalf("reply for %q while waiting for %q", r.ID, id)
		}
		if r.Type == messaging.ReplyProgress {
			events = append(events, r.Progress.Event)
			continue
		}
		return r, events
	}
}

func result[T any](t *testing.T, r reply) T {
	t.Helper()
	if r.Type != messaging.ReplyResult {
		t.Fatalf("want result, got %s %+v", r.Type, r.Error)
	}
	var v T
	if err := json.Unmarshal(r.Result, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
func hash(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

type rpUser struct{ creds []webauthn.Credential }

func (u *rpUser) WebAuthnID() []byte                         { return []byte("user-ann") }
func (u *rpUser) WebAuthnName() string                       { return "ann" }
func (u *rpUser) WebAuthnDisplayName() string                { return "Ann" }
func (u *rpUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func cdj(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": "https://example.com", "crossOrigin": false})
	return b
}

// TestWebAuthnThroughTheHost drives webauthn.create and webauthn.get as JSON messages and has go-webauthn verify
// the decoded results: this checks the base64url fields and the message formats, not only the ceremony.
func TestWebAuthnThroughTheHost(t *testing.T) {
	c := connect(t, map[string]string{host.EnvSimulatedKey: "slow-touch"})
	hello := result[host.HelloResult](t, func() reply { r, _ := c.call("hello", nil); return r }())
	if hello.Name != host.Name || !hello.Simulated || hello.Protocol != host.ProtocolVersion {
		t.Fatalf("hello %+v", hello)
	}
	devs := result[host.DevicesResult](t, func() reply { r, _ := c.call("devices", nil); return r }())
	if len(devs.Devices) != 1 || !devs.Devices[0].CTAP2 || !devs.Devices[0].U2F || devs.Devices[0].PIN != "unset" {
		t.Fatalf("devices %+v", devs)
	}

	w, _ := webauthn.New(&webauthn.Config{RPID: "example.com", RPDisplayName: "Example", RPOrigins: []string{"https://example.com"}})
	user := &rpUser{}
	_, session, _ := w.BeginRegistration(user)
	cd := cdj("webauthn.create", session.Challenge)
	r, events := c.call("webauthn.create", map[string]any{"rpId": "example.com", "rpName": "Example",
		"clientDataHash": b64u(hash(cd)), "user": map[string]any{"id": b64u(user.WebAuthnID()), "name": "ann"},
		"algorithms": []int{-7}, "userVerification": "discouraged", "timeoutMs": 20000})
	created := result[host.CreateResult](t, r)
	if !slices.Contains(events, "touch") {
		t.Fatalf("no touch progress: %v", events)
	}
	verifyCreated(t, w, user, session, cd, created)

	_, lsession, _ := w.BeginLogin(user)
	lcd := cdj("webauthn.get", lsession.Challenge)
	r, _ = c.call("webauthn.get", map[string]any{"rpId": "example.com", "clientDataHash": b64u(hash(lcd)),
		"allowCredentials": []string{b64u(created.CredentialID)}, "userVerification": "discouraged"})
	verifyAssertion(t, w, user, lsession, lcd, result[host.GetResult](t, r))
}

// verifyCreated has go-webauthn check a webauthn.create result as a page would send it, and adds the credential
// to user.
func verifyCreated(t *testing.T, w *webauthn.WebAuthn, user *rpUser, session *webauthn.SessionData, cd []byte, created host.CreateResult) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"id": b64u(created.CredentialID), "rawId": b64u(created.CredentialID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u(cd), "attestationObject": b64u(created.AttestationObject), "transports": created.Transports}})
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := w.CreateCredential(user, *session, parsed)
	if err != nil {
		t.Fatalf("go-webauthn rejects the registration: %v", err)
	}
	user.creds = append(user.creds, *cred)
}

// verifyAssertion has go-webauthn check a webauthn.get result.
func verifyAssertion(t *testing.T, w *webauthn.WebAuthn, user *rpUser, session *webauthn.SessionData, cd []byte, got host.GetResult) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"id": b64u(got.CredentialID), "rawId": b64u(got.CredentialID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u(cd), "authenticatorData": b64u(got.AuthenticatorData), "signature": b64u(got.Signature)}})
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ValidateLogin(user, *session, parsed); err != nil {
		t.Fatalf("go-webauthn rejects the assertion: %v", err)
	}
}

// TestU2FAcrossHostProcesses registers in one host and signs in another sharing TWINKEY_SIMULATED_KEY_DIR, as
// two connectNative ports would; tstranex/u2f verifies both.
func TestU2FAcrossHostProcesses(t *testing.T) {
	env := map[string]string{host.EnvSimulatedKey: "1", host.EnvSimulatedKeyDir: t.TempDir()}
	const appID = "https://example.com"
	ch, _ := u2f.NewChallenge(appID, []string{appID})
	cd, _ := json.Marshal(u2f.ClientData{Typ: "navigator.id.finishEnrollment", Challenge: b64u(ch.Challenge), Origin: appID})
	first := connect(t, env)
	r, _ := first.call("u2f.register", map[string]any{"appId": appID, "clientDataHash": b64u(hash(cd))})
	reg := result[host.U2FRegisterResult](t, r)
	registration, err := u2f.Register(u2f.RegisterResponse{Version: reg.Version, RegistrationData: b64u(reg.RegistrationData),
		ClientData: b64u(cd)}, *ch, &u2f.Config{SkipAttestationVerify: true})
	if err != nil {
		t.Fatalf("tstranex/u2f rejects the registration: %v", err)
	}

	second := connect(t, env)
	counter := uint32(0)
	for range 2 {
		ch2, _ := u2f.NewChallenge(appID, []string{appID})
		scd, _ := json.Marshal(u2f.ClientData{Typ: "navigator.id.getAssertion", Challenge: b64u(ch2.Challenge), Origin: appID})
		r, _ = second.call("u2f.sign", map[string]any{"clientDataHash": b64u(hash(scd)),
			"keys": []map[string]string{{"appId": appID, "keyHandle": b64u(registration.KeyHandle)}}})
		sig := result[host.U2FSignResult](t, r)
		n, err := registration.Authenticate(u2f.SignResponse{KeyHandle: b64u(sig.KeyHandle), SignatureData: b64u(sig.SignatureData),
			ClientData: b64u(scd)}, *ch2, counter)
		if err != nil {
			t.Fatalf("tstranex/u2f rejects the signature: %v", err)
		}
		counter = n
	}
	r, _ = second.call("u2f.register", map[string]any{"appId": appID, "clientDataHash": b64u(hash(cd)),
		"registeredKeys": []map[string]string{{"appId": appID, "keyHandle": b64u(registration.KeyHandle)}}})
	if r.Type != messaging.ReplyError || r.Error.Code != host.CodeExcluded {
		t.Fatalf("re-register: %+v %+v", r, r.Error)
	}
}

func TestKeyRemovedThenNoDevice(t *testing.T) {
	c := connect(t, map[string]string{host.EnvSimulatedKey: "unplug-after-keepalive"})
	params := map[string]any{"rpId": "example.com", "clientDataHash": b64u(hash([]byte("x"))),
		"user": map[string]any{"id": b64u([]byte{1})}, "algorithms": []int{-7}, "timeoutMs": 300}
	r, events := c.call("webauthn.create", params)
	if r.Type != messaging.ReplyError || r.Error.Code != host.CodeKeyRemoved || !slices.Equal(events, []string{"touch", "key-removed"}) {
		t.Fatalf("reply %+v %+v, events %v", r, r.Error, events)
	}
	r, events = c.call("webauthn.create", params)
	if r.Type != messaging.ReplyError || r.Error.Code != host.CodeNoDevice || !slices.Equal(events, []string{"insert-key"}) {
		t.Fatalf("reply %+v %+v, events %v", r, r.Error, events)
	}
}

func TestCancelCeremony(t *testing.T) {
	c := connect(t, map[string]string{host.EnvSimulatedKey: "slow-touch"})
	id := c.send("webauthn.create", map[string]any{"rpId": "example.com", "clientDataHash": b64u(hash([]byte("x"))),
		"user": map[string]any{"id": b64u([]byte{1})}, "algorithms": []int{-7}})
	if r := c.read(); r.ID != id || r.Progress == nil || r.Progress.Event != "touch" {
		t.Fatalf("first reply %+v", r)
	}
	cid := c.send("cancel", map[string]string{"target": id})
	got := map[string]reply{}
	for range 2 {
		r := c.read()
		got[r.ID] = r
	}
	if got[cid].Type != messaging.ReplyResult || got[id].Error == nil || got[id].Error.Code != host.CodeCancelled {
		t.Fatalf("replies %+v", got)
	}
}

func TestBadParams(t *testing.T) {
	c := connect(t, map[string]string{host.EnvSimulatedKey: "1"})
	for _, p := range []any{
		nil,
		map[string]any{"rpId": "example.com", "clientDataHash": "not base64url!"},
		map[string]any{"rpId": "example.com", "clientDataHash": b64u(hash(nil)), "user": map[string]any{"id": "AQ"}, "algorithms": []int{-7}, "surprise": 1},
		map[string]any{"rpId": "example.com", "clientDataHash": b64u(hash(nil)), "user": map[string]any{"id": "AQ"}, "algorithms": []int{-7}, "userVerification": "maybe"},
		map[string]any{"rpId": "example.com", "clientDataHash": "AAAA", "user": map[string]any{"id": "AQ"}, "algorithms": []int{-7}},
	} {
		r, _ := c.call("webauthn.create", p)
		if r.Type != messaging.ReplyError || r.Error.Code != messaging.CodeBadRequest {
			t.Errorf("params %v: reply %+v %+v", p, r, r.Error)
		}
	}
}

// answerPINs runs one request on c, answering each pin-needed / pin-wrong question with the next of pins.
func (c *client) answerPINs(typ string, params any, pins ...string) (reply, []string) {
	c.t.Helper()
	return c.answering(typ, params, pins, nil)
}

// answering runs one request on c and answers the host's questions: pin-needed / pin-wrong with the next of pins,
// choose-account with the index choose returns. It returns the final reply and the progress events, PIN events
// with their retries ("pin-wrong:7").
func (c *client) answering(typ string, params any, pins []string, choose func([]messaging.Account) any) (reply, []string) {
	c.t.Helper()
	id := c.send(typ, params)
	var events []string
	for {
		r := c.read()
		switch {
		case r.ID != id && r.Type == messaging.ReplyResult: // the answer to a pin or choose message
			continue
		case r.ID != id:
			c.t.Fatalf("reply %+v %+v while waiting for %q", r, r.Error, id)
		case r.Type != messaging.ReplyProgress:
			return r, events
		}
		switch ev := r.Progress.Event; {
		case ev == "pin-needed" || ev == "pin-wrong":
			events = append(events, fmt.Sprintf("%s:%d", ev, *r.Progress.Retries))
			if len(pins) == 0 {
				c.t.Fatalf("asked for a PIN once too often (%v)", events)
			}
			c.send("pin", map[string]string{"target": id, "pin": pins[0]})
			pins = pins[1:]
		case ev == host.EventChooseAccount && choose != nil:
			events = append(events, ev)
			c.send("choose", map[string]any{"target": id, "index": choose(r.Progress.Accounts)})
		default:
			events = append(events, ev)
		}
	}
}

// TestPINThroughTheHost: the CTAP 2.1 simulated key with a PIN (TWINKEY_SIMULATED_KEY=pin:4321). Registration
// with UV required asks for the PIN, says a wrong one left 7 tries, then the touch; a second host process (the
// same key) signs in with UV after the PIN; go-webauthn, requiring UV, accepts both.
func TestPINThroughTheHost(t *testing.T) {
	env := map[string]string{host.EnvSimulatedKey: "pin:4321", host.EnvSimulatedKeyDir: t.TempDir()}
	c := connect(t, env)
	devs := result[host.DevicesResult](t, func() reply { r, _ := c.call("devices", nil); return r }())
	if len(devs.Devices) != 1 || !devs.Devices[0].CTAP2 || devs.Devices[0].U2F || devs.Devices[0].PIN != "set" {
		t.Fatalf("devices %+v", devs)
	}
	w, _ := webauthn.New(&webauthn.Config{RPID: "example.com", RPDisplayName: "Example", RPOrigins: []string{"https://example.com"}})
	user := &rpUser{}
	_, session, _ := w.BeginRegistration(user, webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
		UserVerification: protocol.VerificationRequired}))
	cd := cdj("webauthn.create", session.Challenge)
	r, events := c.answerPINs("webauthn.create", map[string]any{"rpId": "example.com", "rpName": "Example",
		"clientDataHash": b64u(hash(cd)), "user": map[string]any{"id": b64u(user.WebAuthnID()), "name": "ann"},
		"algorithms": []int{-7}, "userVerification": "required", "timeoutMs": 20000}, "0000", "4321")
	created := result[host.CreateResult](t, r)
	if want := []string{"pin-needed:8", "pin-wrong:7", "touch"}; !slices.Equal(events[:min(3, len(events))], want) {
		t.Fatalf("events %v, want %v first", events, want)
	}
	verifyCreated(t, w, user, session, cd, created)
	if r, _ := c.call("pin", map[string]string{"target": "nothing", "pin": "4321"}); r.Error == nil || r.Error.Code != messaging.CodeUnknownTarget {
		t.Fatalf("pin for no request: %+v", r)
	}

	second := connect(t, env)
	_, lsession, _ := w.BeginLogin(user, webauthn.WithUserVerification(protocol.VerificationRequired))
	lcd := cdj("webauthn.get", lsession.Challenge)
	r, events = second.answerPINs("webauthn.get", map[string]any{"rpId": "example.com", "clientDataHash": b64u(hash(lcd)),
		"allowCredentials": []string{b64u(created.CredentialID)}, "userVerification": "required"}, "4321")
	if len(events) == 0 || events[0] != "pin-needed:8" {
		t.Fatalf("events %v", events)
	}
	verifyAssertion(t, w, user, lsession, lcd, result[host.GetResult](t, r))
}

// TestAccountChoiceThroughTheHost: two discoverable credentials on the PIN key; webauthn.get without
// allowCredentials asks for the PIN, then "choose-account" with both users (names after UV); the "choose"
// answer picks one and the result carries its user handle. An out-of-range index is a bad request.
func TestAccountChoiceThroughTheHost(t *testing.T) {
	c := connect(t, map[string]string{host.EnvSimulatedKey: "pin:4321"})
	for _, name := range []string{"ann", "bob"} {
		r, _ := c.answerPINs("webauthn.create", map[string]any{"rpId": "example.com", "clientDataHash": b64u(hash([]byte(name))),
			"user": map[string]any{"id": b64u([]byte("id-" + name)), "name": name}, "algorithms": []int{-7},
			"residentKey": "required", "userVerification": "required"}, "4321")
		result[host.CreateResult](t, r)
	}
	get := map[string]any{"rpId": "example.com", "clientDataHash": b64u(hash([]byte("login"))), "userVerification": "required"}
	for _, tc := range []struct {
		index    any
		wantUser string
		wantCode messaging.Code
	}{{1, "id-ann", ""}, {2, "", messaging.CodeBadRequest}} {
		final, _ := c.answering("webauthn.get", get, []string{"4321"}, func(accounts []messaging.Account) any {
			var names []string
			for _, a := range accounts {
				names = append(names, a.Name+"/"+a.UserID)
			}
			if want := []string{"bob/" + b64u([]byte("id-bob")), "ann/" + b64u([]byte("id-ann"))}; !slices.Equal(names, want) {
				t.Fatalf("accounts %v, want %v", names, want)
			}
			return tc.index
		})
		if tc.wantCode != "" {
			if final.Error == nil || final.Error.Code != tc.wantCode {
				t.Fatalf("index %v: %+v %+v", tc.index, final, final.Error)
			}
			continue
		}
		if got := result[host.GetResult](t, final); string(got.UserHandle) != tc.wantUser {
			t.Fatalf("user handle %q, want %q", got.UserHandle, tc.wantUser)
		}
	}
}
