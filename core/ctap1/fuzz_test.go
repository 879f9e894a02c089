package ctap1

import (
	"bytes"
	"testing"
)

// FuzzParseResponses: the parsers of a key's answers never panic, a failure returns no partial result, and a
// success keeps every byte.
func FuzzParseResponses(f *testing.F) {
	f.Add([]byte{0x05})
	f.Add(append([]byte{1, 0, 0, 0, 9}, 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01))
	reg := append([]byte{0x05, 0x04}, make([]byte, 64)...)
	reg = append(reg, 2, 0xAA, 0xBB, 0x30, 0x03, 0x02, 0x01, 0x01, 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01)
	f.Add(reg)
	f.Fuzz(func(t *testing.T, data []byte) {
		if r, err := ParseRegisterResponse(data); err != nil {
			if r != nil {
				t.Fatal("partial RegisterResponse")
			}
		} else if !bytes.Equal(r.Raw, data) || len(r.KeyHandle) == 0 || len(r.Signature) == 0 {
			t.Fatalf("inconsistent RegisterResponse %+v", r)
		} else if enc, err := r.Encode(); err != nil || !bytes.Equal(enc, data) {
			t.Fatalf("RegisterResponse does not encode back: %v", err)
		}
		if a, err := ParseAuthenticateResponse(data); err != nil {
			if a != nil {
				t.Fatal("partial AuthenticateResponse")
			}
		} else if !bytes.Equal(a.Raw, data) || !bytes.Equal(a.Encode(), data) {
			t.Fatalf("inconsistent AuthenticateResponse %+v", a)
		}
		if body, sw, err := ParseResponse(data); err == nil && len(body)+2 != len(data) {
			t.Fatalf("ParseResponse lost bytes (sw %s)", sw)
		}
	})
}
