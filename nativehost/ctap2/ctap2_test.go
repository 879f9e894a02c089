package ctap2_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/twinkey/twinkey/core/webauthn"
	"github.com/twinkey/twinkey/nativehost/ctap2"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/simkey"
)

func openSimulated(t *testing.T, cfg simkey.Config) *ctap2.Client {
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
	return ctap2.NewClient(conn)
}

func makeCredentialRequest(rpID string) *ctap2.MakeCredentialRequest {
	cdh := sha256.Sum256([]byte("client data"))
	return &ctap2.MakeCredentialRequest{
		ClientDataHash:   cdh[:],
		RP:               ctap2.RPEntity{ID: rpID, Name: "Example"},
		User:             ctap2.UserEntity{ID: []byte{1, 2, 3, 4}, Name: "ann", DisplayName: "Ann"},
		PubKeyCredParams: []ctap2.CredentialParameter{{Type: "public-key", Alg: ctap2.AlgES256}},
	}
}

// TestAgainstVirtualFido runs getInfo, makeCredential and getAssertion against virtual-fido and checks what the
// key says about itself and the credential it made.
func TestAgainstVirtualFido(t *testing.T) {
	c := openSimulated(t, simkey.Config{})
	ctx := context.Background()
	info, err := c.GetInfo(ctx)
	if err != nil {
		t.Fatalf("GetInfo: %v", err)
	}
	if !info.HasVersion("FIDO_2_0") || !info.HasVersion("U2F_V2") || len(info.AAGUID) != 16 {
		t.Fatalf("info = %+v", info)
	}
	if pin, present := info.Option("clientPin"); !present || pin {
		t.Fatalf("clientPin option = %v/%v, want present and false", pin, present)
	}

	mc, err := c.MakeCredential(ctx, makeCredentialRequest("example.com"), nil)
	if err != nil {
		t.Fatalf("MakeCredential: %v", err)
	}
	ad, err := webauthn.ParseAuthenticatorData(mc.AuthData)
	if err != nil {
		t.Fatalf("ParseAuthenticatorData: %v", err)
	}
	const upAT = webauthn.FlagAttestedCredentialData | webauthn.FlagUserPresent
	if ad.RPIDHash != sha256.Sum256([]byte("example.com")) || ad.Flags&upAT != upAT || ad.AttestedCredential == nil {
		t.Fatalf("authData = %+v", ad)
	}
	attObj, err := mc.AttestationObject()
	if err != nil {
		t.Fatalf("AttestationObject: %v", err)
	}
	var decoded map[string]cbor.RawMessage
	if err := cbor.Unmarshal(attObj, &decoded); err != nil || len(decoded) != 3 {
		t.Fatalf("attestationObject %x: %v", attObj, err)
	}
	// Canonical order: "fmt" (3 bytes) < "attStmt" (7) < "authData" (8), i.e. 0xA3 0x63 'f' 'm' 't' ...
	if !bytes.HasPrefix(attObj, []byte{0xA3, 0x63, 'f', 'm', 't'}) {
		t.Fatalf("attestationObject not in canonical order: % x", attObj[:8])
	}

	cdh := sha256.Sum256([]byte("login"))
	ga, err := c.GetAssertion(ctx, &ctap2.GetAssertionRequest{RPID: "example.com", ClientDataHash: cdh[:],
		AllowList: []ctap2.CredentialDescriptor{{Type: "public-key", ID: ad.AttestedCredential.CredentialID}},
		Options:   map[string]bool{"up": true}}, nil)
	if err != nil {
		t.Fatalf("GetAssertion: %v", err)
	}
	gad, err := webauthn.ParseAuthenticatorData(ga.AuthData)
	if err != nil || gad.Flags&webauthn.FlagUserPresent == 0 || gad.SignCount <= ad.SignCount {
		t.Fatalf("assertion authData %+v, %v", gad, err)
	}

	_, err = c.GetAssertion(ctx, &ctap2.GetAssertionRequest{RPID: "other.example", ClientDataHash: cdh[:],
		AllowList: []ctap2.CredentialDescriptor{{Type: "public-key", ID: ad.AttestedCredential.CredentialID}}}, nil)
	if !errors.Is(err, ctap2.StatusNoCredentials) {
		t.Fatalf("GetAssertion(other RP) = %v, want NO_CREDENTIALS", err)
	}
	req := makeCredentialRequest("example.com")
	req.PubKeyCredParams = []ctap2.CredentialParameter{{Type: "public-key", Alg: -8}}
	if _, err := c.MakeCredential(ctx, req, nil); !errors.Is(err, ctap2.StatusUnsupportedAlgorithm) {
		t.Fatalf("MakeCredential(EdDSA only) = %v, want UNSUPPORTED_ALGORITHM", err)
	}
}

func TestPINSetOnVirtualFido(t *testing.T) {
	c := openSimulated(t, simkey.Config{PIN: "1234"})
	ctx := context.Background()
	info, err := c.GetInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pin, _ := info.Option("clientPin"); !pin {
		t.Fatalf("clientPin option false with a PIN set")
	}
	if _, err := c.MakeCredential(ctx, makeCredentialRequest("example.com"), nil); !errors.Is(err, ctap2.StatusPUATRequired) {
		t.Fatalf("MakeCredential without PIN = %v, want PIN_REQUIRED", err)
	}
	retries, _, err := c.GetPINRetries(ctx, ctap2.PINProtocolOne)
	if err != nil || retries != 8 {
		t.Fatalf("GetPINRetries = %d, %v", retries, err)
	}
	// virtual-fido v0.2.0 answers getKeyAgreement with y = x (not a curve point); the client must refuse it
	// rather than derive a secret from it.
	if _, err := c.GetPINToken(ctx, ctap2.PINProtocolOne, "1234", 0, ""); !errors.Is(err, ctap2.ErrInvalidKeyAgreement) {
		t.Fatalf("GetPINToken = %v, want ErrInvalidKeyAgreement", err)
	}
	if _, err := c.GetPINToken(ctx, ctap2.PINProtocolOne, "123", 0, ""); !errors.Is(err, ctap2.ErrPINTooShort) {
		t.Fatalf("GetPINToken(3 digits) = %v", err)
	}
}

func TestStatusStrings(t *testing.T) {
	for code, want := range map[ctap2.StatusCode]string{
		ctap2.StatusPINInvalid: "CTAP2_ERR_PIN_INVALID", 0xE3: "CTAP2_ERR_EXTENSION(0xe3)",
		0xF1: "CTAP2_ERR_VENDOR(0xf1)", 0x50: "StatusCode(0x50)",
	} {
		if code.String() != want {
			t.Errorf("%#x.String() = %q, want %q", byte(code), code.String(), want)
		}
	}
}
