package core_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	gwa "github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/tstranex/u2f"

	"github.com/twinkey/twinkey/core"
	"github.com/twinkey/twinkey/core/counter"
	"github.com/twinkey/twinkey/core/ctap1"
	wa "github.com/twinkey/twinkey/core/webauthn"
)

// Interop tests: everything the core produces is checked by relying-party libraries we did not write:
// go-webauthn v0.18.2 for WebAuthn, tstranex/u2f v1.0.0 for U2F.

const (
	testRPID   = "login.example.com"
	testOrigin = "https://login.example.com"
)

type rpUser struct {
	id    []byte
	creds []webauthn.Credential
}

func (u *rpUser) WebAuthnID() []byte                         { return u.id }
func (u *rpUser) WebAuthnName() string                       { return "ann" }
func (u *rpUser) WebAuthnDisplayName() string                { return "Ann" }
func (u *rpUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func newRP(t *testing.T) *webauthn.WebAuthn {
	t.Helper()
	rp, err := webauthn.New(&webauthn.Config{RPID: testRPID, RPDisplayName: "Example", RPOrigins: []string{testOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

// twin holds one device secret's authenticator in one role.
func newAuthenticator(t *testing.T, secret [32]byte, role counter.Role) *core.Authenticator {
	t.Helper()
	ctr, err := counter.New(&counter.MemoryStore{}, role, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := core.New(secret, ctr, randReader)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func randomSecret(t *testing.T) [32]byte {
	var s [32]byte
	if _, err := rand.Read(s[:]); err != nil {
		t.Fatal(err)
	}
	return s
}

var approved = core.Approval{UserPresent: true}

// register runs a go-webauthn registration ceremony against a.
func register(t *testing.T, rp *webauthn.WebAuthn, user *rpUser, a *core.Authenticator, format wa.AttestationFormat) *webauthn.Credential {
	t.Helper()
	pref := gwa.PreferNoAttestation
	if format != wa.FormatNone {
		pref = gwa.PreferDirectAttestation
	}
	creation, session, err := rp.BeginRegistration(user, webauthn.WithConveyancePreference(pref))
	if err != nil {
		t.Fatal(err)
	}
	cdj := wa.ClientData{Type: wa.ClientDataCreate, Challenge: creation.Response.Challenge, Origin: testOrigin}.JSON()
	cred, err := a.MakeCredential(context.Background(), core.MakeCredentialRequest{
		RPID: testRPID, ClientDataHash: sha256.Sum256(cdj), Format: format, Approval: approved,
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := wa.NewRegistrationResponse(cdj, cred.ID, cred.AuthData, cred.AttestationObject, cred.PublicKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(resp)
	parsed, err := gwa.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		t.Fatalf("go-webauthn cannot parse our registration: %v", err)
	}
	c, err := rp.CreateCredential(user, *session, parsed)
	if err != nil {
		t.Fatalf("go-webauthn refuses our %s registration: %v", format, err)
	}
	if c.AttestationFormat != string(format) {
		t.Fatalf("attestation format %q, want %q", c.AttestationFormat, format)
	}
	user.creds = append(user.creds, *c)
	return c
}

// login runs a go-webauthn login ceremony against a and returns the RP's view of the credential after it.
func login(t *testing.T, rp *webauthn.WebAuthn, user *rpUser, a *core.Authenticator, opts ...webauthn.LoginOption) *webauthn.Credential {
	t.Helper()
	assertion, session, err := rp.BeginLogin(user, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var allow [][]byte
	for _, d := range assertion.Response.AllowedCredentials {
		allow = append(allow, d.CredentialID)
	}
	appID := assertion.Response.Extensions.AppID
	cdj := wa.ClientData{Type: wa.ClientDataGet, Challenge: assertion.Response.Challenge, Origin: testOrigin}.JSON()
	as, err := a.GetAssertion(context.Background(), core.GetAssertionRequest{
		RPID: testRPID, AppID: appID, ClientDataHash: sha256.Sum256(cdj), AllowList: allow, Approval: approved,
	})
	if err != nil {
		t.Fatal(err)
	}
	ext := map[string]any{}
	if appID != "" {
		ext["appid"] = as.UsedAppID
	}
	body, _ := json.Marshal(wa.NewAuthenticationResponse(cdj, as.CredentialID, as.AuthData, as.Signature, ext))
	parsed, err := gwa.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		t.Fatalf("go-webauthn cannot parse our assertion: %v", err)
	}
	c, err := rp.ValidateLogin(user, *session, parsed)
	if err != nil {
		t.Fatalf("go-webauthn refuses our assertion: %v", err)
	}
	for i := range user.creds {
		if bytes.Equal(user.creds[i].ID, c.ID) {
			user.creds[i] = *c
		}
	}
	return c
}

func TestGoWebauthnAcceptsRegistrationAndAssertion(t *testing.T) {
	for _, format := range []wa.AttestationFormat{wa.FormatNone, wa.FormatPacked, wa.FormatFIDOU2F} {
		t.Run(string(format), func(t *testing.T) {
			rp := newRP(t)
			user := &rpUser{id: []byte("user-1")}
			a := newAuthenticator(t, randomSecret(t), counter.RolePrimary)
			reg := register(t, rp, user, a, format)
			if !reg.Flags.BackupEligible || !reg.Flags.BackupState {
				t.Errorf("BE/BS = %v/%v, want both set", reg.Flags.BackupEligible, reg.Flags.BackupState)
			}
			var last uint32
			for i := 0; i < 3; i++ {
				c := login(t, rp, user, a)
				if c.Authenticator.CloneWarning {
					t.Fatal("clone warning on a primary that only counts up")
				}
				if c.Authenticator.SignCount <= last {
					t.Fatalf("sign count %d after %d", c.Authenticator.SignCount, last)
				}
				last = c.Authenticator.SignCount
			}
		})
	}
}

// The backup twin restored from the primary's secret signs for the primary's credentials, and go-webauthn's
// counter check then flags the primary as a possible clone while it keeps accepting the backup.
func TestBackupTwinRevokesPrimaryAtCounterCheckingRP(t *testing.T) {
	secret := randomSecret(t)
	primary := newAuthenticator(t, secret, counter.RolePrimary)
	backup := newAuthenticator(t, secret, counter.RoleBackup)
	rp := newRP(t)
	user := &rpUser{id: []byte("user-twin")}
	register(t, rp, user, primary, wa.FormatNone)
	for i := 0; i < 3; i++ {
		login(t, rp, user, primary)
	}
	if c := login(t, rp, user, backup); c.Authenticator.CloneWarning || c.Authenticator.SignCount < counter.BackupOffset {
		t.Fatalf("backup: clone warning %v, count %d", c.Authenticator.CloneWarning, c.Authenticator.SignCount)
	}
	if c := login(t, rp, user, primary); !c.Authenticator.CloneWarning {
		t.Fatalf("primary after backup: want a clone warning, count %d", c.Authenticator.SignCount)
	}
	if c := login(t, rp, user, backup); c.Authenticator.SignCount < counter.BackupOffset {
		t.Fatal("backup's counter dropped")
	}
}

// With the "always 0" policy both twins keep working at a counter-checking RP.
func TestZeroCounterPolicyKeepsBothTwins(t *testing.T) {
	secret := randomSecret(t)
	primary := newAuthenticator(t, secret, counter.RolePrimary)
	backup := newAuthenticator(t, secret, counter.RoleBackup)
	rp := newRP(t)
	user := &rpUser{id: []byte("user-zero")}
	reg := register(t, rp, user, primary, wa.FormatNone)
	for _, a := range []*core.Authenticator{primary, backup, primary, backup} {
		assertion, session, err := rp.BeginLogin(user)
		if err != nil {
			t.Fatal(err)
		}
		cdj := wa.ClientData{Type: wa.ClientDataGet, Challenge: assertion.Response.Challenge, Origin: testOrigin}.JSON()
		as, err := a.GetAssertion(context.Background(), core.GetAssertionRequest{
			RPID: testRPID, ClientDataHash: sha256.Sum256(cdj), AllowList: [][]byte{reg.ID}, Approval: approved, Policy: counter.PolicyZero,
		})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(wa.NewAuthenticationResponse(cdj, as.CredentialID, as.AuthData, as.Signature, nil))
		parsed, err := gwa.ParseCredentialRequestResponseBytes(body)
		if err != nil {
			t.Fatal(err)
		}
		c, err := rp.ValidateLogin(user, *session, parsed)
		if err != nil {
			t.Fatal(err)
		}
		if c.Authenticator.CloneWarning || c.Authenticator.SignCount != 0 {
			t.Fatalf("zero policy: clone warning %v, count %d", c.Authenticator.CloneWarning, c.Authenticator.SignCount)
		}
	}
}

// u2fRegister runs tstranex/u2f's registration against a through raw APDUs.
func u2fRegister(t *testing.T, a *core.Authenticator, appID string) *u2f.Registration {
	t.Helper()
	ch, err := u2f.NewChallenge(appID, []string{appID})
	if err != nil {
		t.Fatal(err)
	}
	req := u2f.NewWebRegisterRequest(ch, nil)
	clientData := []byte(`{"typ":"navigator.id.finishEnrollment","challenge":"` + req.RegisterRequests[0].Challenge + `","origin":"` + appID + `"}`)
	appParam, chalParam := sha256.Sum256([]byte(appID)), sha256.Sum256(clientData)
	apdu := mustEncode(t, ctap1.Command{INS: ctap1.InsRegister, Data: append(chalParam[:], appParam[:]...)})
	out := a.HandleAPDU(context.Background(), apdu, approved, counter.PolicyTwin)
	if sw := out[len(out)-2:]; !bytes.Equal(sw, []byte{0x90, 0x00}) {
		t.Fatalf("REGISTER status %x", sw)
	}
	reg, err := u2f.Register(u2f.RegisterResponse{
		RegistrationData: base64.RawURLEncoding.EncodeToString(out[:len(out)-2]),
		ClientData:       base64.RawURLEncoding.EncodeToString(clientData),
	}, *ch, &u2f.Config{SkipAttestationVerify: true})
	if err != nil {
		t.Fatalf("tstranex/u2f refuses our registration: %v", err)
	}
	return reg
}

// u2fSign runs tstranex/u2f's authentication and returns the new counter or its error.
func u2fSign(t *testing.T, a *core.Authenticator, reg *u2f.Registration, appID string, last uint32) (uint32, error) {
	t.Helper()
	ch, err := u2f.NewChallenge(appID, []string{appID})
	if err != nil {
		t.Fatal(err)
	}
	sr := ch.SignRequest([]u2f.Registration{*reg})
	clientData := []byte(`{"typ":"navigator.id.getAssertion","challenge":"` + sr.Challenge + `","origin":"` + appID + `"}`)
	appParam, chalParam := sha256.Sum256([]byte(appID)), sha256.Sum256(clientData)
	data := append(append(chalParam[:], appParam[:]...), byte(len(reg.KeyHandle)))
	apdu := mustEncode(t, ctap1.Command{INS: ctap1.InsAuthenticate, P1: byte(ctap1.ControlEnforceUserPresence), Data: append(data, reg.KeyHandle...)})
	out := a.HandleAPDU(context.Background(), apdu, approved, counter.PolicyTwin)
	if sw := out[len(out)-2:]; !bytes.Equal(sw, []byte{0x90, 0x00}) {
		t.Fatalf("AUTHENTICATE status %x", sw)
	}
	return reg.Authenticate(u2f.SignResponse{
		KeyHandle:     base64.RawURLEncoding.EncodeToString(reg.KeyHandle),
		SignatureData: base64.RawURLEncoding.EncodeToString(out[:len(out)-2]),
		ClientData:    base64.RawURLEncoding.EncodeToString(clientData),
	}, *ch, last)
}

func TestTstranexU2FAcceptsRegisterAndSign(t *testing.T) {
	const appID = "https://u2f.example.com"
	a := newAuthenticator(t, randomSecret(t), counter.RolePrimary)
	reg := u2fRegister(t, a, appID)
	if reg.AttestationCert.Subject.CommonName != "Twinkey U2F" || !reg.AttestationCert.PublicKey.(*ecdsa.PublicKey).Equal(&reg.PubKey) {
		t.Fatalf("attestation certificate: want a per-registration self-signed certificate, got subject %v", reg.AttestationCert.Subject)
	}
	cert := reg.AttestationCert
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Fatalf("certificate is not self-signed: %v", err)
	}
	var last uint32
	for i := 0; i < 3; i++ {
		c, err := u2fSign(t, a, reg, appID, last)
		if err != nil {
			t.Fatalf("tstranex/u2f refuses our signature: %v", err)
		}
		last = c
	}
}

// Two registrations share nothing that identifies the device: each has its own certificate.
func TestU2FCertificatesDoNotLinkRegistrations(t *testing.T) {
	a := newAuthenticator(t, randomSecret(t), counter.RolePrimary)
	r1 := u2fRegister(t, a, "https://one.example")
	r2 := u2fRegister(t, a, "https://two.example")
	if bytes.Equal(r1.AttestationCert.Raw, r2.AttestationCert.Raw) || r1.AttestationCert.SerialNumber.Cmp(r2.AttestationCert.SerialNumber) == 0 {
		t.Fatal("two registrations carry the same certificate or serial")
	}
}

func TestU2FTwinAtTstranex(t *testing.T) {
	const appID = "https://u2f.example.com"
	secret := randomSecret(t)
	primary := newAuthenticator(t, secret, counter.RolePrimary)
	backup := newAuthenticator(t, secret, counter.RoleBackup)
	reg := u2fRegister(t, primary, appID)
	last, err := u2fSign(t, primary, reg, appID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if last, err = u2fSign(t, backup, reg, appID, last); err != nil {
		t.Fatalf("backup refused: %v", err)
	}
	if _, err := u2fSign(t, primary, reg, appID, last); err != u2f.ErrCounterTooLow {
		t.Fatalf("primary after backup: %v, want ErrCounterTooLow", err)
	}
}

// A credential registered through the U2F API signs in through WebAuthn with the appid extension: the assertion
// uses SHA-256(AppID) as rpIdHash and reports appid: true; go-webauthn checks both.
func TestAppIDExtensionForU2FRegisteredCredential(t *testing.T) {
	const appID = testOrigin
	a := newAuthenticator(t, randomSecret(t), counter.RolePrimary)
	reg := u2fRegister(t, a, appID)
	point, err := reg.PubKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// An RP migrating from U2F keeps the raw U2F public key; go-webauthn reads it that way for appid assertions.
	user := &rpUser{id: []byte("user-u2f"), creds: []webauthn.Credential{{
		ID: reg.KeyHandle, PublicKey: point, AttestationType: "fido-u2f", AttestationFormat: "fido-u2f",
	}}}
	c := login(t, newRP(t), user, a, webauthn.WithAssertionExtensions(webauthn.WithExtensionAppID(appID)))
	if c.Authenticator.SignCount == 0 {
		t.Fatal("no counter on the appid assertion")
	}
}

var randReader = rand.Reader
