package ctap2

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator data flags (W3C §6.1; PROTOCOLS.md §4.1).
const (
	FlagUserPresent  byte = 0x01
	FlagUserVerified byte = 0x04
	FlagAttested     byte = 0x40
	FlagExtensions   byte = 0x80
)

const authDataMinLen = 37

// AuthenticatorData is a parsed authenticatorData (PROTOCOLS.md §4.1–4.2):
//
//	| rpIdHash[32] | flags[1] | signCount[4, BE] | attestedCredentialData (iff AT) | extensions CBOR (iff ED) |
//	attestedCredentialData = | aaguid[16] | credIdLen[2, BE] | credId[credIdLen] | COSE_Key (CBOR) |
type AuthenticatorData struct {
	RPIDHash     [32]byte
	Flags        byte
	SignCount    uint32
	AAGUID       []byte // iff AT
	CredentialID []byte // iff AT
	PublicKey    []byte // COSE_Key bytes, iff AT
}

// ParseAuthenticatorData parses authData. The COSE key's length is found by decoding it; extensions, if flagged,
// must be exactly one CBOR map filling the rest; no trailing bytes are allowed. On error nothing is returned.
func ParseAuthenticatorData(b []byte) (*AuthenticatorData, error) {
	if len(b) < authDataMinLen {
		return nil, fmt.Errorf("%w: authenticatorData of %d bytes", ErrMalformedResponse, len(b))
	}
	ad := &AuthenticatorData{RPIDHash: [32]byte(b[0:32]), Flags: b[32], SignCount: binary.BigEndian.Uint32(b[33:37])}
	rest := b[37:]
	if ad.Flags&FlagAttested != 0 {
		if len(rest) < 18 {
			return nil, fmt.Errorf("%w: attested credential data truncated", ErrMalformedResponse)
		}
		n := int(binary.BigEndian.Uint16(rest[16:18]))
		if n == 0 || n > 1023 || len(rest) < 18+n {
			return nil, fmt.Errorf("%w: credential ID length %d", ErrMalformedResponse, n)
		}
		ad.AAGUID = bytes.Clone(rest[:16])
		ad.CredentialID = bytes.Clone(rest[18 : 18+n])
		rest = rest[18+n:]
		var key map[int]cbor.RawMessage
		tail, err := decMode.UnmarshalFirst(rest, &key)
		if err != nil || len(key) == 0 {
			return nil, fmt.Errorf("%w: credential public key: %v", ErrMalformedResponse, err)
		}
		ad.PublicKey = bytes.Clone(rest[:len(rest)-len(tail)])
		rest = tail
	}
	if ad.Flags&FlagExtensions != 0 {
		var ext map[string]cbor.RawMessage
		tail, err := decMode.UnmarshalFirst(rest, &ext)
		if err != nil {
			return nil, fmt.Errorf("%w: extensions: %v", ErrMalformedResponse, err)
		}
		rest = tail
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes in authenticatorData", ErrMalformedResponse, len(rest))
	}
	return ad, nil
}
