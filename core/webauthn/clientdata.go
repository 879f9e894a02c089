package webauthn

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// Client data types (WebAuthn L3 §5.8.1).
const (
	ClientDataCreate = "webauthn.create"
	ClientDataGet    = "webauthn.get"
)

// ClientData is the input of the client data JSON serialisation.
type ClientData struct {
	Type        string // ClientDataCreate or ClientDataGet
	Challenge   []byte
	Origin      string // the caller's ASCII-serialised origin, from the browser
	CrossOrigin bool
	TopOrigin   string // only when CrossOrigin
}

// JSON serialises c exactly as WebAuthn L3 §5.8.1.1 "Serialization" specifies:
//
//	{"type":…,"challenge":…,"origin":…,"crossOrigin":true|false[,"topOrigin":…]}
//
// with each string through CCDToString. Relying parties may verify it with a template match (§5.8.1.2), so the
// member order and escaping must be exactly these.
func (c ClientData) JSON() []byte {
	var b strings.Builder
	b.WriteString(`{"type":`)
	ccdToString(&b, c.Type)
	b.WriteString(`,"challenge":`)
	ccdToString(&b, base64.RawURLEncoding.EncodeToString(c.Challenge))
	b.WriteString(`,"origin":`)
	ccdToString(&b, c.Origin)
	if c.CrossOrigin {
		b.WriteString(`,"crossOrigin":true`)
		if c.TopOrigin != "" {
			b.WriteString(`,"topOrigin":`)
			ccdToString(&b, c.TopOrigin)
		}
	} else {
		b.WriteString(`,"crossOrigin":false`)
	}
	b.WriteString("}")
	return []byte(b.String())
}

// CCDToString returns s as a JSON string literal per CCDToString (below); the U2F client data uses it too.
func CCDToString(s string) string {
	var b strings.Builder
	ccdToString(&b, s)
	return b.String()
}

// ccdToString is CCDToString of WebAuthn L3 §5.8.1.1: U+0020, U+0021, U+0023–U+005B and U+005D–U+10FFFF are
// copied as UTF-8; '"' becomes \" and '\' becomes \\; everything else becomes \u and four lower-case hex digits.
// Invalid UTF-8 is replaced by U+FFFD first (a JavaScript string cannot hold it).
func ccdToString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			b.WriteRune(r)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r >= 0x20:
			b.WriteRune(r)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		}
	}
	b.WriteByte('"')
}
