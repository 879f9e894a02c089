package ctap2

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/twinkey/twinkey/core/cose"
)

// PINProtocol is a PIN/UV auth protocol number (CTAP 2.1 §6.5.6, §6.5.7).
type PINProtocol uint64

// PIN/UV auth protocols.
const (
	PINProtocolOne PINProtocol = 1
	PINProtocolTwo PINProtocol = 2
)

// ClientPINSubcommand is an authenticatorClientPIN subCommand (CTAP 2.1 §6.5.5).
type ClientPINSubcommand uint64

// Subcommands used by this client.
const (
	SubGetPINRetries                           ClientPINSubcommand = 0x01
	SubGetKeyAgreement                         ClientPINSubcommand = 0x02
	SubGetPINToken                             ClientPINSubcommand = 0x05
	SubGetPinUvAuthTokenUsingPinWithPermissons ClientPINSubcommand = 0x09
)

// Permission is a pinUvAuthToken permission bit (CTAP 2.1 §6.5.5.7).
type Permission uint64

// Permissions.
const (
	PermissionMakeCredential Permission = 0x01
	PermissionGetAssertion   Permission = 0x02
)

// Errors of the PIN layer.
var (
	ErrPINTooShort         = errors.New("ctap2: PIN must have at least 4 characters")
	ErrPINTooLong          = errors.New("ctap2: PIN must be at most 63 bytes")
	ErrPINNotUTF8          = errors.New("ctap2: PIN is not valid UTF-8")
	ErrPINHasNUL           = errors.New("ctap2: PIN must not contain NUL")
	ErrInvalidKeyAgreement = errors.New("ctap2: the key's key-agreement public key is not a valid P-256 point")
	ErrBadPINToken         = errors.New("ctap2: the key returned an undecryptable pinUvAuthToken")
)

type clientPINRequest struct {
	Protocol     PINProtocol         `cbor:"1,keyasint"`
	Subcommand   ClientPINSubcommand `cbor:"2,keyasint"`
	KeyAgreement *cose.EC2Key        `cbor:"3,keyasint,omitempty"`
	PinHashEnc   []byte              `cbor:"6,keyasint,omitempty"`
	Permissions  Permission          `cbor:"9,keyasint,omitempty"`
	RPID         string              `cbor:"10,keyasint,omitempty"`
}

type clientPINResponse struct {
	KeyAgreement    *cose.EC2Key `cbor:"1,keyasint,omitempty"`
	PinUvAuthToken  []byte       `cbor:"2,keyasint,omitempty"`
	PINRetries      *uint64      `cbor:"3,keyasint,omitempty"`
	PowerCycleState bool         `cbor:"4,keyasint,omitempty"`
}

// GetPINRetries returns the PIN retries left and whether the key needs a power cycle before the next attempt.
func (c *Client) GetPINRetries(ctx context.Context, p PINProtocol) (retries int, powerCycle bool, err error) {
	var resp clientPINResponse
	if err := c.call(ctx, CmdClientPIN, &clientPINRequest{Protocol: p, Subcommand: SubGetPINRetries}, &resp, nil); err != nil {
		return 0, false, err
	}
	if resp.PINRetries == nil {
		return 0, false, fmt.Errorf("%w: getPINRetries without pinRetries", ErrMalformedResponse)
	}
	return int(*resp.PINRetries), resp.PowerCycleState, nil
}

// sharedSecret is the platform side of one key agreement.
type sharedSecret struct {
	protocol PINProtocol
	platform *cose.EC2Key // our ephemeral public key, sent to the authenticator
	hmacKey  []byte
	aesKey   []byte
}

// keyAgreement runs getKeyAgreement and derives the shared secret (§6.5.6 protocol 1: SHA-256(Z);
// §6.5.7 protocol 2: HKDF-SHA-256, salt 32 zero bytes, info "CTAP2 HMAC key" / "CTAP2 AES key").
func (c *Client) keyAgreement(ctx context.Context, p PINProtocol) (*sharedSecret, error) {
	var resp clientPINResponse
	if err := c.call(ctx, CmdClientPIN, &clientPINRequest{Protocol: p, Subcommand: SubGetKeyAgreement}, &resp, nil); err != nil {
		return nil, err
	}
	if resp.KeyAgreement == nil {
		return nil, ErrInvalidKeyAgreement
	}
	peer, err := resp.KeyAgreement.P256Point()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKeyAgreement, err)
	}
	peerKey, err := ecdh.P256().NewPublicKey(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKeyAgreement, err)
	}
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ctap2: ephemeral key: %w", err)
	}
	z, err := priv.ECDH(peerKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKeyAgreement, err)
	}
	platform, err := cose.NewEC2P256(cose.AlgECDHESHKDF256, priv.PublicKey().Bytes())
	if err != nil {
		return nil, err
	}
	s := &sharedSecret{protocol: p, platform: &platform}
	switch p {
	case PINProtocolOne:
		h := sha256.Sum256(z)
		s.hmacKey, s.aesKey = h[:], h[:]
	case PINProtocolTwo:
		salt := make([]byte, 32)
		if s.hmacKey, err = hkdf.Key(sha256.New, z, salt, "CTAP2 HMAC key", 32); err != nil {
			return nil, err
		}
		if s.aesKey, err = hkdf.Key(sha256.New, z, salt, "CTAP2 AES key", 32); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("ctap2: unsupported PIN protocol %d", p)
	}
	return s, nil
}

// encrypt is AES-256-CBC: protocol 1 with a zero IV, protocol 2 with a random IV prepended.
func (s *sharedSecret) encrypt(plaintext []byte) ([]byte, error) {
	return pinEncrypt(s.protocol, s.aesKey, plaintext, rand.Reader)
}

func (s *sharedSecret) decrypt(ciphertext []byte) ([]byte, error) {
	return pinDecrypt(s.protocol, s.aesKey, ciphertext)
}

func pinEncrypt(p PINProtocol, key, plaintext []byte, random io.Reader) ([]byte, error) {
	if len(plaintext)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("ctap2: plaintext not block aligned")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, aes.BlockSize)
	var out []byte
	if p == PINProtocolTwo {
		if _, err := io.ReadFull(random, iv); err != nil {
			return nil, err
		}
		out = append(out, iv...)
	}
	ct := make([]byte, len(plaintext))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, plaintext)
	return append(out, ct...), nil
}

func pinDecrypt(p PINProtocol, key, ciphertext []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, aes.BlockSize)
	if p == PINProtocolTwo {
		if len(ciphertext) < aes.BlockSize {
			return nil, ErrBadPINToken
		}
		iv, ciphertext = ciphertext[:aes.BlockSize], ciphertext[aes.BlockSize:]
	}
	if len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return nil, ErrBadPINToken
	}
	pt := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ciphertext)
	return pt, nil
}

// Authenticate computes pinUvAuthParam = authenticate(key, msg): HMAC-SHA-256, truncated to 16 bytes for
// protocol 1 (§6.5.6), full for protocol 2 (§6.5.7). For makeCredential/getAssertion, key is the
// pinUvAuthToken and msg the clientDataHash.
func Authenticate(p PINProtocol, key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	sum := m.Sum(nil)
	if p == PINProtocolOne {
		return sum[:16]
	}
	return sum
}

// CheckPIN applies the CTAP 2.1 §6.5.1 PIN rules the client must enforce: UTF-8, at least 4 code points, at
// most 63 bytes; and no NUL, because a new PIN travels padded with 0x00 bytes to 64 (§6.5.5.5), so an
// authenticator cannot tell a NUL inside a PIN from its padding.
func CheckPIN(pin string) error {
	switch {
	case !utf8.ValidString(pin):
		return ErrPINNotUTF8
	case strings.IndexByte(pin, 0) >= 0:
		return ErrPINHasNUL
	case utf8.RuneCountInString(pin) < 4:
		return ErrPINTooShort
	case len(pin) > 63:
		return ErrPINTooLong
	}
	return nil
}

// GetPINToken obtains a pinUvAuthToken from the PIN. With permissions != 0 it uses
// getPinUvAuthTokenUsingPinWithPermissions (CTAP 2.1, 0x09) scoped to rpID; with 0 the legacy getPinToken (0x05).
// The PIN is used for this call only and never kept. A wrong PIN gives StatusPINInvalid; the caller asks
// GetPINRetries how many attempts remain.
func (c *Client) GetPINToken(ctx context.Context, p PINProtocol, pin string, permissions Permission, rpID string) ([]byte, error) {
	if err := CheckPIN(pin); err != nil {
		return nil, err
	}
	s, err := c.keyAgreement(ctx, p)
	if err != nil {
		return nil, err
	}
	pinHash := sha256.Sum256([]byte(pin))
	pinHashEnc, err := s.encrypt(pinHash[:16])
	if err != nil {
		return nil, err
	}
	req := &clientPINRequest{Protocol: p, Subcommand: SubGetPINToken, KeyAgreement: s.platform, PinHashEnc: pinHashEnc}
	if permissions != 0 {
		req.Subcommand = SubGetPinUvAuthTokenUsingPinWithPermissons
		req.Permissions = permissions
		req.RPID = rpID
	}
	var resp clientPINResponse
	if err := c.call(ctx, CmdClientPIN, req, &resp, nil); err != nil {
		return nil, err
	}
	token, err := s.decrypt(resp.PinUvAuthToken)
	if err != nil {
		return nil, err
	}
	if p == PINProtocolTwo && len(token) != 32 || p == PINProtocolOne && len(token) != 16 && len(token) != 32 {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadPINToken, len(token))
	}
	if bytes.Equal(token, make([]byte, len(token))) {
		return nil, ErrBadPINToken
	}
	return token, nil
}
