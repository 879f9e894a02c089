package fido_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/twinkey/twinkey/nativehost/ctap2"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/fido"
	"github.com/twinkey/twinkey/nativehost/simkey"
)

// newPINKey is simkey's CTAP 2.1 key (written from the spec, independently of nativehost/ctap2) with a PIN set,
// retries tries left, PIN protocols 2 and 1 and maxCredentialCountInList 2. go-webauthn verifies what it signs.
func newPINKey(pin string, retries int) *simkey.CTAP21Key {
	k, err := simkey.NewCTAP21Key(simkey.CTAP21Config{PIN: pin, PINRetries: retries, MaxCredentialCountInList: 2})
	if err != nil {
		panic(err)
	}
	return k
}

func openPINKey(t *testing.T, k *simkey.CTAP21Key) *fido.Authenticator {
	t.Helper()
	dev, err := k.Open()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ctaphid.Open(context.Background(), dev, ctaphid.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := fido.New(context.Background(), conn, fido.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := a.Describe(); !d.CTAP2 || d.U2F || d.PIN != fido.PINSet {
		t.Fatalf("Describe = %+v", d)
	}
	return a
}

// TestPINFlowWithWrongPIN: UV required; the user first types a wrong PIN, is told how many tries remain, then
// the right one; go-webauthn (with UV required) accepts the registration and the assertion.
func TestPINFlowWithWrongPIN(t *testing.T) {
	k := newPINKey("4321", 8)
	a := openPINKey(t, k)
	w, user := newRP(t), &rpUser{}
	ui := &recorder{pins: []string{"0000", "4321"}}

	_, session, err := w.BeginRegistration(user, webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
		UserVerification: protocol.VerificationRequired}))
	if err != nil {
		t.Fatal(err)
	}
	cdj := clientDataJSON("webauthn.create", session.Challenge)
	reg, err := a.MakeCredential(context.Background(), &fido.MakeCredentialParams{RPID: rpID, ClientDataHash: hash(cdj),
		User: ctap2.UserEntity{ID: user.WebAuthnID(), Name: "ann"}, Algorithms: []int64{-7}, UV: fido.UVRequired}, ui)
	if err != nil {
		t.Fatalf("MakeCredential: %v", err)
	}
	want := []fido.Event{{Kind: fido.EventPINNeeded, Retries: 8}, {Kind: fido.EventPINWrong, Retries: 7}}
	if !slices.Equal(ui.events, want) || !slices.Equal(ui.asked, []int{8, 7}) {
		t.Fatalf("events %+v, asked %v", ui.events, ui.asked)
	}
	verifyRegistration(t, w, user, session, cdj, reg)

	// Several allowed credentials and maxCredentialCountInList 2: found by chunked silent probes.
	user.creds = append([]webauthn.Credential{{ID: []byte("other-1")}, {ID: []byte("other-2")}}, user.creds...)
	ui = &recorder{pins: []string{"4321"}}
	_, lsession, _ := w.BeginLogin(user, webauthn.WithUserVerification(protocol.VerificationRequired))
	lcdj := clientDataJSON("webauthn.get", lsession.Challenge)
	var allow [][]byte
	for _, c := range user.creds {
		allow = append(allow, c.ID)
	}
	as, err := a.GetAssertion(context.Background(), &fido.GetAssertionParams{RPID: rpID, ClientDataHash: hash(lcdj),
		AllowList: allow, UV: fido.UVRequired}, ui)
	if err != nil {
		t.Fatalf("GetAssertion: %v", err)
	}
	verifyAssertion(t, w, user, lsession, lcdj, as)

	// The registered credential among three excluded ones (more than maxCredentialCountInList).
	_, err = a.MakeCredential(context.Background(), &fido.MakeCredentialParams{RPID: rpID, ClientDataHash: hash(cdj),
		User: ctap2.UserEntity{ID: []byte{9}}, Algorithms: []int64{-7}, UV: fido.UVDiscouraged,
		ExcludeList: [][]byte{[]byte("x1"), []byte("x2"), reg.CredentialID}}, &recorder{pins: []string{"4321"}})
	if !errors.Is(err, fido.ErrCredentialExcluded) {
		t.Fatalf("MakeCredential(excluded among 3) = %v", err)
	}
}

func TestPINBlocked(t *testing.T) {
	a := openPINKey(t, newPINKey("4321", 2))
	ui := &recorder{pins: []string{"1111", "2222", "4321"}}
	_, err := a.MakeCredential(context.Background(), &fido.MakeCredentialParams{RPID: rpID, ClientDataHash: hash([]byte("x")),
		User: ctap2.UserEntity{ID: []byte{1}}, Algorithms: []int64{-7}, UV: fido.UVRequired}, ui)
	if !errors.Is(err, fido.ErrPINBlocked) || len(ui.asked) != 2 {
		t.Fatalf("MakeCredential = %v after %d PIN prompts, want ErrPINBlocked after 2", err, len(ui.asked))
	}
}

// A CTAP 2.0-style refusal (PIN required although UV is not) makes the client ask for the PIN and retry.
func TestPINRequiredWithoutUV(t *testing.T) {
	a := openPINKey(t, newPINKey("4321", 8))
	ui := &recorder{pins: []string{"4321"}}
	if _, err := a.MakeCredential(context.Background(), &fido.MakeCredentialParams{RPID: rpID, ClientDataHash: hash([]byte("x")),
		User: ctap2.UserEntity{ID: []byte{1}}, Algorithms: []int64{-7}, UV: fido.UVDiscouraged}, ui); err != nil {
		t.Fatalf("MakeCredential: %v", err)
	}
	if len(ui.asked) != 1 {
		t.Fatalf("asked %d times", len(ui.asked))
	}
}

// No allowed credential on a CTAP 2.1 key: the user touches the key (authenticatorSelection) before the client
// says so, so a page cannot probe the key silently.
func TestNoCredentialsAfterTouch(t *testing.T) {
	k := newPINKey("4321", 8)
	a := openPINKey(t, k)
	ui := &recorder{}
	_, err := a.GetAssertion(context.Background(), &fido.GetAssertionParams{RPID: rpID, ClientDataHash: hash([]byte("x")),
		AllowList: [][]byte{[]byte("a"), []byte("b"), []byte("c")}, UV: fido.UVDiscouraged}, ui)
	if !errors.Is(err, fido.ErrNoCredentials) || k.SelectionRequests() != 1 {
		t.Fatalf("GetAssertion = %v after %d selection requests", err, k.SelectionRequests())
	}
}

// account is an RP user with its own ID and name, for discoverable credentials.
type account struct {
	id, name string
	creds    []webauthn.Credential
}

func (u *account) WebAuthnID() []byte                         { return []byte(u.id) }
func (u *account) WebAuthnName() string                       { return u.name }
func (u *account) WebAuthnDisplayName() string                { return strings.ToUpper(u.name) }
func (u *account) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// TestDiscoverableAccountChoice: two discoverable credentials for one RP; a sign-in without allowCredentials
// gets both from the key (getAssertion, getNextAssertion) and asks the user which account, with the names the
// key returns after UV; go-webauthn's discoverable login accepts the chosen one and finds its user by handle.
func TestDiscoverableAccountChoice(t *testing.T) {
	a := openPINKey(t, newPINKey("4321", 8))
	w := newRP(t)
	accounts := []*account{{id: "id-ann", name: "ann"}, {id: "id-bob", name: "bob"}}
	for _, u := range accounts {
		_, session, err := w.BeginRegistration(u, webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, UserVerification: protocol.VerificationRequired}))
		if err != nil {
			t.Fatal(err)
		}
		cdj := clientDataJSON("webauthn.create", session.Challenge)
		reg, err := a.MakeCredential(context.Background(), &fido.MakeCredentialParams{RPID: rpID, ClientDataHash: hash(cdj),
			User: ctap2.UserEntity{ID: u.WebAuthnID(), Name: u.name, DisplayName: u.WebAuthnDisplayName()}, Algorithms: []int64{-7},
			ResidentKey: true, UV: fido.UVRequired}, &recorder{pins: []string{"4321"}})
		if err != nil {
			t.Fatalf("MakeCredential(%s): %v", u.name, err)
		}
		body, _ := json.Marshal(map[string]any{"id": b64u(reg.CredentialID), "rawId": b64u(reg.CredentialID), "type": "public-key",
			"response": map[string]any{"clientDataJSON": b64u(cdj), "attestationObject": b64u(reg.AttestationObject)}})
		parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
		if err != nil {
			t.Fatal(err)
		}
		cred, err := w.CreateCredential(u, *session, parsed)
		if err != nil {
			t.Fatalf("go-webauthn rejects %s's registration: %v", u.name, err)
		}
		u.creds = append(u.creds, *cred)
	}

	_, session, err := w.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		t.Fatal(err)
	}
	cdj := clientDataJSON("webauthn.get", session.Challenge)
	ui := &recorder{pins: []string{"4321"}, choose: func(accs []fido.Account) int {
		return slices.IndexFunc(accs, func(a fido.Account) bool { return a.Name == "ann" })
	}}
	as, err := a.GetAssertion(context.Background(), &fido.GetAssertionParams{RPID: rpID, ClientDataHash: hash(cdj), UV: fido.UVRequired}, ui)
	if err != nil {
		t.Fatalf("GetAssertion: %v", err)
	}
	var shown []string
	for _, acc := range ui.accounts {
		shown = append(shown, acc.Name+"/"+acc.DisplayName+"/"+string(acc.UserID))
	}
	if want := []string{"bob/BOB/id-bob", "ann/ANN/id-ann"}; !slices.Equal(shown, want) {
		t.Fatalf("chooser showed %v, want %v", shown, want)
	}
	if string(as.UserHandle) != "id-ann" {
		t.Fatalf("user handle %q", as.UserHandle)
	}
	body, _ := json.Marshal(map[string]any{"id": b64u(as.CredentialID), "rawId": b64u(as.CredentialID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u(cdj), "authenticatorData": b64u(as.AuthenticatorData),
			"signature": b64u(as.Signature), "userHandle": b64u(as.UserHandle)}})
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		t.Fatal(err)
	}
	byHandle := func(_, userHandle []byte) (webauthn.User, error) {
		for _, u := range accounts {
			if u.id == string(userHandle) {
				return u, nil
			}
		}
		return nil, errors.New("no such user")
	}
	if _, err := w.ValidateDiscoverableLogin(byHandle, *session, parsed); err != nil {
		t.Fatalf("go-webauthn rejects the discoverable login: %v", err)
	}

	// Closing the chooser ends the ceremony with that error.
	if _, err := a.GetAssertion(context.Background(), &fido.GetAssertionParams{RPID: rpID, ClientDataHash: hash(cdj),
		UV: fido.UVRequired}, &recorder{pins: []string{"4321"}}); err == nil || !strings.Contains(err.Error(), "chooser") {
		t.Fatalf("closed chooser: %v", err)
	}
}

// TestExcludeListSplitWhenMaxMsgSizeExceeded: a key that reports no maxCredentialCountInList (and so the 1024-byte
// default maxMsgSize) gets 20 foreign 64-byte excludeCredentials: the list no longer fits one request, so the
// client pre-flights it (CTAP 2.1 §6.1.2) and registers; with the key's own credential among them the answer is
// "excluded".
func TestExcludeListSplitWhenMaxMsgSizeExceeded(t *testing.T) {
	k, err := simkey.NewCTAP21Key(simkey.CTAP21Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	dev, err := k.Open()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ctaphid.Open(context.Background(), dev, ctaphid.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := fido.New(context.Background(), conn, fido.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var foreign [][]byte
	for i := range 20 {
		id := make([]byte, 64)
		id[0], id[63] = byte(i), 0xEE
		foreign = append(foreign, id)
	}
	params := func(exclude [][]byte) *fido.MakeCredentialParams {
		return &fido.MakeCredentialParams{RPID: rpID, ClientDataHash: hash([]byte("x")),
			User: ctap2.UserEntity{ID: []byte("u")}, Algorithms: []int64{ctap2.AlgES256}, UV: fido.UVDiscouraged,
			ExcludeList: exclude}
	}
	reg, err := a.MakeCredential(context.Background(), params(foreign), &recorder{})
	if err != nil {
		t.Fatalf("MakeCredential with 20 foreign excludeCredentials = %v", err)
	}
	ui := &recorder{}
	_, err = a.MakeCredential(context.Background(), params(append(slices.Clone(foreign[:10]), append([][]byte{reg.CredentialID}, foreign[10:]...)...)), ui)
	if !errors.Is(err, fido.ErrCredentialExcluded) {
		t.Fatalf("MakeCredential with the key's own credential excluded = %v", err)
	}
}
