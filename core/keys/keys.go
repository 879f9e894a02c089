// Package keys derives Twinkey's per-site P-256 keys from one device secret and makes and checks key handles.
//
// The scheme follows Yubico's published U2F key derivation: nothing is stored per site. At registration a random
// nonce is drawn, the site's private scalar is derived from the device secret, the application parameter and the
// nonce, and the site receives a key handle made of the nonce and a MAC that binds it to this device secret and
// this application parameter. At sign-in the handle comes back, the MAC is checked in constant time, and the key is
// derived again. Anything holding the same device secret (the backup twin) answers for every handle.
//
// Subkeys. The 32-byte device secret is never used directly. HKDF-SHA256 (RFC 5869, empty salt) expands it into
// independent 32-byte subkeys, one per purpose, named by the info labels below. Changing a label changes every key,
// so the labels are part of the format.
//
// Private scalar. d = HMAC-SHA256(derivationKey, applicationParameter || nonce), read as a big-endian integer.
// If d is 0 or d >= n (the P-256 group order; probability about 2^-32), the rule is to derive again with a
// one-byte retry counter appended: HMAC-SHA256(derivationKey, applicationParameter || nonce || i) for
// i = 1, 2, ... until a valid scalar appears. The first valid candidate is the key; the rule is deterministic, so
// primary and backup always agree.
//
// Signatures are deterministic (RFC 6979, through crypto/ecdsa with a nil random source). Reason: the browser's
// randomness inside WebAssembly is not ours to audit, and a biased ECDSA nonce leaks the key; RFC 6979 removes the
// nonce from the threat surface and makes signatures reproducible for test vectors. The usual objection (fault
// attacks on deterministic signing) concerns hardware that can be glitched, not a browser process.
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
)

// SecretSize is the size of the device secret: the entropy behind the 24-word recovery phrase.
const SecretSize = 32

// HKDF info labels, one per subkey purpose. Part of the format: see the package documentation.
const (
	labelDerivation = "twinkey/v1/key-derivation"
	labelHandleMAC  = "twinkey/v1/key-handle-mac"
)

// Key handle layout (version 1), 65 bytes, fixed length:
//
//	offset  size  field
//	0       1     version = 0x01
//	1       32    nonce: random, drawn at registration
//	33      32    mac = HMAC-SHA256(handleMACKey, version || applicationParameter || nonce)
//
// The application parameter is SHA-256 of the RP ID (WebAuthn) or of the AppID (U2F); it is not in the handle, so
// a handle presented for another site fails the MAC. The handle carries no role: primary and backup answer the
// same handles.
const (
	HandleVersion1 = 0x01
	NonceSize      = 32
	MACSize        = 32
	HandleSize     = 1 + NonceSize + MACSize
)

// ErrNotMine is the decision "this key handle was not made by this device secret for this application
// parameter". Callers route such handles elsewhere (a USB key, the browser); it is not a malformed-input error.
var ErrNotMine = errors.New("keys: key handle is not from this device for this site")

// Device holds the subkeys of one device secret. It is immutable and safe for concurrent use.
type Device struct {
	derivationKey [32]byte
	handleMACKey  [32]byte
}

// NewDevice expands a device secret into its subkeys.
func NewDevice(secret [SecretSize]byte) (*Device, error) {
	d := new(Device)
	for _, sub := range []struct {
		label string
		out   *[32]byte
	}{{labelDerivation, &d.derivationKey}, {labelHandleMAC, &d.handleMACKey}} {
		k, err := hkdf.Expand(sha256.New, secret[:], sub.label, 32)
		if err != nil {
			return nil, fmt.Errorf("keys: hkdf %s: %w", sub.label, err)
		}
		copy(sub.out[:], k)
		clear(k)
	}
	return d, nil
}

// NewCredential draws a nonce from rand and returns the key handle and private key for applicationParameter.
func (d *Device) NewCredential(rand io.Reader, applicationParameter [32]byte) ([]byte, *ecdsa.PrivateKey, error) {
	var nonce [NonceSize]byte
	if _, err := io.ReadFull(rand, nonce[:]); err != nil {
		return nil, nil, fmt.Errorf("keys: drawing a nonce: %w", err)
	}
	handle := make([]byte, 0, HandleSize)
	handle = append(handle, HandleVersion1)
	handle = append(handle, nonce[:]...)
	handle = append(handle, d.handleMAC(HandleVersion1, applicationParameter, nonce[:])...)
	priv, err := d.privateKey(applicationParameter, nonce[:])
	if err != nil {
		return nil, nil, err
	}
	return handle, priv, nil
}

// Open checks handle against applicationParameter in constant time and derives its private key. A handle of the
// wrong length or version, from another device secret or for another application parameter gives ErrNotMine.
func (d *Device) Open(handle []byte, applicationParameter [32]byte) (*ecdsa.PrivateKey, error) {
	if !d.IsMine(handle, applicationParameter) {
		return nil, ErrNotMine
	}
	return d.privateKey(applicationParameter, handle[1:1+NonceSize])
}

// IsMine reports whether handle is this device's handle for applicationParameter. The MAC comparison is constant
// time; the length and version checks depend only on public data.
func (d *Device) IsMine(handle []byte, applicationParameter [32]byte) bool {
	if len(handle) != HandleSize || handle[0] != HandleVersion1 {
		return false
	}
	want := d.handleMAC(handle[0], applicationParameter, handle[1:1+NonceSize])
	return subtle.ConstantTimeCompare(want, handle[1+NonceSize:]) == 1
}

func (d *Device) handleMAC(version byte, applicationParameter [32]byte, nonce []byte) []byte {
	m := hmac.New(sha256.New, d.handleMACKey[:])
	m.Write([]byte{version})
	m.Write(applicationParameter[:])
	m.Write(nonce)
	return m.Sum(nil)
}

// maxScalarRetries bounds the retry rule; reaching it would need 2^-32 odds to repeat 255 times.
const maxScalarRetries = 255

func (d *Device) privateKey(applicationParameter [32]byte, nonce []byte) (*ecdsa.PrivateKey, error) {
	return scalarFromCandidates(func(retry byte) []byte {
		m := hmac.New(sha256.New, d.derivationKey[:])
		m.Write(applicationParameter[:])
		m.Write(nonce)
		if retry > 0 {
			m.Write([]byte{retry})
		}
		return m.Sum(nil)
	})
}

// scalarFromCandidates applies the retry rule: candidate(0), candidate(1), ... until one is a valid P-256 scalar.
func scalarFromCandidates(candidate func(retry byte) []byte) (*ecdsa.PrivateKey, error) {
	for i := 0; i <= maxScalarRetries; i++ {
		c := candidate(byte(i))
		priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), c)
		clear(c)
		if err == nil {
			return priv, nil
		}
	}
	return nil, errors.New("keys: no valid P-256 scalar after retries")
}

// Sign returns the ASN.1 DER ECDSA-P256-SHA256 signature of message, deterministic per RFC 6979.
func Sign(priv *ecdsa.PrivateKey, message []byte) ([]byte, error) {
	digest := sha256.Sum256(message)
	sig, err := priv.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("keys: signing: %w", err)
	}
	return sig, nil
}

// PublicKeyBytes returns the uncompressed point 04 || X || Y (65 bytes).
func PublicKeyBytes(pub *ecdsa.PublicKey) ([]byte, error) {
	b, err := pub.Bytes()
	if err != nil {
		return nil, fmt.Errorf("keys: encoding public key: %w", err)
	}
	return b, nil
}
