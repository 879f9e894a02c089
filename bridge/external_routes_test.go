package bridge_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	gwa "github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/tstranex/u2f"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/host"
	"github.com/twinkey/twinkey/nativehost/messaging"
)

// usbKey is the real native host serving the simulated key over an in-memory port: what the service worker
// talks to through connectNative.
type usbKey struct {
	t    *testing.T
	inW  io.WriteCloser
	outR io.Reader
	next int
}

func newUSBKey(t *testing.T) *usbKey {
	t.Helper()
	dir := t.TempDir()
	key, err := host.SimulatedKeyFromEnv(func(k string) string {
		return map[string]string{host.EnvSimulatedKey: "1", host.EnvSimulatedKeyDir: dir}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { key.Close() })
	h := host.New(host.Config{Version: "test", Devices: host.SimulatedSource{Key: key}, Simulated: true,
		PollInterval: 20 * time.Millisecond, CTAPHID: ctaphid.Options{ResponseTimeout: 60 * time.Second}})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan struct{})
	go func() { h.Serve(context.Background(), inR, outW); outW.Close(); close(done) }()
	t.Cleanup(func() { inW.Close(); go io.Copy(io.Discard, outR); <-done })
	return &usbKey{t: t, inW: inW, outR: outR}
}

// hostRequest is what the bridge's host-request routes answer.
type hostRequest struct {
	Type   string          `json:"type"`
	Params json.RawMessage `json:"params"`
}

// run sends the bridge-built request to the host and answers the final result (failing on a host error).
func (k *usbKey) run(req hostRequest) json.RawMessage {
	k.t.Helper()
	k.next++
	id := "q" + string(rune('0'+k.next))
	msg, _ := json.Marshal(messaging.Request{ID: id, Type: req.Type, Params: req.Params})
	if err := messaging.WriteFrame(k.inW, msg); err != nil {
		k.t.Fatal(err)
	}
	for {
		b, err := messaging.ReadFrame(k.outR, messaging.MaxOutgoing)
		if err != nil {
			k.t.Fatal(err)
		}
		var r struct {
			ID     string           `json:"id"`
			Type   string           `json:"type"`
			Result json.RawMessage  `json:"result"`
			Error  *messaging.Error `json:"error"`
		}
		if err := json.Unmarshal(b, &r); err != nil || r.ID != id {
			k.t.Fatalf("host reply %s (%v)", b, err)
		}
		switch r.Type {
		case messaging.ReplyProgress:
			continue
		case messaging.ReplyResult:
			return r.Result
		}
		k.t.Fatalf("host refused %s: %+v (params %s)", req.Type, r.Error, req.Params)
	}
}

// The USB key's ceremonies through the bridge's host routes, checked by go-webauthn and tstranex/u2f: the client
// data the bridge hashes for the host is the one it returns to the page. No vault is needed (hardware-only sites).
func TestHostRoutesWithSimulatedKey(t *testing.T) {
	p := newProfile(t)
	key := newUSBKey(t)
	rp, u := newRP(t), &user{}

	creation, session, err := rp.BeginRegistration(u, webauthn.WithConveyancePreference(gwa.PreferDirectAttestation))
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"op": "create", "origin": rpOrigin, "options": creation.Response}
	var req hostRequest
	p.mustCall("/v1/webauthn/host-request", body, &req)
	if req.Type != "webauthn.create" {
		t.Fatalf("host-request type %q", req.Type)
	}
	body["result"] = key.run(req)
	var raw json.RawMessage
	p.mustCall("/v1/webauthn/host-response", body, &raw)
	parsed, err := gwa.ParseCredentialCreationResponseBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := rp.CreateCredential(u, *session, parsed)
	if err != nil {
		t.Fatalf("go-webauthn refuses the USB key's registration: %v", err)
	}
	u.creds = append(u.creds, *cred)
	if parsed.Response.Transports == nil || len(parsed.Raw.AttestationResponse.PublicKey) != 91 {
		t.Fatalf("registration lacks transports or the SPKI public key: %s", raw)
	}

	assertion, session, err := rp.BeginLogin(u)
	if err != nil {
		t.Fatal(err)
	}
	body = map[string]any{"op": "get", "origin": rpOrigin, "options": assertion.Response}
	p.mustCall("/v1/webauthn/host-request", body, &req)
	body["result"] = key.run(req)
	p.mustCall("/v1/webauthn/host-response", body, &raw)
	parsedGet, err := gwa.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rp.ValidateLogin(u, *session, parsedGet); err != nil {
		t.Fatalf("go-webauthn refuses the USB key's assertion: %v", err)
	}

	// A result that does not fit (a credential ID other than the one in authenticatorData) is NotReadableError.
	creation, _, err = rp.BeginRegistration(u)
	if err != nil {
		t.Fatal(err)
	}
	body = map[string]any{"op": "create", "origin": rpOrigin, "options": creation.Response}
	p.mustCall("/v1/webauthn/host-request", body, &req)
	var result map[string]any
	if err := json.Unmarshal(key.run(req), &result); err != nil {
		t.Fatal(err)
	}
	result["credentialId"] = "AAAA"
	body["result"] = result
	p.wantError("/v1/webauthn/host-response", body, "NotReadableError")

	// Legacy U2F: register, then sign with the page's key handle echoed.
	const appID = rpOrigin
	ch, _ := u2f.NewChallenge(appID, []string{appID})
	rr := u2f.NewWebRegisterRequest(ch, nil)
	u2fBody := map[string]any{"op": "register", "origin": rpOrigin, "appId": appID, "registerRequests": rr.RegisterRequests, "registeredKeys": []any{}}
	p.mustCall("/v1/u2f/host-request", u2fBody, &req)
	u2fBody["result"] = key.run(req)
	var regResp u2f.RegisterResponse
	p.mustCall("/v1/u2f/host-response", u2fBody, &regResp)
	reg, err := u2f.Register(regResp, *ch, &u2f.Config{SkipAttestationVerify: true})
	if err != nil {
		t.Fatalf("tstranex/u2f refuses the USB key's registration: %v", err)
	}
	ch, _ = u2f.NewChallenge(appID, []string{appID})
	sr := ch.SignRequest([]u2f.Registration{*reg})
	u2fBody = map[string]any{"op": "sign", "origin": rpOrigin, "appId": appID, "challenge": sr.Challenge, "registeredKeys": sr.RegisteredKeys}
	p.mustCall("/v1/u2f/host-request", u2fBody, &req)
	u2fBody["result"] = key.run(req)
	var sig u2f.SignResponse
	p.mustCall("/v1/u2f/host-response", u2fBody, &sig)
	if _, err := reg.Authenticate(sig, *ch, 0); err != nil {
		t.Fatalf("tstranex/u2f refuses the USB key's signature: %v", err)
	}
}
