// Package ctapcbor is CTAP2's message encoding, for both ends: what Twinkey writes is in the CTAP2 canonical CBOR
// encoding form (CTAP 2.1, "Message Encoding": shortest integer and length forms, definite lengths, map keys
// sorted by length then bytewise), and what it reads from an authenticator or a client is decoded strictly (no
// duplicate map keys, no indefinite lengths, no tags, bounded nesting and sizes) without enforcing key order, as
// not every authenticator sorts its maps. Authenticator data, COSE keys, attestation objects (core/webauthn,
// core/cose) and CTAP2 commands and responses (nativehost/ctap2) all go through it.
package ctapcbor

import "github.com/fxamacker/cbor/v2"

var (
	encMode = func() cbor.EncMode {
		em, err := cbor.CTAP2EncOptions().EncMode()
		if err != nil {
			panic(err) // static options
		}
		return em
	}()
	decMode = func() cbor.DecMode {
		dm, err := cbor.DecOptions{
			DupMapKey:        cbor.DupMapKeyEnforcedAPF,
			IndefLength:      cbor.IndefLengthForbidden,
			TagsMd:           cbor.TagsForbidden,
			MaxNestedLevels:  16,
			MaxArrayElements: 4096,
			MaxMapPairs:      4096,
		}.DecMode()
		if err != nil {
			panic(err) // static options
		}
		return dm
	}()
)

// Marshal encodes v in CTAP2 canonical CBOR.
func Marshal(v any) ([]byte, error) { return encMode.Marshal(v) }

// Unmarshal decodes exactly one CBOR data item, strictly (see the package comment), into v.
func Unmarshal(data []byte, v any) error { return decMode.Unmarshal(data, v) }

// UnmarshalFirst decodes the first CBOR data item of data, strictly, into v and returns the bytes after it.
func UnmarshalFirst(data []byte, v any) (rest []byte, err error) {
	return decMode.UnmarshalFirst(data, v)
}
