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

	"github.com/twinkey/twinkey/nativehost/ctap1"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/simkey"
)

func TestEncodeAPDU(t *testing.T) {
	// PROTOCOLS.md §1.1 worked encodings.
	version, _ := ctap1.EncodeAPDU(ctap1.InsVersion, 0, 0, nil)
	if !bytes.Equal(version, []byte{0, 3, 0, 0, 0, 0, 0}) {
		t.Errorf("VERSION = % x", version)
	}
	reg, _ := ctap1.EncodeAPDU(ctap1.InsRegister, 0, 0, make([]byte, 64))
	if len(reg) != 73 || !bytes.Equal(reg[:7], []byte{0, 1, 0, 0, 0, 0, 0x40}) || !bytes.Equal(reg[71:], []byte{0, 0}) {
		t.Errorf("REGISTER = % x", reg)
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

func TestStatusWordStrings(t *testing.T) {
	if ctap1.SWConditionsNotSatisfied.String() != "CONDITIONS_NOT_SATISFIED" || ctap1.StatusWord(0x6F00).String() != "StatusWord(0x6f00)" {
		t.Fatal("StatusWord.String")
	}
}
