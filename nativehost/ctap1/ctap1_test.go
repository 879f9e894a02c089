package ctap1_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/tstranex/u2f"

	u2fmsg "github.com/twinkey/twinkey/core/ctap1"
	"github.com/twinkey/twinkey/nativehost/ctap1"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/simkey"
)

// recorder is a Transport that keeps the APDUs it is sent and answers each with the next canned response APDU.
type recorder struct {
	sent    [][]byte
	answers [][]byte
}

func (r *recorder) Transact(_ context.Context, cmd ctaphid.Command, payload []byte, _ func(ctaphid.KeepaliveStatus)) ([]byte, error) {
	if cmd != ctaphid.CmdMsg {
		return nil, errors.New("not CTAPHID_MSG")
	}
	r.sent = append(r.sent, append([]byte(nil), payload...))
	a := r.answers[0]
	r.answers = r.answers[1:]
	return a, nil
}

// TestClientAPDUsParseOnTheAuthenticatorSide: what the client sends is what the authenticator's parser (the same
// core/ctap1 package) reads, and the client reads the status words keys answer a check-only with.
func TestClientAPDUsParseOnTheAuthenticatorSide(t *testing.T) {
	ctx := context.Background()
	r := &recorder{answers: [][]byte{
		append([]byte("U2F_V2"), 0x90, 0x00),
		{0x69, 0x85}, {0x6A, 0x80}, {0x69, 0x84}, {0x67, 0x00}, {0x6D, 0x00},
	}}
	c := ctap1.NewClient(r, time.Millisecond)
	if v, err := c.Version(ctx); err != nil || v != u2fmsg.Version {
		t.Fatalf("Version = %q, %v", v, err)
	}
	app, kh := [32]byte{7}, []byte{1, 2, 3}
	for i, want := range []bool{true, false, false, false} {
		if mine, err := c.CheckKeyHandle(ctx, app, kh); err != nil || mine != want {
			t.Fatalf("CheckKeyHandle #%d = %v, %v; want %v", i, mine, err, want)
		}
	}
	if _, err := c.CheckKeyHandle(ctx, app, kh); !errors.Is(err, u2fmsg.SWInsNotSupported) {
		t.Fatalf("CheckKeyHandle answered 6D00: %v", err)
	}
	if !bytes.Equal(r.sent[0], []byte{0, 3, 0, 0, 0, 0, 0}) {
		t.Errorf("VERSION = % x", r.sent[0])
	}
	cmd, err := u2fmsg.ParseCommand(r.sent[1])
	if err != nil || cmd.INS != u2fmsg.InsAuthenticate {
		t.Fatalf("check-only APDU %x: %+v %v", r.sent[1], cmd, err)
	}
	req, err := u2fmsg.ParseAuthenticateRequest(cmd.P1, cmd.Data)
	if err != nil || req.Control != u2fmsg.ControlCheckOnly || req.Application != app || !bytes.Equal(req.KeyHandle, kh) {
		t.Fatalf("check-only request %+v %v", req, err)
	}
}

// openSimulated returns a CTAP1 client on a virtual-fido key.
func openSimulated(t *testing.T, cfg simkey.Config) *ctap1.Client {
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
	t.Cleanup(func() { conn.Close() })
	return ctap1.NewClient(conn, 10*time.Millisecond)
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func clientData(t *testing.T, typ string, c *u2f.Challenge) []byte {
	cd, err := json.Marshal(u2f.ClientData{Typ: typ, Challenge: b64u(c.Challenge), Origin: c.AppID})
	if err != nil {
		t.Fatal(err)
	}
	return cd
}

// TestRegisterAuthenticateVerifiedByTstranex registers and signs against virtual-fido and has tstranex/u2f (a
// U2F server library we did not write) verify both results.
func TestRegisterAuthenticateVerifiedByTstranex(t *testing.T) {
	c := openSimulated(t, simkey.Config{DenyFirstU2FTouches: 2})
	ctx := context.Background()
	if v, err := c.Version(ctx); err != nil || v != "U2F_V2" {
		t.Fatalf("Version = %q, %v", v, err)
	}
	const appID = "https://u2f.example.com"
	app := sha256.Sum256([]byte(appID))

	ch, _ := u2f.NewChallenge(appID, []string{appID})
	regCD := clientData(t, "navigator.id.finishEnrollment", ch)
	waited := 0
	reg, err := c.Register(ctx, sha256.Sum256(regCD), app, func() { waited++ })
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if waited != 1 {
		t.Fatalf("onWaiting called %d times, want 1 (the key refused two touches)", waited)
	}
	registration, err := u2f.Register(u2f.RegisterResponse{Version: "U2F_V2", RegistrationData: b64u(reg.Raw),
		ClientData: b64u(regCD)}, *ch, &u2f.Config{SkipAttestationVerify: true})
	if err != nil {
		t.Fatalf("tstranex/u2f rejects the registration: %v", err)
	}

	if ok, err := c.CheckKeyHandle(ctx, app, reg.KeyHandle); err != nil || !ok {
		t.Fatalf("CheckKeyHandle(own handle) = %v, %v", ok, err)
	}
	other := sha256.Sum256([]byte("https://other.example"))
	if ok, err := c.CheckKeyHandle(ctx, other, reg.KeyHandle); err != nil || ok {
		t.Fatalf("CheckKeyHandle(other app) = %v, %v", ok, err)
	}
	if ok, err := c.CheckKeyHandle(ctx, app, bytes.Repeat([]byte{7}, 64)); err != nil || ok {
		t.Fatalf("CheckKeyHandle(foreign handle) = %v, %v", ok, err)
	}

	var counter uint32
	for i := range 2 {
		ch2, _ := u2f.NewChallenge(appID, []string{appID})
		signCD := clientData(t, "navigator.id.getAssertion", ch2)
		auth, err := c.Authenticate(ctx, sha256.Sum256(signCD), app, reg.KeyHandle, nil)
		if err != nil {
			t.Fatalf("Authenticate %d: %v", i, err)
		}
		if auth.UserPresence&1 != 1 {
			t.Fatalf("UP byte %x", auth.UserPresence)
		}
		newCounter, err := registration.Authenticate(u2f.SignResponse{KeyHandle: b64u(reg.KeyHandle),
			SignatureData: b64u(auth.Raw), ClientData: b64u(signCD)}, *ch2, counter)
		if err != nil {
			t.Fatalf("tstranex/u2f rejects signature %d: %v", i, err)
		}
		if newCounter != auth.Counter || newCounter <= counter {
			t.Fatalf("counter %d after %d", newCounter, counter)
		}
		counter = newCounter
	}

	if _, err := c.Authenticate(ctx, app, other, reg.KeyHandle, nil); !errors.Is(err, ctap1.ErrKeyHandleNotRecognized) {
		t.Fatalf("Authenticate(other app) = %v, want ErrKeyHandleNotRecognized", err)
	}
}

func TestPollingHonoursContext(t *testing.T) {
	c := openSimulated(t, simkey.Config{DenyFirstU2FTouches: 1 << 30})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var app [32]byte
	if _, err := c.Register(ctx, app, app, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Register = %v, want DeadlineExceeded", err)
	}
}
