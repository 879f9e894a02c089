// Package cose is the wire format of COSE_Key objects for EC2 keys on P-256, for both ends of every protocol that
// carries them: ES256 credential public keys in authenticator data (WebAuthn L3 §6.5.1.1), and the key-agreement
// keys of the CTAP2 PIN/UV auth protocols (CTAP 2.1 §6.5.6, §6.5.7). Every point read from bytes is validated
// with filippo.io/nistec (on the curve, not the point at infinity) before it is returned.
//
// References: RFC 9052 §7 (COSE_Key, labels kty 1 and alg 3), RFC 9053 §2.1 (ES256), §6.3.1 (ECDH-ES + HKDF-256),
// §7.1.1 (EC2 labels crv -1, x -2, y -3), IANA COSE registries (kty 2 = EC2, crv 1 = P-256); CTAP 2.1 "Message
// Encoding" (CTAP2 canonical CBOR).
package cose

import (
	"bytes"
	"errors"
	"fmt"

	"filippo.io/nistec"

	"github.com/twinkey/twinkey/core/ctapcbor"
)

// Algorithm is a COSE algorithm identifier (label 3).
type Algorithm int64

const (
	AlgES256         Algorithm = -7  // ECDSA with SHA-256 (RFC 9053 §2.1)
	AlgECDHESHKDF256 Algorithm = -25 // ECDH-ES + HKDF-256 (RFC 9053 §6.3.1): CTAP2's key agreement (CTAP 2.1 §6.5.6)
)

// Key type and curve values of the IANA COSE registries.
const (
	KeyTypeEC2 = 2 // RFC 9053 §7.1
	CurveP256  = 1 // RFC 9053 §7.1, table 18
)

// EC2Key is an EC2 COSE_Key with its integer labels (RFC 9052 §7.1, RFC 9053 §7.1.1): the form it takes as a
// member of a CBOR message (a CTAP2 clientPIN request or response). P256Point validates one received that way.
type EC2Key struct {
	Kty int64     `cbor:"1,keyasint"`
	Alg Algorithm `cbor:"3,keyasint"`
	Crv int64     `cbor:"-1,keyasint"`
	X   []byte    `cbor:"-2,keyasint"`
	Y   []byte    `cbor:"-3,keyasint"`
}

// ErrInvalidPoint is returned for a point that is not a valid uncompressed P-256 point.
var ErrInvalidPoint = errors.New("cose: not an uncompressed P-256 point")

// ErrNotP256 is returned for a COSE_Key that is not an EC2 key on P-256 with 32-byte coordinates, or not of the
// algorithm asked for.
var ErrNotP256 = errors.New("cose: not an EC2 P-256 key")

// ValidateP256Point checks that p is 04 || X || Y on P-256 (SEC 1 v2 §2.3.4), not the point at infinity.
func ValidateP256Point(p []byte) error {
	if len(p) != 65 || p[0] != 0x04 {
		return ErrInvalidPoint
	}
	if _, err := nistec.NewP256Point().SetBytes(p); err != nil {
		return ErrInvalidPoint
	}
	return nil
}

// NewEC2P256 returns the COSE_Key of the uncompressed P-256 point for algorithm alg, after validating the point.
func NewEC2P256(alg Algorithm, point []byte) (EC2Key, error) {
	if err := ValidateP256Point(point); err != nil {
		return EC2Key{}, err
	}
	return EC2Key{Kty: KeyTypeEC2, Alg: alg, Crv: CurveP256,
		X: append([]byte(nil), point[1:33]...), Y: append([]byte(nil), point[33:65]...)}, nil
}

// P256Point checks that k is an EC2 key on P-256 with 32-byte coordinates whose point is valid, and returns the
// point as 04 || X || Y. The algorithm is the caller's to check: CTAP2 authenticators differ in what they put in
// label 3 of a key-agreement key.
func (k EC2Key) P256Point() ([]byte, error) {
	if k.Kty != KeyTypeEC2 || k.Crv != CurveP256 || len(k.X) != 32 || len(k.Y) != 32 {
		return nil, ErrNotP256
	}
	point := make([]byte, 0, 65)
	point = append(append(append(point, 0x04), k.X...), k.Y...)
	if err := ValidateP256Point(point); err != nil {
		return nil, err
	}
	return point, nil
}

// Encode encodes k in CTAP2 canonical CBOR: labels in the order 1, 3, -1, -2, -3 (77 bytes for P-256).
func (k EC2Key) Encode() ([]byte, error) { return ctapcbor.Marshal(k) }

// EncodeP256 encodes an uncompressed P-256 point as a COSE_Key for alg in CTAP2 canonical CBOR, after validating
// the point.
func EncodeP256(alg Algorithm, point []byte) ([]byte, error) {
	k, err := NewEC2P256(alg, point)
	if err != nil {
		return nil, err
	}
	return k.Encode()
}

// ParseP256 parses a COSE_Key (untrusted bytes) that must be an EC2 P-256 key for alg, with exactly the five
// members and in CTAP2 canonical form (it must encode back to b), and returns its validated point 04 || X || Y. On error it returns no point.
func ParseP256(b []byte, alg Algorithm) ([]byte, error) {
	var k EC2Key
	if err := ctapcbor.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("cose: COSE_Key: %w", err)
	}
	if k.Alg != alg {
		return nil, fmt.Errorf("%w: alg %d, want %d", ErrNotP256, k.Alg, alg)
	}
	point, err := k.P256Point()
	if err != nil {
		return nil, err
	}
	if canon, err := k.Encode(); err != nil || !bytes.Equal(canon, b) {
		return nil, errors.New("cose: COSE_Key is not in CTAP2 canonical form")
	}
	return point, nil
}
