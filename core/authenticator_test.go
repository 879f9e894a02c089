package core_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/twinkey/twinkey/core"
	"github.com/twinkey/twinkey/core/counter"
	"github.com/twinkey/twinkey/core/ctap1"
	wa "github.com/twinkey/twinkey/core/webauthn"
)

func TestNothingIsSignedWithoutApproval(t *testing.T) {
	ctx := context.Background()
	a := newAuthenticator(t, randomSecret(t), counter.RolePrimary)
	if _, err := a.MakeCredential(ctx, core.MakeCredentialRequest{RPID: testRPID}); !errors.Is(err, core.ErrNotApproved) {
		t.Fatalf("MakeCredential without approval: %v", err)
	}
	cred, err := a.MakeCredential(ctx, core.MakeCredentialRequest{RPID: testRPID, Approval: approved})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetAssertion(ctx, core.GetAssertionRequest{RPID: testRPID, AllowList: [][]byte{cred.ID}}); !errors.Is(err, core.ErrNotApproved) {
		t.Fatalf("GetAssertion without approval: %v", err)
	}
	if _, err := a.U2FRegister(ctx, ctap1.RegisterRequest{}, core.Approval{}); !errors.Is(err, core.ErrNotApproved) {
		t.Fatalf("U2FRegister without approval: %v", err)
	}
	// REGISTER and AUTHENTICATE 0x03 over APDUs answer "touch needed" (6985) without approval.
	reg := mustEncode(t, ctap1.Command{INS: ctap1.InsRegister, Data: make([]byte, 64)})
	if out := a.HandleAPDU(ctx, reg, core.Approval{}, counter.PolicyTwin); !bytes.Equal(out, []byte{0x69, 0x85}) {
		t.Fatalf("REGISTER without approval answered %x", out)
	}
}

func TestExcludeListAnswersExcludedOnlyAfterConsent(t *testing.T) {
	ctx := context.Background()
	a := newAuthenticator(t, randomSecret(t), counter.RolePrimary)
	cred, _ := a.MakeCredential(ctx, core.MakeCredentialRequest{RPID: testRPID, Approval: approved})
	req := core.MakeCredentialRequest{RPID: testRPID, ExcludeList: [][]byte{[]byte("foreign"), cred.ID}}
	if _, err := a.MakeCredential(ctx, req); !errors.Is(err, core.ErrNotApproved) {
		t.Fatalf("before consent: %v", err)
	}
	req.Approval = approved
	if _, err := a.MakeCredential(ctx, req); !errors.Is(err, core.ErrExcluded) {
		t.Fatalf("after consent: %v", err)
	}
	// The same handle does not exclude registration at another RP.
	req.RPID = "other.example"
	if _, err := a.MakeCredential(ctx, req); err != nil {
		t.Fatalf("another RP: %v", err)
	}
	// appidExclude: a U2F registration under the AppID excludes too.
	u2fHandle := u2fRegister(t, a, "https://login.example.com").KeyHandle
	req = core.MakeCredentialRequest{RPID: testRPID, ExcludeList: [][]byte{u2fHandle}, ExcludeAppID: "https://login.example.com", Approval: approved}
	if _, err := a.MakeCredential(ctx, req); !errors.Is(err, core.ErrExcluded) {
		t.Fatalf("appidExclude: %v", err)
	}
}

func TestGetAssertionRoutesForeignHandles(t *testing.T) {
	ctx := context.Background()
	a := newAuthenticator(t, randomSecret(t), counter.RolePrimary)
	other := newAuthenticator(t, randomSecret(t), counter.RolePrimary)
	foreign, _ := other.MakeCredential(ctx, core.MakeCredentialRequest{RPID: testRPID, Approval: approved})
	_, _, err := a.FindCredential(testRPID, "", [][]byte{foreign.ID})
	if !errors.Is(err, core.ErrNoCredential) {
		t.Fatalf("foreign handle: %v", err)
	}
	if _, err := a.GetAssertion(ctx, core.GetAssertionRequest{RPID: testRPID, AllowList: [][]byte{foreign.ID}, Approval: approved}); !errors.Is(err, core.ErrNoCredential) {
		t.Fatalf("GetAssertion with a foreign handle: %v", err)
	}
	mine, _ := a.MakeCredential(ctx, core.MakeCredentialRequest{RPID: testRPID, Approval: approved})
	id, usedAppID, err := a.FindCredential(testRPID, "", [][]byte{foreign.ID, mine.ID})
	if err != nil || usedAppID || !bytes.Equal(id, mine.ID) {
		t.Fatalf("mixed allow list: %v", err)
	}
}

func TestU2FCheckOnlyAndWrongApplication(t *testing.T) {
	ctx := context.Background()
	a := newAuthenticator(t, randomSecret(t), counter.RolePrimary)
	const appID = "https://u2f.example.com"
	kh := u2fRegister(t, a, appID).KeyHandle
	auth := func(control ctap1.Control, app string) []byte {
		appParam := sha256.Sum256([]byte(app))
		data := append(append(make([]byte, 32), appParam[:]...), byte(len(kh)))
		apdu := mustEncode(t, ctap1.Command{INS: ctap1.InsAuthenticate, P1: byte(control), Data: append(data, kh...)})
		return a.HandleAPDU(ctx, apdu, approved, counter.PolicyTwin)
	}
	if out := auth(ctap1.ControlCheckOnly, appID); !bytes.Equal(out, []byte{0x69, 0x85}) {
		t.Fatalf("check-only on a valid handle: %x, want 6985", out)
	}
	if out := auth(ctap1.ControlCheckOnly, "https://other.example"); !bytes.Equal(out, []byte{0x6a, 0x80}) {
		t.Fatalf("check-only for another AppID: %x, want 6A80", out)
	}
	if out := auth(ctap1.ControlEnforceUserPresence, "https://other.example"); !bytes.Equal(out, []byte{0x6a, 0x80}) {
		t.Fatalf("sign for another AppID: %x, want 6A80", out)
	}
	if out := a.HandleAPDU(ctx, mustEncode(t, ctap1.Command{INS: ctap1.InsVersion}), core.Approval{}, counter.PolicyTwin); string(out[:6]) != "U2F_V2" {
		t.Fatalf("VERSION: %q", out)
	}
	if out := a.HandleAPDU(ctx, mustEncode(t, ctap1.Command{INS: 0x42}), core.Approval{}, counter.PolicyTwin); !bytes.Equal(out, []byte{0x6d, 0x00}) {
		t.Fatalf("unknown INS: %x", out)
	}
	if out := a.HandleAPDU(ctx, []byte{0, 1}, core.Approval{}, counter.PolicyTwin); !bytes.Equal(out, []byte{0x67, 0x00}) {
		t.Fatalf("short APDU: %x", out)
	}
}

// failAfterPersist persists the reservation and then reports a failure, as a crash between "counter reserved" and
// "signature returned" would look to the next process.
type failAfterPersist struct {
	counter.MemoryStore
	fail bool
}

func (f *failAfterPersist) Store(ctx context.Context, next uint32) error {
	f.MemoryStore.Store(ctx, next)
	if f.fail {
		return errors.New("browser died")
	}
	return nil
}

func TestCounterSurvivesCrashBetweenReserveAndSignature(t *testing.T) {
	ctx := context.Background()
	secret := randomSecret(t)
	store := &failAfterPersist{}
	mk := func() *core.Authenticator {
		ctr, _ := counter.New(store, counter.RolePrimary, 0)
		a, _ := core.New(secret, ctr, randReader)
		return a
	}
	a := mk()
	cred, _ := a.MakeCredential(ctx, core.MakeCredentialRequest{RPID: testRPID, Approval: approved})
	req := core.GetAssertionRequest{RPID: testRPID, AllowList: [][]byte{cred.ID}, Approval: approved}
	first, err := a.GetAssertion(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	store.fail = true
	if _, err := mk().GetAssertion(ctx, req); err == nil {
		t.Fatal("signed although the counter could not be confirmed")
	}
	store.fail = false
	after, err := mk().GetAssertion(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := signCount(first.AuthData), signCount(after.AuthData)
	if c2 <= c1+1 {
		t.Fatalf("counter after the crash %d, before %d: the reserved value was reused", c2, c1)
	}
}

func signCount(authData []byte) uint32 {
	return uint32(authData[33])<<24 | uint32(authData[34])<<16 | uint32(authData[35])<<8 | uint32(authData[36])
}

func TestAssertionFlagsAreStable(t *testing.T) {
	ctx := context.Background()
	secret := randomSecret(t)
	p, b := newAuthenticator(t, secret, counter.RolePrimary), newAuthenticator(t, secret, counter.RoleBackup)
	cred, _ := p.MakeCredential(ctx, core.MakeCredentialRequest{RPID: testRPID, Approval: approved})
	want := wa.FlagUserPresent | wa.FlagBackupEligible | wa.FlagBackupState
	if got := wa.AuthenticatorFlags(cred.AuthData[32]) &^ wa.FlagAttestedCredentialData; got != want {
		t.Fatalf("registration flags %08b", got)
	}
	for _, a := range []*core.Authenticator{p, b} {
		as, err := a.GetAssertion(ctx, core.GetAssertionRequest{RPID: testRPID, AllowList: [][]byte{cred.ID}, Approval: approved})
		if err != nil {
			t.Fatal(err)
		}
		if got := wa.AuthenticatorFlags(as.AuthData[32]); got != want {
			t.Fatalf("assertion flags %08b, want %08b", got, want)
		}
	}
}

// mustEncode encodes a command APDU (ctap1.Command.Encode) or fails the test.
func mustEncode(t *testing.T, c ctap1.Command) []byte {
	t.Helper()
	apdu, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return apdu
}
