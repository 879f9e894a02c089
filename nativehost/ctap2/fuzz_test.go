package ctap2

import (
	"bytes"
	"testing"
)

// FuzzParseAuthenticatorData: no panic; failures return nothing; successes account for every byte.
func FuzzParseAuthenticatorData(f *testing.F) {
	base := make([]byte, 37)
	f.Add(base)
	at := append(bytes.Clone(base), make([]byte, 16)...)
	at[32] = FlagAttested | FlagUserPresent
	at = append(at, 0, 2, 0xAA, 0xBB, 0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x41, 0x00, 0x22, 0x41, 0x00)
	f.Add(at)
	f.Fuzz(func(t *testing.T, data []byte) {
		ad, err := ParseAuthenticatorData(data)
		if err != nil {
			if ad != nil {
				t.Fatal("partial result")
			}
			return
		}
		if ad.Flags != data[32] || (ad.Flags&FlagAttested != 0) != (ad.CredentialID != nil) {
			t.Fatalf("inconsistent %+v", ad)
		}
	})
}

// FuzzDecodeResponses: strict decoding of authenticator maps into the response types never panics.
func FuzzDecodeResponses(f *testing.F) {
	f.Add([]byte{0xA1, 0x01, 0x81, 0x66, 'U', '2', 'F', '_', 'V', '2'})
	f.Add([]byte{0xA2, 0x02, 0x41, 0x00, 0x03, 0x41, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		var info Info
		_ = Unmarshal(data, &info)
		var mc MakeCredentialResponse
		if Unmarshal(data, &mc) == nil && len(mc.AttStmt) > 0 {
			_, _ = mc.AttestationObject()
		}
		var ga GetAssertionResponse
		_ = Unmarshal(data, &ga)
		var pin clientPINResponse
		_ = Unmarshal(data, &pin)
	})
}
