package rules

import "encoding/base64"

// decodeBase64URL decodes a WebAuthn Base64URLString: the base64url alphabet with all trailing '=' omitted
// (W3C §3 "Base64url Encoding", #sctn-parseCreationOptionsFromJSON).
//
// Padding is refused, like Chromium (Blink json.cc WebAuthnBase64UrlDecode -> WTF Base64UnpaddedURLDecode returns
// failure for any '=', '+' or '/'), so that a string Chrome's own parseCreationOptionsFromJSON would refuse is
// refused here too; SimpleWebAuthn's browser helper would accept it, but it runs in the page before any call
// reaches us and hands us unpadded output. Whitespace and line breaks are refused (Go's decoder would skip
// '\r' and '\n'). Non-zero trailing bits are accepted, as the forgiving-base64 decoder Chromium uses does.
func decodeBase64URL(s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if !isBase64URLChar(s[i]) {
			return nil, false
		}
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// decodeWebsafeBase64 decodes U2F "websafe base64" (U2F JS API v1.1 "websafe-base64 encoding": base64url,
// normally without padding). Unlike decodeBase64URL, correct '=' padding is accepted: CryptoToken's decoder
// stopped at the first '=', and server libraries (tstranex/u2f, python-u2flib-server) re-pad before decoding, so
// padded key handles exist in the wild. Callers must echo the page's original string, not a re-encoding.
func decodeWebsafeBase64(s string) ([]byte, bool) {
	n := len(s)
	for n > 0 && s[n-1] == '=' {
		n--
	}
	if pad := len(s) - n; pad > 0 && (len(s)%4 != 0 || pad > 2) {
		return nil, false
	}
	return decodeBase64URL(s[:n])
}

func isBase64URLChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}
