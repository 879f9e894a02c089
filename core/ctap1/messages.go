package ctap1

import (
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
)

// Reserved byte at the start of a REGISTER response (U2F raw messages v1.2 §4.3).
const registerReserved = 0x05

// RegisterSignedData is what the attestation key signs for REGISTER (U2F raw messages v1.2 §4.3):
//
//	0x00 || application[32] || challenge[32] || keyHandle[L] || userPublicKey[65]
func RegisterSignedData(application, challenge [32]byte, keyHandle, userPublicKey []byte) []byte {
	out := make([]byte, 0, 1+32+32+len(keyHandle)+len(userPublicKey))
	out = append(out, 0x00)
	out = append(out, application[:]...)
	out = append(out, challenge[:]...)
	out = append(out, keyHandle...)
	return append(out, userPublicKey...)
}

// RegisterResponse is the data of a successful REGISTER response (U2F raw messages v1.2 §4.3):
//
//	offset    size  field
//	0         1     reserved 0x05
//	1         65    user public key 04||X||Y
//	66        1     key handle length L
//	67        L     key handle
//	67+L      var   attestation certificate (X.509 DER)
//	...       var   signature (ECDSA DER) over RegisterSignedData
type RegisterResponse struct {
	PublicKey       [65]byte // uncompressed P-256 point 04 || X || Y
	KeyHandle       []byte
	AttestationCert []byte // X.509 DER
	Signature       []byte // ECDSA DER over RegisterSignedData
	// Raw is the whole response data as parsed (the U2F JS API's registrationData); Encode ignores it.
	Raw []byte
}

// Encode returns the response data (without the status word).
func (r RegisterResponse) Encode() ([]byte, error) {
	if len(r.KeyHandle) > 255 {
		return nil, ErrKeyHandleTooLong
	}
	if r.PublicKey[0] != 0x04 {
		return nil, errors.New("ctap1: user public key is not an uncompressed point")
	}
	out := make([]byte, 0, 67+len(r.KeyHandle)+len(r.AttestationCert)+len(r.Signature))
	out = append(out, registerReserved)
	out = append(out, r.PublicKey[:]...)
	out = append(out, byte(len(r.KeyHandle)))
	out = append(out, r.KeyHandle...)
	out = append(out, r.AttestationCert...)
	return append(out, r.Signature...), nil
}

// ParseRegisterResponse parses REGISTER response data (untrusted bytes from a key). The certificate's length comes
// from its outer DER header; the signature must be exactly one DER ECDSA signature. The point is not checked
// against the curve here (callers that use it as a key validate it). On error nothing is returned.
func ParseRegisterResponse(data []byte) (*RegisterResponse, error) {
	if len(data) < 1+65+1 {
		return nil, fmt.Errorf("%w: REGISTER response of %d bytes", ErrMalformedResponse, len(data))
	}
	if data[0] != registerReserved {
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

// UserPresenceFlag is bit 0 of the AUTHENTICATE response's first byte.
const UserPresenceFlag = 0x01

// AuthenticateSignedData is what the credential key signs for AUTHENTICATE (U2F raw messages v1.2 §5.4):
//
//	application[32] || userPresence[1] || counter[4, big-endian] || challenge[32]
//
// The first 37 bytes are also a valid WebAuthn authenticatorData (WebAuthn L3 §6.1).
func AuthenticateSignedData(application [32]byte, userPresence byte, counter uint32, challenge [32]byte) []byte {
	out := make([]byte, 0, 32+1+4+32)
	out = append(out, application[:]...)
	out = append(out, userPresence)
	out = binary.BigEndian.AppendUint32(out, counter)
	return append(out, challenge[:]...)
}

// AuthenticateResponse is the data of a successful AUTHENTICATE response (U2F raw messages v1.2 §5.4):
//
//	userPresence[1] || counter[4, big-endian] || signature (ECDSA DER)
type AuthenticateResponse struct {
	UserPresence byte // bit 0 (UserPresenceFlag): user present
	Counter      uint32
	Signature    []byte // ECDSA DER over AuthenticateSignedData
	// Raw is the whole response data as parsed (the U2F JS API's signatureData); Encode ignores it.
	Raw []byte
}

// Encode returns the response data (without the status word); it is also the U2F JS API's signatureData.
func (r AuthenticateResponse) Encode() []byte {
	out := make([]byte, 0, 5+len(r.Signature))
	out = append(out, r.UserPresence)
	out = binary.BigEndian.AppendUint32(out, r.Counter)
	return append(out, r.Signature...)
}

// ParseAuthenticateResponse parses AUTHENTICATE response data (untrusted bytes from a key). On error nothing is
// returned.
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

// checkECDSASignature requires exactly one DER SEQUENCE { INTEGER r, INTEGER s } with positive r and s
// (SEC 1 v2 §C.5, Ecdsa-Sig-Value).
func checkECDSASignature(sig []byte) error {
	var v struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &v)
	if err != nil || len(rest) != 0 || v.R == nil || v.S == nil || v.R.Sign() <= 0 || v.S.Sign() <= 0 {
		return fmt.Errorf("%w: signature is not a DER ECDSA signature", ErrMalformedResponse)
	}
	return nil
}
