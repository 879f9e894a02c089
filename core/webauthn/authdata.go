// Package webauthn is the wire format of WebAuthn's authenticator objects, for both ends: authenticator data and
// its flags, attested credential data, attestation objects (none, packed self attestation, fido-u2f, and the
// statements other authenticators produce), and the client's objects (client data JSON, the toJSON shapes). The
// authenticator (package core) encodes them; the clients (core/client, nativehost) parse what USB keys send with
// the same types. COSE keys are package cose's.
//
// References: W3C Web Authentication Level 3 (§5.8.1 client data, §6.1 authenticator data, §6.5 attestation,
// §8.2 packed, §8.6 fido-u2f); CTAP 2.1 §6 (CTAP2 canonical CBOR).
package webauthn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"github.com/twinkey/twinkey/core/ctapcbor"
)

// AuthenticatorFlags is the flags byte of authenticator data (WebAuthn L3 §6.1).
type AuthenticatorFlags byte

const (
	FlagUserPresent            AuthenticatorFlags = 0x01 // UP
	FlagUserVerified           AuthenticatorFlags = 0x04 // UV
	FlagBackupEligible         AuthenticatorFlags = 0x08 // BE: must not change after registration
	FlagBackupState            AuthenticatorFlags = 0x10 // BS: only with BE
	FlagAttestedCredentialData AuthenticatorFlags = 0x40 // AT: registration only
	FlagExtensionData          AuthenticatorFlags = 0x80 // ED
)

// AAGUID is the authenticator model identifier. Twinkey reports all zeros: with self or no attestation an AAGUID
// proves nothing, and a Twinkey-specific value would tell every site the user carries a software key.
var AAGUID [16]byte

// AuthenticatorData is authenticator data (WebAuthn L3 §6.1):
//
//	offset size  field
//	0      32    rpIdHash
//	32     1     flags
//	33     4     signCount (big-endian)
//	37     var   attestedCredentialData (iff AT)
//	...    var   extensions, a CBOR map (iff ED)
type AuthenticatorData struct {
	RPIDHash  [32]byte
	Flags     AuthenticatorFlags
	SignCount uint32
	// AttestedCredential is set on registration; Encode sets AT exactly when it is.
	AttestedCredential *AttestedCredentialData
	// Extensions is the CBOR map of authenticator extension outputs; Encode sets ED exactly when it is non-empty.
	Extensions []byte
}

// AttestedCredentialData (WebAuthn L3 §6.5.2):
//
//	aaguid[16] || credentialIdLength[2, big-endian] || credentialId || credentialPublicKey (COSE_Key)
type AttestedCredentialData struct {
	AAGUID       [16]byte
	CredentialID []byte
	// CredentialPublicKey is the COSE_Key as it stands on the wire (any algorithm); for ES256 keys
	// EncodeCOSEKey builds it and ParseCOSEKey reads it.
	CredentialPublicKey []byte
}

// MaxCredentialIDLength is the limit of WebAuthn L3 §5.8.3 / §6.5.2.
const MaxCredentialIDLength = 1023

// authDataMinLength is rpIdHash, flags and signCount.
const authDataMinLength = 32 + 1 + 4

// ErrMalformedAuthenticatorData is returned by ParseAuthenticatorData.
var ErrMalformedAuthenticatorData = errors.New("webauthn: malformed authenticator data")

// Encode serialises the authenticator data.
func (a AuthenticatorData) Encode() ([]byte, error) {
	flags := a.Flags &^ (FlagAttestedCredentialData | FlagExtensionData)
	if a.Flags&FlagBackupState != 0 && a.Flags&FlagBackupEligible == 0 {
		return nil, errors.New("webauthn: BS without BE")
	}
	out := make([]byte, 0, authDataMinLength+16+2+96+77+len(a.Extensions))
	out = append(out, a.RPIDHash[:]...)
	if a.AttestedCredential != nil {
		flags |= FlagAttestedCredentialData
	}
	if len(a.Extensions) > 0 {
		flags |= FlagExtensionData
	}
	out = append(out, byte(flags))
	out = binary.BigEndian.AppendUint32(out, a.SignCount)
	if c := a.AttestedCredential; c != nil {
		if len(c.CredentialID) == 0 || len(c.CredentialID) > MaxCredentialIDLength {
			return nil, fmt.Errorf("webauthn: credential ID length %d", len(c.CredentialID))
		}
		if !isOneCBORMap(c.CredentialPublicKey) {
			return nil, errors.New("webauthn: credential public key is not one CBOR map")
		}
		out = append(out, c.AAGUID[:]...)
		out = binary.BigEndian.AppendUint16(out, uint16(len(c.CredentialID)))
		out = append(out, c.CredentialID...)
		out = append(out, c.CredentialPublicKey...)
	}
	if len(a.Extensions) > 0 {
		if !isOneCBORMap(a.Extensions) {
			return nil, errors.New("webauthn: extensions are not one CBOR map")
		}
		out = append(out, a.Extensions...)
	}
	return out, nil
}

// firstCBORMap splits b after its first data item, which must be a CBOR map (decoded strictly, ctapcbor).
func firstCBORMap(b []byte) (item, rest []byte, err error) {
	var m map[any]cbor.RawMessage
	rest, err = ctapcbor.UnmarshalFirst(b, &m)
	if err != nil {
		return nil, nil, err
	}
	if m == nil {
		return nil, nil, errors.New("not a map")
	}
	return b[:len(b)-len(rest)], rest, nil
}

func isOneCBORMap(b []byte) bool {
	_, rest, err := firstCBORMap(b)
	return err == nil && len(rest) == 0
}

// ParseAuthenticatorData parses authenticator data (untrusted bytes, WebAuthn L3 §6.1). The credential public key's
// length is found by decoding it as one CBOR map (it is not interpreted: ParseCOSEKey reads ES256 keys); the
// extensions, if ED is set, must be exactly one CBOR map filling the rest; no trailing bytes are allowed. The
// result owns its bytes. On error nothing is returned.
func ParseAuthenticatorData(b []byte) (*AuthenticatorData, error) {
	if len(b) < authDataMinLength {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformedAuthenticatorData, len(b))
	}
	ad := &AuthenticatorData{RPIDHash: [32]byte(b[0:32]), Flags: AuthenticatorFlags(b[32]), SignCount: binary.BigEndian.Uint32(b[33:37])}
	rest := b[authDataMinLength:]
	if ad.Flags&FlagAttestedCredentialData != 0 {
		if len(rest) < 18 {
			return nil, fmt.Errorf("%w: attested credential data truncated", ErrMalformedAuthenticatorData)
		}
		n := int(binary.BigEndian.Uint16(rest[16:18]))
		if n == 0 || n > MaxCredentialIDLength || len(rest) < 18+n {
			return nil, fmt.Errorf("%w: credential ID length %d", ErrMalformedAuthenticatorData, n)
		}
		c := &AttestedCredentialData{AAGUID: [16]byte(rest[:16]), CredentialID: bytes.Clone(rest[18 : 18+n])}
		key, tail, err := firstCBORMap(rest[18+n:])
		if err != nil {
			return nil, fmt.Errorf("%w: credential public key: %v", ErrMalformedAuthenticatorData, err)
		}
		c.CredentialPublicKey = bytes.Clone(key)
		ad.AttestedCredential = c
		rest = tail
	}
	if ad.Flags&FlagExtensionData != 0 {
		ext, tail, err := firstCBORMap(rest)
		if err != nil {
			return nil, fmt.Errorf("%w: extensions: %v", ErrMalformedAuthenticatorData, err)
		}
		ad.Extensions = bytes.Clone(ext)
		rest = tail
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformedAuthenticatorData, len(rest))
	}
	return ad, nil
}
