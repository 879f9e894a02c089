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
	_ "github.com/twinkey/twinkey/nativehost/simkey/simhost" // the simulated keys behind host.SimulatedKeyFromEnv
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

// hostRequest is the host request of an approve outcome "usb".
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

// usbOutcome runs a usb ceremony: decide, approve (the host request), the USB key, host-result.
func (p *profile) usbOutcome(key *usbKey, op string, request any, tamper func(json.RawMessage) json.RawMessage) outcome {
	p.t.Helper()
	d := p.decide(op, request)
	if d.Decision != "usb" || d.Prompt == nil || d.Prompt.Hardware == nil {
		p.t.Fatalf("%s: decision %+v, want usb", op, d)
	}
	var o struct {
		Outcome string
		Host    hostRequest
	}
	p.mustCall("/v1/ceremony/approve", map[string]string{"ceremony": d.Ceremony}, &o)
	if o.Outcome != "usb" || o.Host.Type != op {
		p.t.Fatalf("%s: approve %+v", op, o)
	}
	result := key.run(o.Host)
	if tamper != nil {
		result = tamper(result)
	}
	var out outcome
	p.mustCall("/v1/ceremony/host-result", map[string]any{"ceremony": d.Ceremony, "result": result}, &out)
	return out
}

// The USB key's ceremonies on a hardware-only site through the bridge, checked by go-webauthn and tstranex/u2f: the
// client data the bridge hashes for the host is the one it returns to the page. No vault is needed.
func TestUSBKeyCeremoniesThroughBridge(t *testing.T) {
	p := newProfile(t)
	p.mustCall("/v1/settings/set", map[string]any{"settings": map[string]any{"sites": map[string]any{rpID: map[string]any{"hardwareOnly": true}}}}, nil)
	key := newUSBKey(t)
	rp, u := newRP(t), &user{}

	creation, session, err := rp.BeginRegistration(u, webauthn.WithConveyancePreference(gwa.PreferDirectAttestation))
	if err != nil {
		t.Fatal(err)
	}
	o := p.usbOutcome(key, "webauthn.create", webauthnRequest(creation.Response), nil)
	parsed, err := gwa.ParseCredentialCreationResponseBytes(o.Result)
	if err != nil {
		t.Fatalf("%+v: %v", o, err)
	}
	cred, err := rp.CreateCredential(u, *session, parsed)
	if err != nil {
		t.Fatalf("go-webauthn refuses the USB key's registration: %v", err)
	}
	u.creds = append(u.creds, *cred)
	if parsed.Response.Transports == nil || len(parsed.Raw.AttestationResponse.PublicKey) != 91 {
		t.Fatalf("registration lacks transports or the SPKI public key: %s", o.Result)
	}

	assertion, session, err := rp.BeginLogin(u)
	if err != nil {
		t.Fatal(err)
	}
	o = p.usbOutcome(key, "webauthn.get", webauthnRequest(assertion.Response), nil)
	parsedGet, err := gwa.ParseCredentialRequestResponseBytes(o.Result)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rp.ValidateLogin(u, *session, parsedGet); err != nil {
		t.Fatalf("go-webauthn refuses the USB key's assertion: %v", err)
	}

	// A result that does not fit (a credential ID other than the one in authenticatorData) is NotReadableError.
	creation, _, _ = rp.BeginRegistration(u)
	o = p.usbOutcome(key, "webauthn.create", webauthnRequest(creation.Response), func(r json.RawMessage) json.RawMessage {
		var m map[string]any
		json.Unmarshal(r, &m)
		m["credentialId"] = "AAAA"
		b, _ := json.Marshal(m)
		return b
	})
	if o.Error == nil || o.Error.Name != "NotReadableError" {
		t.Fatalf("a result that does not fit: %+v", o)
	}

	// Legacy U2F: register, then sign with the page's key handle echoed.
	const appID = rpOrigin
	ch, _ := u2f.NewChallenge(appID, []string{appID})
	rr := u2f.NewWebRegisterRequest(ch, nil)
	o = p.usbOutcome(key, "u2f.register", map[string]any{"appId": appID, "registerRequests": rr.RegisterRequests, "registeredKeys": []any{}}, nil)
	var regResp u2f.RegisterResponse
	json.Unmarshal(o.Result, &regResp)
	reg, err := u2f.Register(regResp, *ch, &u2f.Config{SkipAttestationVerify: true})
	if err != nil {
		t.Fatalf("tstranex/u2f refuses the USB key's registration: %v (%+v)", err, o)
	}
	ch, _ = u2f.NewChallenge(appID, []string{appID})
	sr := ch.SignRequest([]u2f.Registration{*reg})
	o = p.usbOutcome(key, "u2f.sign", map[string]any{"appId": appID, "challenge": sr.Challenge, "registeredKeys": sr.RegisteredKeys}, nil)
	var sig u2f.SignResponse
	json.Unmarshal(o.Result, &sig)
	if _, err := reg.Authenticate(sig, *ch, 0); err != nil {
		t.Fatalf("tstranex/u2f refuses the USB key's signature: %v", err)
	}

	// A host error maps by its code (core/client).
	assertion, _, _ = rp.BeginLogin(u)
	d := p.decide("webauthn.get", webauthnRequest(assertion.Response))
	p.approve(d.Ceremony, "")
	var e outcome
	p.mustCall("/v1/ceremony/host-result", map[string]any{"ceremony": d.Ceremony, "error": map[string]string{"code": "no-credentials"}}, &e)
	if e.Error == nil || e.Error.Name != "NotAllowedError" || e.Activity != "usb:no-credentials" {
		t.Fatalf("host error: %+v", e)
	}
}
