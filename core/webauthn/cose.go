package webauthn

import (
	"errors"

	"github.com/twinkey/twinkey/core/cose"
)

// COSEAlgES256 is the COSE algorithm of every Twinkey credential key (RFC 9053 §2.1), as the int of
// PublicKeyCredential's getPublicKeyAlgorithm() (WebAuthn L3 §5.2.1.1).
const COSEAlgES256 = int(cose.AlgES256)

// ErrInvalidPublicKey is returned for a point that is not a valid uncompressed P-256 point.
var ErrInvalidPublicKey = errors.New("webauthn: not an uncompressed P-256 point")

// validPoint checks that p is 04||X||Y on P-256 (not the point at infinity).
func validPoint(p []byte) error {
	if cose.ValidateP256Point(p) != nil {
		return ErrInvalidPublicKey
	}
	return nil
}

// EncodeCOSEKey encodes an uncompressed P-256 point as an ES256 COSE_Key in CTAP2 canonical CBOR (77 bytes).
func EncodeCOSEKey(point []byte) ([]byte, error) {
	if err := validPoint(point); err != nil {
		return nil, err
	}
	return cose.EncodeP256(cose.AlgES256, point)
}

// ParseCOSEKey parses an ES256 COSE_Key (untrusted bytes) into an uncompressed P-256 point: only the canonical
// encoding with exactly the five members, and a point on the curve (cose.ParseP256).
func ParseCOSEKey(b []byte) ([]byte, error) {
	point, err := cose.ParseP256(b, cose.AlgES256)
	if errors.Is(err, cose.ErrInvalidPoint) {
		return nil, ErrInvalidPublicKey
	}
	return point, err
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
