package ctap1

import (
	"encoding/binary"
	"errors"
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
	UserPublicKey []byte
	KeyHandle     []byte
	Certificate   []byte
	Signature     []byte
}

// ErrResponseTooLong is returned when a key handle does not fit the one-byte length.
var ErrResponseTooLong = errors.New("ctap1: key handle longer than 255 bytes")

// Encode returns the response data (without the status word).
func (r RegisterResponse) Encode() ([]byte, error) {
	if len(r.KeyHandle) > 255 {
		return nil, ErrResponseTooLong
	}
	if len(r.UserPublicKey) != 65 {
		return nil, errors.New("ctap1: user public key must be 65 bytes")
	}
	out := make([]byte, 0, 67+len(r.KeyHandle)+len(r.Certificate)+len(r.Signature))
	out = append(out, registerReserved)
	out = append(out, r.UserPublicKey...)
	out = append(out, byte(len(r.KeyHandle)))
	out = append(out, r.KeyHandle...)
	out = append(out, r.Certificate...)
	return append(out, r.Signature...), nil
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
	UserPresence byte
	Counter      uint32
	Signature    []byte
}

// Encode returns the response data (without the status word); it is also the U2F JS API's signatureData.
func (r AuthenticateResponse) Encode() []byte {
	out := make([]byte, 0, 5+len(r.Signature))
	out = append(out, r.UserPresence)
	out = binary.BigEndian.AppendUint32(out, r.Counter)
	return append(out, r.Signature...)
}
