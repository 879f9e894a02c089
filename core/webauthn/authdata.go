// Package webauthn builds the authenticator's WebAuthn objects: authenticator data, attested credential data,
// COSE keys, attestation objects (none, packed self attestation, fido-u2f) and client data JSON.
//
// References: W3C Web Authentication Level 3 (§5.8.1 client data, §6.1 authenticator data, §6.5 attestation,
// §8.2 packed, §8.6 fido-u2f); RFC 9053 §7.1 (COSE EC2 keys); CTAP 2.1 §6 (CTAP2 canonical CBOR).
package webauthn

import (
	"encoding/binary"
	"errors"
	"fmt"
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

// AuthenticatorData is authenticator data before encoding (WebAuthn L3 §6.1):
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
}

// AttestedCredentialData (WebAuthn L3 §6.5.2):
//
//	aaguid[16] || credentialIdLength[2, big-endian] || credentialId || credentialPublicKey (COSE_Key)
type AttestedCredentialData struct {
	AAGUID       [16]byte
	CredentialID []byte
	PublicKey    []byte // uncompressed P-256 point 04||X||Y; encoded as a COSE_Key
}

// MaxCredentialIDLength is the limit of WebAuthn L3 §5.8.3 / §6.5.2.
const MaxCredentialIDLength = 1023

// Encode serialises the authenticator data.
func (a AuthenticatorData) Encode() ([]byte, error) {
	flags := a.Flags &^ (FlagAttestedCredentialData | FlagExtensionData)
	if a.Flags&FlagBackupState != 0 && a.Flags&FlagBackupEligible == 0 {
		return nil, errors.New("webauthn: BS without BE")
	}
	out := make([]byte, 0, 37+16+2+96+77)
	out = append(out, a.RPIDHash[:]...)
	if a.AttestedCredential != nil {
		flags |= FlagAttestedCredentialData
	}
	out = append(out, byte(flags))
	out = binary.BigEndian.AppendUint32(out, a.SignCount)
	if c := a.AttestedCredential; c != nil {
		if len(c.CredentialID) == 0 || len(c.CredentialID) > MaxCredentialIDLength {
			return nil, fmt.Errorf("webauthn: credential ID length %d", len(c.CredentialID))
		}
		key, err := EncodeCOSEKey(c.PublicKey)
		if err != nil {
			return nil, err
		}
		out = append(out, c.AAGUID[:]...)
		out = binary.BigEndian.AppendUint16(out, uint16(len(c.CredentialID)))
		out = append(out, c.CredentialID...)
		out = append(out, key...)
	}
	return out, nil
}
