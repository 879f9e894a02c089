package ctap2

import "testing"

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
