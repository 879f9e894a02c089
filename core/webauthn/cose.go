package webauthn

import (
	"bytes"
	"errors"
	"fmt"

	"filippo.io/nistec"
	"github.com/fxamacker/cbor/v2"
)

// COSE algorithm and key constants (RFC 9053 §2.1, §7.1; IANA COSE registries).
const (
	COSEAlgES256 = -7
	coseKtyEC2   = 2
	coseCrvP256  = 1
)

// COSE key labels (RFC 9052 §7.1, RFC 9053 §7.1.1).
const (
	coseLabelKty = 1
	coseLabelAlg = 3
	coseLabelCrv = -1
	coseLabelX   = -2
	coseLabelY   = -3
)

// coseEC2Key is an ES256 COSE_Key. Field order is irrelevant: the CTAP2 canonical encoder sorts the keys as
// 1, 3, -1, -2, -3 (length-first canonical order, CTAP 2.1 §6).
type coseEC2Key struct {
	Kty int    `cbor:"1,keyasint"`
	Alg int    `cbor:"3,keyasint"`
	Crv int    `cbor:"-1,keyasint"`
	X   []byte `cbor:"-2,keyasint"`
	Y   []byte `cbor:"-3,keyasint"`
}

var (
	ctap2Enc  cbor.EncMode
	strictDec cbor.DecMode
)

func init() {
	var err error
	if ctap2Enc, err = cbor.CTAP2EncOptions().EncMode(); err != nil {
		panic(err) // static options; cannot fail
	}
	if strictDec, err = (cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		MaxNestedLevels:  4,
		MaxArrayElements: 64,
		MaxMapPairs:      64,
	}).DecMode(); err != nil {
		panic(err)
	}
}

// ErrInvalidPublicKey is returned for a point that is not a valid uncompressed P-256 point.
var ErrInvalidPublicKey = errors.New("webauthn: not an uncompressed P-256 point")

// validPoint checks that p is 04||X||Y on P-256 (not the point at infinity).
func validPoint(p []byte) error {
	if len(p) != 65 || p[0] != 0x04 {
		return ErrInvalidPublicKey
	}
	if _, err := nistec.NewP256Point().SetBytes(p); err != nil {
		return ErrInvalidPublicKey
	}
	return nil
}

// EncodeCOSEKey encodes an uncompressed P-256 point as an ES256 COSE_Key in CTAP2 canonical CBOR (77 bytes).
func EncodeCOSEKey(point []byte) ([]byte, error) {
	if err := validPoint(point); err != nil {
		return nil, err
	}
	return ctap2Enc.Marshal(coseEC2Key{Kty: coseKtyEC2, Alg: COSEAlgES256, Crv: coseCrvP256, X: point[1:33], Y: point[33:65]})
}

// ParseCOSEKey parses an ES256 COSE_Key (untrusted bytes) into an uncompressed P-256 point. It accepts only the
// canonical encoding with exactly the five members, and checks the point is on the curve.
func ParseCOSEKey(b []byte) ([]byte, error) {
	var k coseEC2Key
	if err := strictDec.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("webauthn: COSE key: %w", err)
	}
	if k.Kty != coseKtyEC2 || k.Alg != COSEAlgES256 || k.Crv != coseCrvP256 || len(k.X) != 32 || len(k.Y) != 32 {
		return nil, errors.New("webauthn: COSE key is not ES256 EC2 P-256")
	}
	point := append(append([]byte{0x04}, k.X...), k.Y...)
	if err := validPoint(point); err != nil {
		return nil, err
	}
	if canon, err := EncodeCOSEKey(point); err != nil || !bytes.Equal(canon, b) {
		return nil, errors.New("webauthn: COSE key is not in CTAP2 canonical form")
	}
	return point, nil
}

// spkiP256Prefix is the DER SubjectPublicKeyInfo header for an uncompressed P-256 point (RFC 5480 §2).
var spkiP256Prefix = []byte{
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
}

// SubjectPublicKeyInfo returns the 91-byte DER SPKI of an uncompressed P-256 point, as
// AuthenticatorAttestationResponse.getPublicKey() returns it (WebAuthn L3 §5.2.1.1).
func SubjectPublicKeyInfo(point []byte) ([]byte, error) {
	if err := validPoint(point); err != nil {
		return nil, err
	}
	return append(append([]byte(nil), spkiP256Prefix...), point...), nil
}
