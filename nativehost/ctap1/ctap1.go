// Package ctap1 is the client side of the FIDO U2F raw message protocol (CTAP1; PROTOCOLS.md §1) over CTAPHID_MSG:
// extended-length APDUs, REGISTER/AUTHENTICATE/VERSION, status words, and the polling loop on 6985 (user presence
// not yet given).
package ctap1

import (
	"context"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

// Transport carries one CTAPHID message; *ctaphid.Conn implements it.
type Transport interface {
	Transact(ctx context.Context, cmd ctaphid.Command, payload []byte, onKeepalive func(ctaphid.KeepaliveStatus)) ([]byte, error)
}

// Instruction is the INS byte of a U2F APDU (§1.1).
type Instruction byte

// U2F instructions.
const (
	InsRegister     Instruction = 0x01
	InsAuthenticate Instruction = 0x02
	InsVersion      Instruction = 0x03
)

// Control is the P1 byte of AUTHENTICATE (§1.3).
type Control byte

// AUTHENTICATE control bytes.
const (
	ControlEnforceUserPresence Control = 0x03 // sign once the user touched; 6985 until then
	ControlCheckOnly           Control = 0x07 // never signs: 6985 = "key handle is mine", 6A80 = not mine
	ControlDontEnforcePresence Control = 0x08
)

// StatusWord is the SW1 SW2 trailer of a U2F response (§1.4). A StatusWord other than SWNoError is an error value.
type StatusWord uint16

// Status words (U2F raw message formats v1.2 §3.3; PROTOCOLS.md §1.4).
const (
	SWNoError                StatusWord = 0x9000
	SWConditionsNotSatisfied StatusWord = 0x6985 // user presence required / key handle valid (check-only)
	SWWrongData              StatusWord = 0x6A80 // key handle not from this key or not for this application
	SWWrongLength            StatusWord = 0x6700
	SWInsNotSupported        StatusWord = 0x6D00
	SWClaNotSupported        StatusWord = 0x6E00
	SWCommandNotAllowed      StatusWord = 0x6986
	SWWrongDataLegacy        StatusWord = 0x6984 // some hobby firmware's "wrong data"
)

func (s StatusWord) String() string {
	switch s {
	case SWNoError:
		return "NO_ERROR"
	case SWConditionsNotSatisfied:
		return "CONDITIONS_NOT_SATISFIED"
	case SWWrongData:
		return "WRONG_DATA"
	case SWWrongLength:
		return "WRONG_LENGTH"
	case SWInsNotSupported:
		return "INS_NOT_SUPPORTED"
	case SWClaNotSupported:
		return "CLA_NOT_SUPPORTED"
	case SWCommandNotAllowed:
		return "COMMAND_NOT_ALLOWED"
	case SWWrongDataLegacy:
		return "WRONG_DATA_LEGACY"
	}
	return fmt.Sprintf("StatusWord(0x%04x)", uint16(s))
}

func (s StatusWord) Error() string {
	return fmt.Sprintf("ctap1: status %s (0x%04x)", s.String(), uint16(s))
}

// Decisions and parse failures.
var (
	// ErrKeyHandleNotRecognized: the key did not create this key handle for this application parameter (6A80,
	// or 6700/6984 from keys that answer a foreign handle that way; Chromium and libfido2 do the same).
	ErrKeyHandleNotRecognized = errors.New("ctap1: key handle not recognised by this key")
	ErrMalformedResponse      = errors.New("ctap1: malformed response")
	ErrKeyHandleTooLong       = errors.New("ctap1: key handle longer than 255 bytes")
)

// EncodeAPDU builds an extended-length command APDU (§1.1), always with Le = 0x0000 ("everything"):
//
//	with data:    CLA INS P1 P2 | 00 Lc_hi Lc_lo | data | 00 00
//	without data: CLA INS P1 P2 | 00 00 00
func EncodeAPDU(ins Instruction, p1, p2 byte, data []byte) ([]byte, error) {
	if len(data) > 0xFFFF {
		return nil, fmt.Errorf("ctap1: APDU data of %d bytes", len(data))
	}
	apdu := []byte{0x00, byte(ins), p1, p2}
	if len(data) == 0 {
		return append(apdu, 0, 0, 0), nil
	}
	apdu = append(apdu, 0, byte(len(data)>>8), byte(len(data)))
	apdu = append(apdu, data...)
	return append(apdu, 0, 0), nil
}

// SplitResponse separates a response APDU into data and status word.
func SplitResponse(resp []byte) ([]byte, StatusWord, error) {
	if len(resp) < 2 {
		return nil, 0, fmt.Errorf("%w: %d-byte response APDU", ErrMalformedResponse, len(resp))
	}
	n := len(resp) - 2
	return resp[:n], StatusWord(binary.BigEndian.Uint16(resp[n:])), nil
}

// RegisterResponse is a parsed REGISTER response (§1.2). Raw is the whole response data (without the status
// word): the U2F JS API's registrationData.
type RegisterResponse struct {
	PublicKey       [65]byte // uncompressed P-256 point 04 || X || Y
	KeyHandle       []byte
	AttestationCert []byte // X.509 DER
	Signature       []byte // ECDSA DER over 00 || app || challenge || keyHandle || publicKey
	Raw             []byte
}

// ParseRegisterResponse parses REGISTER response data:
//
//	| 0x05 | publicKey[65] | L | keyHandle[L] | attestation cert (DER SEQUENCE) | signature (DER) |
//
// The certificate's length comes from its outer DER header. On error nothing is returned.
func ParseRegisterResponse(data []byte) (*RegisterResponse, error) {
	if len(data) < 1+65+1 {
		return nil, fmt.Errorf("%w: REGISTER response of %d bytes", ErrMalformedResponse, len(data))
	}
	if data[0] != 0x05 {
		return nil, fmt.Errorf("%w: reserved byte 0x%02x, want 0x05", ErrMalformedResponse, data[0])
	}
	r := &RegisterResponse{Raw: append([]byte(nil), data...)}
	copy(r.PublicKey[:], data[1:66])
	if r.PublicKey[0] != 0x04 {
		return nil, fmt.Errorf("%w: public key is not an uncompressed point", ErrMalformedResponse)
	}
	l := int(data[66])
	rest := data[67:]
	if l == 0 || len(rest) < l {
		return nil, fmt.Errorf("%w: key handle length %d", ErrMalformedResponse, l)
	}
	r.KeyHandle = append([]byte(nil), rest[:l]...)
	rest = rest[l:]
	var cert asn1.RawValue
	sig, err := asn1.Unmarshal(rest, &cert)
	if err != nil || cert.Class != asn1.ClassUniversal || cert.Tag != asn1.TagSequence {
		return nil, fmt.Errorf("%w: attestation certificate is not a DER SEQUENCE", ErrMalformedResponse)
	}
	r.AttestationCert = append([]byte(nil), cert.FullBytes...)
	if err := checkECDSASignature(sig); err != nil {
		return nil, err
	}
	r.Signature = append([]byte(nil), sig...)
	return r, nil
}

// AuthenticateResponse is a parsed AUTHENTICATE response (§1.3). Raw is the U2F JS API's signatureData.
type AuthenticateResponse struct {
	UserPresence byte // bit 0: user present
	Counter      uint32
	Signature    []byte // ECDSA DER over app || UP || counter || challenge
	Raw          []byte
}

// ParseAuthenticateResponse parses | UP[1] | counter[4, BE] | signature (DER) |.
func ParseAuthenticateResponse(data []byte) (*AuthenticateResponse, error) {
	if len(data) < 5 {
		return nil, fmt.Errorf("%w: AUTHENTICATE response of %d bytes", ErrMalformedResponse, len(data))
	}
	if err := checkECDSASignature(data[5:]); err != nil {
		return nil, err
	}
	return &AuthenticateResponse{
		UserPresence: data[0],
		Counter:      binary.BigEndian.Uint32(data[1:5]),
		Signature:    append([]byte(nil), data[5:]...),
		Raw:          append([]byte(nil), data...),
	}, nil
}

// checkECDSASignature requires exactly one DER SEQUENCE { INTEGER r, INTEGER s }.
func checkECDSASignature(sig []byte) error {
	var v struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &v)
	if err != nil || len(rest) != 0 || v.R == nil || v.S == nil || v.R.Sign() <= 0 || v.S.Sign() <= 0 {
		return fmt.Errorf("%w: signature is not a DER ECDSA signature", ErrMalformedResponse)
	}
	return nil
}

// Client sends U2F commands over a Transport.
type Client struct {
	t            Transport
	pollInterval time.Duration
}

// DefaultPollInterval is Chromium's kU2fRetryDelay (§1.5).
const DefaultPollInterval = 200 * time.Millisecond

// NewClient returns a client that re-sends on 6985 every pollInterval (DefaultPollInterval if <= 0).
func NewClient(t Transport, pollInterval time.Duration) *Client {
	if pollInterval <= 0 {
		pollInterval = DefaultPollInterval
	}
	return &Client{t: t, pollInterval: pollInterval}
}

// send transmits one APDU and splits the answer.
func (c *Client) send(ctx context.Context, ins Instruction, p1 byte, data []byte) ([]byte, StatusWord, error) {
	apdu, err := EncodeAPDU(ins, p1, 0, data)
	if err != nil {
		return nil, 0, err
	}
	resp, err := c.t.Transact(ctx, ctaphid.CmdMsg, apdu, nil)
	if err != nil {
		return nil, 0, err
	}
	return SplitResponse(resp)
}

// poll re-sends an APDU while the key answers 6985 (§1.5). onWaiting (may be nil) is called once, at the first
// 6985: the moment to tell the user to touch the key.
func (c *Client) poll(ctx context.Context, ins Instruction, p1 byte, data []byte, onWaiting func()) ([]byte, error) {
	for first := true; ; first = false {
		body, sw, err := c.send(ctx, ins, p1, data)
		if err != nil {
			return nil, err
		}
		if sw != SWConditionsNotSatisfied {
			if sw != SWNoError {
				return nil, sw
			}
			return body, nil
		}
		if first && onWaiting != nil {
			onWaiting()
		}
		select {
		case <-time.After(c.pollInterval):
		case <-ctx.Done():
			return nil, fmt.Errorf("ctap1: waiting for a touch: %w", ctx.Err())
		}
	}
}

// Version returns the key's U2F version string ("U2F_V2").
func (c *Client) Version(ctx context.Context) (string, error) {
	body, sw, err := c.send(ctx, InsVersion, 0, nil)
	if err != nil {
		return "", err
	}
	if sw != SWNoError {
		return "", sw
	}
	return string(body), nil
}

// Register runs REGISTER(challenge, application), polling until the user touches the key.
func (c *Client) Register(ctx context.Context, challenge, application [32]byte, onWaiting func()) (*RegisterResponse, error) {
	body, err := c.poll(ctx, InsRegister, 0x00, append(challenge[:], application[:]...), onWaiting)
	if err != nil {
		return nil, fmt.Errorf("ctap1: REGISTER: %w", err)
	}
	return ParseRegisterResponse(body)
}

func authenticateData(challenge, application [32]byte, keyHandle []byte) ([]byte, error) {
	if len(keyHandle) > 255 {
		return nil, ErrKeyHandleTooLong
	}
	data := append(challenge[:], application[:]...)
	data = append(data, byte(len(keyHandle)))
	return append(data, keyHandle...), nil
}

// notRecognized maps the status words keys use for "not my key handle" to ErrKeyHandleNotRecognized.
func notRecognized(err error) error {
	var sw StatusWord
	if errors.As(err, &sw) && (sw == SWWrongData || sw == SWWrongLength || sw == SWWrongDataLegacy) {
		return fmt.Errorf("%w (%s)", ErrKeyHandleNotRecognized, sw.String())
	}
	return err
}

// Authenticate runs AUTHENTICATE with enforce-user-presence, polling until the user touches the key. A key
// handle the key does not own gives ErrKeyHandleNotRecognized.
func (c *Client) Authenticate(ctx context.Context, challenge, application [32]byte, keyHandle []byte, onWaiting func()) (*AuthenticateResponse, error) {
	data, err := authenticateData(challenge, application, keyHandle)
	if err != nil {
		return nil, err
	}
	body, err := c.poll(ctx, InsAuthenticate, byte(ControlEnforceUserPresence), data, onWaiting)
	if err != nil {
		return nil, fmt.Errorf("ctap1: AUTHENTICATE: %w", notRecognized(err))
	}
	return ParseAuthenticateResponse(body)
}

// CheckKeyHandle asks, without user presence, whether the key owns keyHandle for application (check-only,
// §1.3): 6985 means yes, 6A80/6700 no.
func (c *Client) CheckKeyHandle(ctx context.Context, application [32]byte, keyHandle []byte) (bool, error) {
	var dummy [32]byte
	data, err := authenticateData(dummy, application, keyHandle)
	if err != nil {
		return false, err
	}
	_, sw, err := c.send(ctx, InsAuthenticate, byte(ControlCheckOnly), data)
	if err != nil {
		return false, fmt.Errorf("ctap1: check-only: %w", err)
	}
	switch sw {
	case SWConditionsNotSatisfied:
		return true, nil
	case SWWrongData, SWWrongLength, SWWrongDataLegacy:
		return false, nil
	}
	return false, fmt.Errorf("ctap1: check-only: %w", sw)
}

// BogusRegisterParam are the challenge and application python-fido2 uses for a REGISTER whose only purpose is to
// collect a touch (§1.5): "already registered" and "no credential on this key" still need the user to act.
var BogusRegisterParam = [32]byte{}

// WaitForTouch runs a throw-away REGISTER and discards the result.
func (c *Client) WaitForTouch(ctx context.Context, onWaiting func()) error {
	_, err := c.poll(ctx, InsRegister, 0x00, append(BogusRegisterParam[:], BogusRegisterParam[:]...), onWaiting)
	return err
}
