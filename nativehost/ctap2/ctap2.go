// Package ctap2 is the client side of the CTAP2 authenticator API (CTAP 2.1 §6) over
// CTAPHID_CBOR: authenticatorGetInfo, makeCredential, getAssertion, getNextAssertion and clientPIN with PIN/UV
// auth protocols 1 and 2.
//
// Requests are encoded in CTAP2 canonical CBOR and responses decoded strictly, without enforcing map key order
// (core/ctapcbor): virtual-fido, one of the authenticators we test against, emits struct-ordered maps. The
// formats inside the responses are core/webauthn's (authenticator data, attestation objects) and core/cose's
// (key agreement). Nothing decoded here is forwarded as-is except authenticatorData and signatures, which are
// byte strings.
package ctap2

import (
	"context"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"github.com/twinkey/twinkey/core/cose"
	"github.com/twinkey/twinkey/core/ctapcbor"
	"github.com/twinkey/twinkey/core/webauthn"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

// Transport carries one CTAPHID message; *ctaphid.Conn implements it.
type Transport interface {
	Transact(ctx context.Context, cmd ctaphid.Command, payload []byte, onKeepalive func(ctaphid.KeepaliveStatus)) ([]byte, error)
}

// Command is a CTAP2 command byte (CTAP 2.1 §8.1).
type Command byte

// CTAP2 commands used by this client.
const (
	CmdMakeCredential   Command = 0x01
	CmdGetAssertion     Command = 0x02
	CmdGetInfo          Command = 0x04
	CmdClientPIN        Command = 0x06
	CmdReset            Command = 0x07
	CmdGetNextAssertion Command = 0x08
	CmdSelection        Command = 0x0B
)

func (c Command) String() string {
	switch c {
	case CmdMakeCredential:
		return "authenticatorMakeCredential"
	case CmdGetAssertion:
		return "authenticatorGetAssertion"
	case CmdGetInfo:
		return "authenticatorGetInfo"
	case CmdClientPIN:
		return "authenticatorClientPIN"
	case CmdReset:
		return "authenticatorReset"
	case CmdGetNextAssertion:
		return "authenticatorGetNextAssertion"
	case CmdSelection:
		return "authenticatorSelection"
	}
	return fmt.Sprintf("Command(0x%02x)", byte(c))
}

// Errors.
var (
	ErrMalformedResponse = errors.New("ctap2: malformed response")
	ErrRequestTooLarge   = errors.New("ctap2: request larger than the authenticator's maxMsgSize")
)

// authDataMinLength is the length of authenticator data without attested credential data or extensions
// (WebAuthn L3 §6.1: rpIdHash, flags, signCount); webauthn.ParseAuthenticatorData reads the rest.
const authDataMinLength = 37

// defaultMaxMsgSize is assumed until getInfo's maxMsgSize says otherwise (CTAP 2.1 §6.4).
const defaultMaxMsgSize = 1024

// Marshal encodes v in CTAP2 canonical CBOR.
func Marshal(v any) ([]byte, error) { return ctapcbor.Marshal(v) }

// Unmarshal decodes an authenticator's CBOR strictly (see the package comment).
func Unmarshal(data []byte, v any) error { return ctapcbor.Unmarshal(data, v) }

// Client sends CTAP2 commands over a Transport. It is not safe for concurrent use; the Transport serialises
// transactions anyway.
type Client struct {
	t          Transport
	maxMsgSize int
}

// NewClient returns a client; call GetInfo first so that it learns the authenticator's maxMsgSize.
func NewClient(t Transport) *Client { return &Client{t: t, maxMsgSize: defaultMaxMsgSize} }

// Fits reports whether cmd with req stays within the authenticator's maxMsgSize (§6.2 getInfo 0x05; 1024 bytes
// until getInfo says otherwise), i.e. whether call would send it rather than refuse it with ErrRequestTooLarge.
func (c *Client) Fits(cmd Command, req any) bool {
	enc, err := ctapcbor.Marshal(req)
	return err == nil && 1+len(enc) <= c.maxMsgSize
}

// call runs one command: payload = cmd || CBOR(req) (req nil: no parameters); response = status || CBOR.
// A non-OK status is returned as a StatusCode; resp (may be nil) receives the decoded map.
func (c *Client) call(ctx context.Context, cmd Command, req, resp any, onKeepalive func(ctaphid.KeepaliveStatus)) error {
	payload := []byte{byte(cmd)}
	if req != nil {
		enc, err := ctapcbor.Marshal(req)
		if err != nil {
			return fmt.Errorf("ctap2: encoding %s: %w", cmd, err)
		}
		payload = append(payload, enc...)
	}
	if len(payload) > c.maxMsgSize {
		return fmt.Errorf("%w: %d > %d bytes", ErrRequestTooLarge, len(payload), c.maxMsgSize)
	}
	out, err := c.t.Transact(ctx, ctaphid.CmdCBOR, payload, onKeepalive)
	if err != nil {
		return fmt.Errorf("ctap2: %s: %w", cmd, err)
	}
	if len(out) == 0 {
		return fmt.Errorf("%w: %s: empty response", ErrMalformedResponse, cmd)
	}
	if status := StatusCode(out[0]); status != StatusOK {
		return fmt.Errorf("ctap2: %s: %w", cmd, status)
	}
	if resp == nil {
		return nil
	}
	if len(out) == 1 {
		return fmt.Errorf("%w: %s: no response map", ErrMalformedResponse, cmd)
	}
	if err := ctapcbor.Unmarshal(out[1:], resp); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrMalformedResponse, cmd, err)
	}
	return nil
}

// Info is the authenticatorGetInfo response (CTAP 2.1 §6.4); only the members a client acts on.
type Info struct {
	Versions                 []string              `cbor:"1,keyasint"`
	Extensions               []string              `cbor:"2,keyasint,omitempty"`
	AAGUID                   []byte                `cbor:"3,keyasint"`
	Options                  map[string]bool       `cbor:"4,keyasint,omitempty"`
	MaxMsgSize               uint64                `cbor:"5,keyasint,omitempty"`
	PinUvAuthProtocols       []uint64              `cbor:"6,keyasint,omitempty"`
	MaxCredentialCountInList uint64                `cbor:"7,keyasint,omitempty"`
	MaxCredentialIDLength    uint64                `cbor:"8,keyasint,omitempty"`
	Transports               []string              `cbor:"9,keyasint,omitempty"`
	Algorithms               []CredentialParameter `cbor:"10,keyasint,omitempty"`
	FirmwareVersion          uint64                `cbor:"14,keyasint,omitempty"`
}

// HasVersion reports whether versions lists v (e.g. "U2F_V2", "FIDO_2_1").
func (i *Info) HasVersion(v string) bool {
	for _, x := range i.Versions {
		if x == v {
			return true
		}
	}
	return false
}

// Option returns an option's value and whether the authenticator reported it (absent and false differ, CTAP 2.1 §6.4).
func (i *Info) Option(name string) (value, present bool) {
	value, present = i.Options[name]
	return value, present
}

// GetInfo runs authenticatorGetInfo and remembers maxMsgSize.
func (c *Client) GetInfo(ctx context.Context) (*Info, error) {
	var info Info
	if err := c.call(ctx, CmdGetInfo, nil, &info, nil); err != nil {
		return nil, err
	}
	if len(info.Versions) == 0 {
		return nil, fmt.Errorf("%w: getInfo without versions", ErrMalformedResponse)
	}
	if info.MaxMsgSize >= defaultMaxMsgSize && info.MaxMsgSize <= ctaphid.MaxPayload {
		c.maxMsgSize = int(info.MaxMsgSize)
	}
	return &info, nil
}

// RPEntity is PublicKeyCredentialRpEntity.
type RPEntity struct {
	ID   string `cbor:"id"`
	Name string `cbor:"name,omitempty"`
}

// UserEntity is PublicKeyCredentialUserEntity.
type UserEntity struct {
	ID          []byte `cbor:"id"`
	Name        string `cbor:"name,omitempty"`
	DisplayName string `cbor:"displayName,omitempty"`
}

// CredentialParameter is PublicKeyCredentialParameters.
type CredentialParameter struct {
	Type string `cbor:"type"`
	Alg  int64  `cbor:"alg"`
}

// CredentialDescriptor is PublicKeyCredentialDescriptor.
type CredentialDescriptor struct {
	Type       string   `cbor:"type"`
	ID         []byte   `cbor:"id"`
	Transports []string `cbor:"transports,omitempty"`
}

// AlgES256 is COSE ES256 (ECDSA P-256 with SHA-256, RFC 9053 §2.1) as a credential parameter's alg.
const AlgES256 = int64(cose.AlgES256)

// MakeCredentialRequest holds authenticatorMakeCredential's parameters (CTAP 2.1 §6.1).
type MakeCredentialRequest struct {
	ClientDataHash    []byte                 `cbor:"1,keyasint"`
	RP                RPEntity               `cbor:"2,keyasint"`
	User              UserEntity             `cbor:"3,keyasint"`
	PubKeyCredParams  []CredentialParameter  `cbor:"4,keyasint"`
	ExcludeList       []CredentialDescriptor `cbor:"5,keyasint,omitempty"`
	Extensions        map[string]any         `cbor:"6,keyasint,omitempty"`
	Options           map[string]bool        `cbor:"7,keyasint,omitempty"`
	PinUvAuthParam    []byte                 `cbor:"8,keyasint,omitempty"`
	PinUvAuthProtocol uint64                 `cbor:"9,keyasint,omitempty"`
}

// MakeCredentialResponse is authenticatorMakeCredential's answer (CTAP 2.1 §6.1).
type MakeCredentialResponse struct {
	Format   string          `cbor:"1,keyasint"`
	AuthData []byte          `cbor:"2,keyasint"`
	AttStmt  cbor.RawMessage `cbor:"3,keyasint"`
	EPAtt    bool            `cbor:"4,keyasint,omitempty"`
}

// MakeCredential runs authenticatorMakeCredential. onKeepalive sees UPNEEDED while the key waits for a touch.
func (c *Client) MakeCredential(ctx context.Context, req *MakeCredentialRequest, onKeepalive func(ctaphid.KeepaliveStatus)) (*MakeCredentialResponse, error) {
	var resp MakeCredentialResponse
	if err := c.call(ctx, CmdMakeCredential, req, &resp, onKeepalive); err != nil {
		return nil, err
	}
	if resp.Format == "" || len(resp.AuthData) == 0 || len(resp.AttStmt) == 0 {
		return nil, fmt.Errorf("%w: makeCredential lacks fmt, authData or attStmt", ErrMalformedResponse)
	}
	return &resp, nil
}

// AttestationObject re-encodes the response as a WebAuthn attestationObject (WebAuthn L3 §6.5.4): text keys
// "fmt", "attStmt", "authData", canonical order. attStmt must be a text-keyed map; its values are kept byte for
// byte.
func (r *MakeCredentialResponse) AttestationObject() ([]byte, error) {
	var stmt map[string]cbor.RawMessage
	if err := ctapcbor.Unmarshal(r.AttStmt, &stmt); err != nil {
		return nil, fmt.Errorf("%w: attStmt is not a text-keyed map: %w", ErrMalformedResponse, err)
	}
	members := make(map[string]any, len(stmt))
	for k, v := range stmt {
		members[k] = v
	}
	return webauthn.EncodeAttestationStatement(webauthn.AttestationFormat(r.Format), members, r.AuthData)
}

// GetAssertionRequest holds authenticatorGetAssertion's parameters (CTAP 2.1 §6.2).
type GetAssertionRequest struct {
	RPID              string                 `cbor:"1,keyasint"`
	ClientDataHash    []byte                 `cbor:"2,keyasint"`
	AllowList         []CredentialDescriptor `cbor:"3,keyasint,omitempty"`
	Extensions        map[string]any         `cbor:"4,keyasint,omitempty"`
	Options           map[string]bool        `cbor:"5,keyasint,omitempty"`
	PinUvAuthParam    []byte                 `cbor:"6,keyasint,omitempty"`
	PinUvAuthProtocol uint64                 `cbor:"7,keyasint,omitempty"`
}

// GetAssertionResponse is authenticatorGetAssertion's answer (CTAP 2.1 §6.2).
type GetAssertionResponse struct {
	Credential          *CredentialDescriptor `cbor:"1,keyasint,omitempty"`
	AuthData            []byte                `cbor:"2,keyasint"`
	Signature           []byte                `cbor:"3,keyasint"`
	User                *UserEntity           `cbor:"4,keyasint,omitempty"`
	NumberOfCredentials uint64                `cbor:"5,keyasint,omitempty"`
	UserSelected        bool                  `cbor:"6,keyasint,omitempty"`
}

// GetAssertion runs authenticatorGetAssertion.
func (c *Client) GetAssertion(ctx context.Context, req *GetAssertionRequest, onKeepalive func(ctaphid.KeepaliveStatus)) (*GetAssertionResponse, error) {
	var resp GetAssertionResponse
	if err := c.call(ctx, CmdGetAssertion, req, &resp, onKeepalive); err != nil {
		return nil, err
	}
	if len(resp.AuthData) < authDataMinLength || len(resp.Signature) == 0 {
		return nil, fmt.Errorf("%w: getAssertion lacks authData or signature", ErrMalformedResponse)
	}
	return &resp, nil
}

// GetNextAssertion fetches the next of NumberOfCredentials assertions (CTAP 2.1 §6.3).
func (c *Client) GetNextAssertion(ctx context.Context) (*GetAssertionResponse, error) {
	var resp GetAssertionResponse
	if err := c.call(ctx, CmdGetNextAssertion, nil, &resp, nil); err != nil {
		return nil, err
	}
	if len(resp.AuthData) < authDataMinLength || len(resp.Signature) == 0 {
		return nil, fmt.Errorf("%w: getNextAssertion lacks authData or signature", ErrMalformedResponse)
	}
	return &resp, nil
}

// Selection runs authenticatorSelection (CTAP 2.1 §6.9): the key blinks and waits for a touch. Used to collect
// user presence before reporting "no credential" or "excluded", so that a page cannot probe a key silently.
func (c *Client) Selection(ctx context.Context, onKeepalive func(ctaphid.KeepaliveStatus)) error {
	return c.call(ctx, CmdSelection, nil, nil, onKeepalive)
}
