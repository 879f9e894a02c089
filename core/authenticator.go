// Package core is Twinkey's authenticator: deterministic per-site P-256 keys (core/keys) behind the U2F raw message
// (core/ctap1) and WebAuthn (core/webauthn) formats, with crash-safe counters (core/counter) and the backup twin.
//
// It is pure Go: no syscall/js, no files, no clock, no global state. Randomness, counters and user approval come in
// from the caller, so the same code runs natively, in WebAssembly and in tests. The WebAuthn and U2F *client* rules
// (origins, RP IDs, options) live in core/rules and core/client; this package is what a hardware key would be.
package core

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"

	"github.com/twinkey/twinkey/core/counter"
	"github.com/twinkey/twinkey/core/ctap1"
	"github.com/twinkey/twinkey/core/keys"
	"github.com/twinkey/twinkey/core/webauthn"
)

// Authenticator decisions, as sentinels (CTAP 2.1 §6.3 names in brackets). The client layer maps them once to
// DOMException names and U2F error codes.
var (
	ErrNotApproved  = errors.New("core: no user presence: a person did not approve")     // CTAP2_ERR_OPERATION_DENIED
	ErrExcluded     = errors.New("core: a credential in the exclude list is this key's") // CTAP2_ERR_CREDENTIAL_EXCLUDED
	ErrNoCredential = errors.New("core: no allowed credential is this key's")            // CTAP2_ERR_NO_CREDENTIALS
)

// Approval is what a person did in extension UI for this one operation.
type Approval struct {
	UserPresent  bool // a person approved this operation in extension-owned UI
	UserVerified bool // and entered the passphrase for it (WebAuthn UV)
}

// Authenticator answers for one device secret in one role.
type Authenticator struct {
	device  *keys.Device
	counter *counter.Counter
	rand    io.Reader
}

// New returns the authenticator of secret; counters come from ctr (its role fixes the counter range), nonces from
// rand.
func New(secret [keys.SecretSize]byte, ctr *counter.Counter, rand io.Reader) (*Authenticator, error) {
	d, err := keys.NewDevice(secret)
	if err != nil {
		return nil, err
	}
	return &Authenticator{device: d, counter: ctr, rand: rand}, nil
}

// IsMine reports whether handle is this device's key handle for applicationParameter (constant-time MAC check).
func (a *Authenticator) IsMine(handle []byte, applicationParameter [32]byte) bool {
	return a.device.IsMine(handle, applicationParameter)
}

// nextCounter reserves a counter value under policy (before anything is signed).
func (a *Authenticator) nextCounter(ctx context.Context, policy counter.Policy) (uint32, error) {
	if policy == counter.PolicyZero {
		return 0, nil
	}
	return a.counter.Reserve(ctx)
}

// flags for every credential: Twinkey credentials are backed up by the recovery phrase from the start, so BE and
// BS are both set, identically for primary and backup and for a credential's whole life (WebAuthn L3 §6.1.3).
const backupFlags = webauthn.FlagBackupEligible | webauthn.FlagBackupState

func approvalFlags(ap Approval) webauthn.AuthenticatorFlags {
	return presenceFlags(ap) | backupFlags
}

func presenceFlags(ap Approval) webauthn.AuthenticatorFlags {
	var f webauthn.AuthenticatorFlags
	if ap.UserPresent {
		f |= webauthn.FlagUserPresent
	}
	if ap.UserVerified {
		f |= webauthn.FlagUserVerified
	}
	return f
}

// MakeCredentialRequest is an authenticatorMakeCredential (CTAP 2.1 §6.1) after the client rules ran.
type MakeCredentialRequest struct {
	RPID           string
	ClientDataHash [32]byte
	Format         webauthn.AttestationFormat
	// ExcludeList holds credential IDs the RP already has; ExcludeAppID, when set, is also checked (the
	// appidExclude extension, WebAuthn L3 §10.1.2).
	ExcludeList  [][]byte
	ExcludeAppID string
	Approval     Approval
}

// Credential is a new credential.
type Credential struct {
	ID                []byte // the key handle
	PublicKey         []byte // 04||X||Y
	AuthData          []byte
	AttestationObject []byte
}

// MakeCredential creates a credential for req.RPID. Registration reports counter 0: the counter is a property of
// assertions, and reporting 0 here spends no counter value and reveals nothing about past use.
func (a *Authenticator) MakeCredential(ctx context.Context, req MakeCredentialRequest) (*Credential, error) {
	rpIDHash := webauthn.RPIDHash(req.RPID)
	if a.excluded(req.ExcludeList, rpIDHash) || (req.ExcludeAppID != "" && a.excluded(req.ExcludeList, webauthn.RPIDHash(req.ExcludeAppID))) {
		if !req.Approval.UserPresent {
			return nil, ErrNotApproved // WebAuthn L3 §6.3.2 step 3: reveal the exclusion only after consent
		}
		return nil, ErrExcluded
	}
	if !req.Approval.UserPresent {
		return nil, ErrNotApproved
	}
	handle, priv, err := a.device.NewCredential(a.rand, rpIDHash)
	if err != nil {
		return nil, err
	}
	point, err := keys.PublicKeyBytes(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	coseKey, err := webauthn.EncodeCOSEKey(point)
	if err != nil {
		return nil, err
	}
	authData, err := webauthn.AuthenticatorData{
		RPIDHash: rpIDHash,
		Flags:    approvalFlags(req.Approval),
		AttestedCredential: &webauthn.AttestedCredentialData{
			AAGUID: webauthn.AAGUID, CredentialID: handle, CredentialPublicKey: coseKey,
		},
	}.Encode()
	if err != nil {
		return nil, err
	}
	format := req.Format
	if format == "" {
		format = webauthn.FormatNone
	}
	att, err := webauthn.EncodeAttestationObject(format, webauthn.AttestationInput{
		AuthData: authData, ClientDataHash: req.ClientDataHash,
		RPIDHash: rpIDHash, CredentialID: handle, PublicKey: point,
	}, signer(priv), func() ([]byte, error) {
		return ctap1.SelfSignedCertificate(&priv.PublicKey, signer(priv))
	})
	if err != nil {
		return nil, fmt.Errorf("core: attestation object: %w", err)
	}
	return &Credential{ID: handle, PublicKey: point, AuthData: authData, AttestationObject: att}, nil
}

func (a *Authenticator) excluded(list [][]byte, applicationParameter [32]byte) bool {
	for _, id := range list {
		if a.device.IsMine(id, applicationParameter) {
			return true
		}
	}
	return false
}

func signer(priv *ecdsa.PrivateKey) func([]byte) ([]byte, error) {
	return func(m []byte) ([]byte, error) { return keys.Sign(priv, m) }
}

// GetAssertionRequest is an authenticatorGetAssertion (CTAP 2.1 §6.2) after the client rules ran. AllowList must
// not be empty: deterministic keys hold no discoverable credentials.
type GetAssertionRequest struct {
	RPID           string
	ClientDataHash [32]byte
	AllowList      [][]byte
	// AppID, when set, is tried for handles that are not this key's under the RP ID (the appid extension,
	// WebAuthn L3 §10.1.1): a handle registered through the U2F API is bound to SHA-256(AppID).
	AppID    string
	Approval Approval
	Policy   counter.Policy
}

// Assertion is a signed assertion.
type Assertion struct {
	CredentialID []byte
	AuthData     []byte
	Signature    []byte
	UsedAppID    bool // the AppID's hash is the rpIdHash: report the appid extension output as true
}

// FindCredential returns the first allowed handle that is this key's, and whether it is bound to the AppID rather
// than the RP ID. It signs nothing and needs no approval: routing uses it before any prompt.
func (a *Authenticator) FindCredential(rpID, appID string, allow [][]byte) (id []byte, usedAppID bool, err error) {
	rpIDHash := webauthn.RPIDHash(rpID)
	for _, h := range allow {
		if a.device.IsMine(h, rpIDHash) {
			return h, false, nil
		}
	}
	if appID != "" {
		appHash := webauthn.RPIDHash(appID)
		for _, h := range allow {
			if a.device.IsMine(h, appHash) {
				return h, true, nil
			}
		}
	}
	return nil, false, ErrNoCredential
}

// GetAssertion signs authenticatorData || clientDataHash with the first allowed credential that is this key's.
// The counter is reserved (durably) before signing.
func (a *Authenticator) GetAssertion(ctx context.Context, req GetAssertionRequest) (*Assertion, error) {
	id, usedAppID, err := a.FindCredential(req.RPID, req.AppID, req.AllowList)
	if err != nil {
		return nil, err
	}
	if !req.Approval.UserPresent {
		return nil, ErrNotApproved
	}
	appParam := webauthn.RPIDHash(req.RPID)
	if usedAppID {
		appParam = webauthn.RPIDHash(req.AppID)
	}
	priv, err := a.device.Open(id, appParam)
	if err != nil {
		return nil, err
	}
	count, err := a.nextCounter(ctx, req.Policy)
	if err != nil {
		return nil, err
	}
	flags := approvalFlags(req.Approval)
	if usedAppID {
		// A credential registered through the U2F API never reported BE/BS (U2F has no flags), so RPs hold it as
		// BE=0; keep it that way for its whole life (WebAuthn L3 §6.1.3).
		flags = presenceFlags(req.Approval)
	}
	authData, err := webauthn.AuthenticatorData{RPIDHash: appParam, Flags: flags, SignCount: count}.Encode()
	if err != nil {
		return nil, err
	}
	sig, err := keys.Sign(priv, append(append([]byte(nil), authData...), req.ClientDataHash[:]...))
	if err != nil {
		return nil, err
	}
	return &Assertion{CredentialID: id, AuthData: authData, Signature: sig, UsedAppID: usedAppID}, nil
}
