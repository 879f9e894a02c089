// Package fido runs the client side of WebAuthn and U2F ceremonies on one USB security key: it chooses CTAP2 or CTAP1
// per request (CTAP 2.1 §10.2, §10.3), applies the appid/appidExclude extensions (W3C WebAuthn L3 §10.1.1, §10.1.2),
// asks for the PIN through a Prompter when the key needs one, and returns what the extension needs to answer the page:
// the WebAuthn pieces (attestationObject, authenticatorData, signature, credential ID, userHandle) or the U2F raw
// registrationData/signatureData.
//
// Inputs are already validated by the extension (origin, RP ID, AppID/facet rules): this package trusts rpId and
// appId, and computes only the application parameters SHA-256(rpId) and SHA-256(appId) itself.
package fido

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/twinkey/twinkey/nativehost/ctap1"
	"github.com/twinkey/twinkey/nativehost/ctap2"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

// Outcomes a caller must tell apart. Each maps to one WebAuthn DOMException / U2F error code at the host's
// boundary (nativehost/host).
var (
	ErrCredentialExcluded = errors.New("fido: this key already holds a credential in the exclude list")
	ErrNoCredentials      = errors.New("fido: this key holds none of the allowed credentials")
	ErrOperationDenied    = errors.New("fido: the user or the key refused the operation")
	ErrNotSupported       = errors.New("fido: this key cannot perform the request as specified")
	ErrPINRequired        = errors.New("fido: the key requires a PIN")
	ErrPINNotSet          = errors.New("fido: user verification required but the key has no PIN set")
	ErrPINBlocked         = errors.New("fido: the key's PIN is blocked (reset the key)")
	ErrPINAuthBlocked     = errors.New("fido: too many wrong PINs; unplug and replug the key")
	ErrKeyRemoved         = errors.New("fido: the key was removed")
	ErrCancelled          = errors.New("fido: cancelled")
)

// EventKind names a progress event shown to the user.
type EventKind string

// Progress events.
const (
	EventTouch      EventKind = "touch"       // touch your key
	EventPINNeeded  EventKind = "pin-needed"  // enter the key's PIN
	EventPINWrong   EventKind = "pin-wrong"   // wrong PIN, Retries left
	EventKeyRemoved EventKind = "key-removed" // the key was unplugged mid-ceremony
)

// Event is one progress event. Retries is set for PIN events (-1 when unknown).
type Event struct {
	Kind    EventKind
	Retries int
}

// Account is a discoverable credential's user as the key reports it. Name and DisplayName are empty unless the
// user was verified (CTAP 2.1 §6.2.2: no user-identifiable information without UV).
type Account struct {
	UserID      []byte
	Name        string
	DisplayName string
}

// Prompter is the user interface of a ceremony. Progress must not block. PIN asks for the key's PIN; the PIN is
// used for the one token request and not kept. ChooseAccount asks which of several discoverable credentials
// to sign in with (the index into accounts). An error from PIN or ChooseAccount aborts the ceremony.
type Prompter interface {
	Progress(Event)
	PIN(ctx context.Context, retries int, wrong bool) (string, error)
	ChooseAccount(ctx context.Context, accounts []Account) (int, error)
}

// Options tune an Authenticator.
type Options struct {
	// PollInterval is the U2F re-send interval while waiting for a touch (ctap1.DefaultPollInterval if 0).
	PollInterval time.Duration
}

// Authenticator is one opened security key.
type Authenticator struct {
	conn  *ctaphid.Conn
	u2f   *ctap1.Client // nil when the key does not implement CTAPHID_MSG (NMSG)
	ctap2 *ctap2.Client // nil for U2F-only keys
	info  *ctap2.Info   // nil for U2F-only keys
	caps  ctaphid.Capabilities
}

// New wraps an open CTAPHID channel; for CTAP2 keys it runs getInfo.
func New(ctx context.Context, conn *ctaphid.Conn, opts Options) (*Authenticator, error) {
	a := &Authenticator{conn: conn, caps: conn.Info().Capabilities}
	if a.caps.Has(ctaphid.CapCBOR) {
		c := ctap2.NewClient(conn)
		info, err := c.GetInfo(ctx)
		if err != nil {
			return nil, classify(fmt.Errorf("fido: getInfo: %w", err))
		}
		a.ctap2, a.info = c, info
	}
	if !a.caps.Has(ctaphid.CapNMSG) && (a.info == nil || a.info.HasVersion("U2F_V2")) {
		a.u2f = ctap1.NewClient(conn, opts.PollInterval)
	}
	if a.ctap2 == nil && a.u2f == nil {
		return nil, fmt.Errorf("%w: the key speaks neither CTAP2 nor U2F", ErrNotSupported)
	}
	return a, nil
}

// Close closes the key.
func (a *Authenticator) Close() error { return a.conn.Close() }

// PINState says whether a key supports and has a clientPIN.
type PINState string

// PIN states (getInfo option clientPin: absent / false / true).
const (
	PINUnsupported PINState = "unsupported"
	PINNotSet      PINState = "unset"
	PINSet         PINState = "set"
)

// Description is what the host reports about a key.
type Description struct {
	CTAP2    bool     `json:"ctap2"`
	U2F      bool     `json:"u2f"`
	Versions []string `json:"versions,omitempty"`
	PIN      PINState `json:"pin"`
	AAGUID   []byte   `json:"aaguid,omitempty"`
}

// Describe summarises the key's protocols and PIN state.
func (a *Authenticator) Describe() Description {
	d := Description{CTAP2: a.ctap2 != nil, U2F: a.u2f != nil, PIN: a.pinState()}
	if a.info != nil {
		d.Versions, d.AAGUID = a.info.Versions, a.info.AAGUID
	} else {
		d.Versions = []string{"U2F_V2"}
	}
	return d
}

func (a *Authenticator) pinState() PINState {
	if a.info == nil {
		return PINUnsupported
	}
	set, present := a.info.Option("clientPin")
	switch {
	case !present:
		return PINUnsupported
	case set:
		return PINSet
	}
	return PINNotSet
}

// UserVerification is the WebAuthn userVerification requirement.
type UserVerification string

// userVerification values.
const (
	UVRequired    UserVerification = "required"
	UVPreferred   UserVerification = "preferred"
	UVDiscouraged UserVerification = "discouraged"
)

// classify maps lower-layer errors to this package's outcomes, once, keeping the original in the chain.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var status ctap2.StatusCode
	switch {
	case errors.Is(err, ctaphid.ErrDeviceGone):
		return fmt.Errorf("%w: %w", ErrKeyRemoved, err)
	case errors.Is(err, context.Canceled), errors.Is(err, ctap2.StatusKeepaliveCancel):
		return fmt.Errorf("%w: %w", ErrCancelled, err)
	case errors.As(err, &status):
		switch status {
		case ctap2.StatusCredentialExcluded:
			return fmt.Errorf("%w: %w", ErrCredentialExcluded, err)
		case ctap2.StatusNoCredentials, ctap2.StatusInvalidCredential:
			return fmt.Errorf("%w: %w", ErrNoCredentials, err)
		case ctap2.StatusOperationDenied, ctap2.StatusNotAllowed, ctap2.StatusUserActionTimeout, ctap2.StatusActionTimeout:
			return fmt.Errorf("%w: %w", ErrOperationDenied, err)
		case ctap2.StatusUnsupportedAlgorithm, ctap2.StatusUnsupportedOption, ctap2.StatusInvalidOption:
			return fmt.Errorf("%w: %w", ErrNotSupported, err)
		case ctap2.StatusPINBlocked:
			return fmt.Errorf("%w: %w", ErrPINBlocked, err)
		case ctap2.StatusPINAuthBlocked:
			return fmt.Errorf("%w: %w", ErrPINAuthBlocked, err)
		case ctap2.StatusPINNotSet:
			return fmt.Errorf("%w: %w", ErrPINNotSet, err)
		case ctap2.StatusPUATRequired:
			return fmt.Errorf("%w: %w", ErrPINRequired, err)
		}
	case errors.Is(err, ctap1.ErrKeyHandleNotRecognized):
		return fmt.Errorf("%w: %w", ErrNoCredentials, err)
	}
	return err
}

// touchNotifier turns KEEPALIVE UPNEEDED (CTAP2) or the first 6985 (U2F) into one EventTouch per operation.
type touchNotifier struct {
	p    Prompter
	sent bool
}

func (n *touchNotifier) touch() {
	if !n.sent {
		n.sent = true
		n.p.Progress(Event{Kind: EventTouch, Retries: -1})
	}
}

func (n *touchNotifier) keepalive(s ctaphid.KeepaliveStatus) {
	if s == ctaphid.StatusUPNeeded {
		n.touch()
	}
}

// finish reports a removed key to the prompter and classifies err.
func finish(p Prompter, err error) error {
	err = classify(err)
	if errors.Is(err, ErrKeyRemoved) {
		p.Progress(Event{Kind: EventKeyRemoved, Retries: -1})
	}
	return err
}

func appParam(id string) [32]byte { return sha256.Sum256([]byte(id)) }

// pinToken asks the user for the PIN until the key accepts it, is blocked, or the user gives up (CTAP 2.1
// §6.5.5.7). It prefers PIN protocol 2 and, on FIDO_2_1 keys, a token scoped to permissions and rpID.
func (a *Authenticator) pinToken(ctx context.Context, p Prompter, perm ctap2.Permission, rpID string) ([]byte, ctap2.PINProtocol, error) {
	proto := ctap2.PINProtocolOne
	for _, v := range a.info.PinUvAuthProtocols {
		if v == uint64(ctap2.PINProtocolTwo) {
			proto = ctap2.PINProtocolTwo
		}
	}
	if !a.info.HasVersion("FIDO_2_1") {
		perm, rpID = 0, ""
	}
	retries, _, err := a.ctap2.GetPINRetries(ctx, proto)
	if err != nil {
		return nil, 0, classify(err)
	}
	if retries == 0 {
		return nil, 0, ErrPINBlocked
	}
	p.Progress(Event{Kind: EventPINNeeded, Retries: retries})
	for wrong := false; ; wrong = true {
		pin, err := p.PIN(ctx, retries, wrong)
		switch {
		case err == nil:
		case errors.Is(err, context.DeadlineExceeded):
			return nil, 0, fmt.Errorf("fido: no PIN within the time limit: %w", err)
		default: // the cancel message, the port closing, or the prompt closed
			return nil, 0, fmt.Errorf("%w: no PIN: %w", ErrCancelled, err)
		}
		token, err := a.ctap2.GetPINToken(ctx, proto, pin, perm, rpID)
		if err == nil {
			return token, proto, nil
		}
		if !errors.Is(err, ctap2.StatusPINInvalid) {
			return nil, 0, classify(err)
		}
		if retries, _, err = a.ctap2.GetPINRetries(ctx, proto); err != nil {
			return nil, 0, classify(err)
		}
		if retries == 0 {
			return nil, 0, ErrPINBlocked
		}
		p.Progress(Event{Kind: EventPINWrong, Retries: retries})
	}
}
