package rules

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// baseCreation returns a fresh, valid PublicKeyCredentialCreationOptionsJSON as a generic JSON tree.
func baseCreation() map[string]any {
	return map[string]any{
		"rp":               map[string]any{"id": "example.com", "name": "Example"},
		"user":             map[string]any{"id": "AQID", "name": "ann", "displayName": "Ann"},
		"challenge":        "3q2-7_7-3q2-7_7-3q2-7w", // 16 bytes
		"pubKeyCredParams": []any{map[string]any{"type": "public-key", "alg": -7}},
	}
}

func baseRequest() map[string]any {
	return map[string]any{"challenge": "3q2-7_7-3q2-7_7-3q2-7w"}
}

// edit applies f to a deep copy of tree, addressed by a dotted path ("user.id"); value deleteMember removes it.
type deleteMember struct{}

func edit(tree map[string]any, path string, value any) map[string]any {
	var copyTree map[string]any
	b, _ := json.Marshal(tree)
	_ = json.Unmarshal(b, &copyTree)
	parts := strings.Split(path, ".")
	m := copyTree
	for _, p := range parts[:len(parts)-1] {
		m = m[p].(map[string]any)
	}
	last := parts[len(parts)-1]
	if _, del := value.(deleteMember); del {
		delete(m, last)
	} else {
		m[last] = value
	}
	return copyTree
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCreationOptionsFull(t *testing.T) {
	in := `{
	  "rp": {"id": "example.com", "name": "Example", "icon": "ignored"},
	  "user": {"id": "AQID", "name": "ann@example.com", "displayName": "Ann"},
	  "challenge": "3q2-7_7-3q2-7_7-3q2-7w",
	  "pubKeyCredParams": [{"type": "public-key", "alg": -8}, {"type": "future", "alg": -7}, {"type": "public-key", "alg": -7}],
	  "timeout": 60000,
	  "excludeCredentials": [
	    {"type": "public-key", "id": "AAEC", "transports": ["usb", "warp-drive", "nfc"]},
	    {"type": "password", "id": "AwQ"}
	  ],
	  "authenticatorSelection": {"authenticatorAttachment": "cross-platform", "residentKey": "preferred",
	                             "requireResidentKey": true, "userVerification": "required"},
	  "hints": ["security-key", "telepathy", "hybrid"],
	  "attestation": "direct",
	  "attestationFormats": ["packed"],
	  "extensions": {"credProps": true, "appidExclude": "https://example.com", "prf": {"eval": {"first": "AA"}}},
	  "unknownMember": {"is": "ignored"}
	}`
	o, err := ParseCreationOptions([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &CreationOptions{
		PubKeyCredParams:        []CredParam{{"public-key", -8}, {"future", -7}, {"public-key", -7}},
		TimeoutMs:               60000,
		ExcludeCredentials:      []CredentialDescriptor{{Type: "public-key", ID: []byte{0, 1, 2}, Transports: []string{"usb", "nfc"}}},
		AuthenticatorAttachment: "cross-platform",
		ResidentKey:             "preferred", // residentKey wins over requireResidentKey (W3C §5.4.4)
		UserVerification:        "required",
		Attestation:             "direct",
		AttestationFormats:      []string{"packed"},
		Hints:                   []string{"security-key", "hybrid"},
		Extensions:              CreationExtensions{CredProps: true, AppIDExclude: "https://example.com", HasAppIDExclude: true},
	}
	want.RP.ID, want.RP.Name = "example.com", "Example"
	want.User.ID, want.User.Name, want.User.DisplayName = []byte{1, 2, 3}, "ann@example.com", "Ann"
	want.Challenge, _ = base64.RawURLEncoding.DecodeString("3q2-7_7-3q2-7_7-3q2-7w") // the standard library's decoder
	if len(want.Challenge) != 16 {
		t.Fatalf("test challenge is %d bytes", len(want.Challenge))
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("got  %+v\nwant %+v", o, want)
	}
	if err := o.SupportsES256(); err != nil {
		t.Errorf("SupportsES256: %v", err)
	}
	if err := o.CheckAuthenticatorFit(); err != nil {
		t.Errorf("CheckAuthenticatorFit: %v", err)
	}
}

func TestParseCreationOptionsDefaults(t *testing.T) {
	o, err := ParseCreationOptions(mustJSON(t, edit(baseCreation(), "rp.id", deleteMember{})))
	if err != nil {
		t.Fatal(err)
	}
	if o.RP.ID != "" || o.TimeoutMs != DefaultTimeoutMs || o.ResidentKey != "discouraged" ||
		o.UserVerification != "preferred" || o.Attestation != "none" || o.AuthenticatorAttachment != "" ||
		len(o.ExcludeCredentials) != 0 || len(o.Hints) != 0 || len(o.AttestationFormats) != 0 ||
		o.Extensions != (CreationExtensions{}) {
		t.Errorf("defaults: %+v", o)
	}
	if o.ExcludeCredentials == nil || o.Hints == nil || o.AttestationFormats == nil {
		t.Error("absent lists must be empty, not nil (W3C defaults are [])")
	}
}

// Each malformed case gets its specific Kind (W3C §5.1.3, §5.1.8): TypeError for structure and user.id length,
// EncodingError for base64url, RangeError for over-long lists, SecurityError for an empty rp.id.
func TestParseCreationOptionsErrors(t *testing.T) {
	long := make([]any, MaxCredentialDescriptors+1)
	for i := range long {
		long[i] = map[string]any{"type": "public-key", "id": "AA"}
	}
	cases := []struct {
		name string
		json []byte
		kind Kind
	}{
		{"not JSON", []byte(`{"rp":`), KindType},
		{"empty input", []byte(``), KindType},
		{"array", []byte(`[]`), KindType},
		{"string", []byte(`"options"`), KindType},
		{"null", []byte(`null`), KindType},
		{"wrapped in publicKey", mustJSON(t, map[string]any{"publicKey": baseCreation()}), KindType},
		{"rp missing", mustJSON(t, edit(baseCreation(), "rp", deleteMember{})), KindType},
		{"rp null", mustJSON(t, edit(baseCreation(), "rp", nil)), KindType},
		{"rp not object", mustJSON(t, edit(baseCreation(), "rp", "example.com")), KindType},
		{"rp.name missing", mustJSON(t, edit(baseCreation(), "rp.name", deleteMember{})), KindType},
		{"rp.name number", mustJSON(t, edit(baseCreation(), "rp.name", 5)), KindType},
		{"rp.id number", mustJSON(t, edit(baseCreation(), "rp.id", 5)), KindType},
		{"user missing", mustJSON(t, edit(baseCreation(), "user", deleteMember{})), KindType},
		{"user.id missing", mustJSON(t, edit(baseCreation(), "user.id", deleteMember{})), KindType},
		{"user.id array", mustJSON(t, edit(baseCreation(), "user.id", []any{1, 2})), KindType},
		{"user.name missing", mustJSON(t, edit(baseCreation(), "user.name", deleteMember{})), KindType},
		{"user.displayName missing", mustJSON(t, edit(baseCreation(), "user.displayName", deleteMember{})), KindType},
		{"challenge missing", mustJSON(t, edit(baseCreation(), "challenge", deleteMember{})), KindType},
		{"challenge null", mustJSON(t, edit(baseCreation(), "challenge", nil)), KindType},
		{"challenge number", mustJSON(t, edit(baseCreation(), "challenge", 12)), KindType},
		{"pubKeyCredParams missing", mustJSON(t, edit(baseCreation(), "pubKeyCredParams", deleteMember{})), KindType},
		{"pubKeyCredParams object", mustJSON(t, edit(baseCreation(), "pubKeyCredParams", map[string]any{})), KindType},
		{"pubKeyCredParams entry string", mustJSON(t, edit(baseCreation(), "pubKeyCredParams", []any{"ES256"})), KindType},
		{"pubKeyCredParams entry null", mustJSON(t, edit(baseCreation(), "pubKeyCredParams", []any{nil})), KindType},
		{"pubKeyCredParams alg missing", mustJSON(t, edit(baseCreation(), "pubKeyCredParams", []any{map[string]any{"type": "public-key"}})), KindType},
		{"pubKeyCredParams alg string", mustJSON(t, edit(baseCreation(), "pubKeyCredParams", []any{map[string]any{"type": "public-key", "alg": "-7"}})), KindType},
		{"pubKeyCredParams type missing", mustJSON(t, edit(baseCreation(), "pubKeyCredParams", []any{map[string]any{"alg": -7}})), KindType},
		{"timeout string", mustJSON(t, edit(baseCreation(), "timeout", "60000")), KindType},
		{"excludeCredentials object", mustJSON(t, edit(baseCreation(), "excludeCredentials", map[string]any{})), KindType},
		{"excludeCredentials id missing", mustJSON(t, edit(baseCreation(), "excludeCredentials", []any{map[string]any{"type": "public-key"}})), KindType},
		{"excludeCredentials type missing", mustJSON(t, edit(baseCreation(), "excludeCredentials", []any{map[string]any{"id": "AA"}})), KindType},
		{"excludeCredentials transports string", mustJSON(t, edit(baseCreation(), "excludeCredentials", []any{map[string]any{"type": "public-key", "id": "AA", "transports": "usb"}})), KindType},
		{"excludeCredentials transports number", mustJSON(t, edit(baseCreation(), "excludeCredentials", []any{map[string]any{"type": "public-key", "id": "AA", "transports": []any{1}}})), KindType},
		{"authenticatorSelection string", mustJSON(t, edit(baseCreation(), "authenticatorSelection", "platform")), KindType},
		{"requireResidentKey string", mustJSON(t, edit(baseCreation(), "authenticatorSelection", map[string]any{"requireResidentKey": "true"})), KindType},
		{"residentKey number", mustJSON(t, edit(baseCreation(), "authenticatorSelection", map[string]any{"residentKey": 1})), KindType},
		{"userVerification bool", mustJSON(t, edit(baseCreation(), "authenticatorSelection", map[string]any{"userVerification": true})), KindType},
		{"hints string", mustJSON(t, edit(baseCreation(), "hints", "security-key")), KindType},
		{"attestation number", mustJSON(t, edit(baseCreation(), "attestation", 0)), KindType},
		{"attestationFormats string", mustJSON(t, edit(baseCreation(), "attestationFormats", "packed")), KindType},
		{"extensions array", mustJSON(t, edit(baseCreation(), "extensions", []any{})), KindType},
		{"credProps string", mustJSON(t, edit(baseCreation(), "extensions", map[string]any{"credProps": "yes"})), KindType},
		{"appidExclude number", mustJSON(t, edit(baseCreation(), "extensions", map[string]any{"appidExclude": 1})), KindType},

		// Base64url: EncodingError (W3C #sctn-parseCreationOptionsFromJSON, Chromium json.cc).
		{"user.id padded", mustJSON(t, edit(baseCreation(), "user.id", "AQI=")), KindEncoding},
		{"user.id standard alphabet", mustJSON(t, edit(baseCreation(), "user.id", "+/8")), KindEncoding},
		{"challenge padded", mustJSON(t, edit(baseCreation(), "challenge", "3q2-7w==")), KindEncoding},
		{"challenge bad length", mustJSON(t, edit(baseCreation(), "challenge", "AAAAA")), KindEncoding},
		{"challenge whitespace", mustJSON(t, edit(baseCreation(), "challenge", "3q2- 7w")), KindEncoding},
		{"challenge newline", mustJSON(t, edit(baseCreation(), "challenge", "3q2-\n7w")), KindEncoding},
		{"challenge CR", mustJSON(t, edit(baseCreation(), "challenge", "3q2-7w\r")), KindEncoding},
		{"excludeCredentials id", mustJSON(t, edit(baseCreation(), "excludeCredentials", []any{map[string]any{"type": "public-key", "id": "A"}})), KindEncoding},
		{"unknown-type descriptor id still decoded", mustJSON(t, edit(baseCreation(), "excludeCredentials", []any{map[string]any{"type": "x", "id": "*"}})), KindEncoding},

		{"too many excludeCredentials", mustJSON(t, edit(baseCreation(), "excludeCredentials", long)), KindRange},

		// user.id length, W3C §5.1.3: TypeError.
		{"user.id empty", mustJSON(t, edit(baseCreation(), "user.id", "")), KindType},
		{"user.id 65 bytes", mustJSON(t, edit(baseCreation(), "user.id", b64(make([]byte, 65)))), KindType},

		{"rp.id empty", mustJSON(t, edit(baseCreation(), "rp.id", "")), KindSecurity},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ParseCreationOptions(tc.json)
			if err == nil {
				t.Fatalf("accepted %s", tc.json)
			}
			if o != nil {
				t.Error("a failed parse returned options")
			}
			if KindOf(err) != tc.kind {
				t.Errorf("kind %v, want %v (%v)", KindOf(err), tc.kind, err)
			}
		})
	}
}

// b64 encodes with the standard library (an encoder we did not write).
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestParseCreationOptionsAccepts(t *testing.T) {
	cases := []struct {
		name  string
		tree  map[string]any
		check func(*CreationOptions) error
	}{
		{"user.id 64 bytes", edit(baseCreation(), "user.id", b64(make([]byte, 64))), func(o *CreationOptions) error {
			return expect(len(o.User.ID) == 64, "len %d", len(o.User.ID))
		}},
		{"empty challenge is not refused (no client rule, W3C §13.4.3 is RP advice)", edit(baseCreation(), "challenge", ""), func(o *CreationOptions) error {
			return expect(len(o.Challenge) == 0, "challenge %x", o.Challenge)
		}},
		{"short challenge", edit(baseCreation(), "challenge", "AQ"), func(o *CreationOptions) error {
			return expect(bytes.Equal(o.Challenge, []byte{1}), "challenge %x", o.Challenge)
		}},
		{"non-zero trailing bits accepted like Chromium's forgiving decoder", edit(baseCreation(), "challenge", "AR"), func(o *CreationOptions) error {
			return expect(bytes.Equal(o.Challenge, []byte{1}), "challenge %x", o.Challenge)
		}},
		{"empty pubKeyCredParams", edit(baseCreation(), "pubKeyCredParams", []any{}), func(o *CreationOptions) error {
			return expect(len(o.PubKeyCredParams) == 0 && o.SupportsES256() == nil, "%v", o.PubKeyCredParams)
		}},
		{"null optional members are absent", edit(edit(edit(baseCreation(), "timeout", nil), "extensions", nil), "rp.id", nil), func(o *CreationOptions) error {
			return expect(o.TimeoutMs == DefaultTimeoutMs && o.RP.ID == "", "%+v", o)
		}},
		{"timeout clamped up", edit(baseCreation(), "timeout", 1), func(o *CreationOptions) error {
			return expect(o.TimeoutMs == MinTimeoutMs, "timeout %d", o.TimeoutMs)
		}},
		{"timeout zero clamped up", edit(baseCreation(), "timeout", 0), func(o *CreationOptions) error {
			return expect(o.TimeoutMs == MinTimeoutMs, "timeout %d", o.TimeoutMs)
		}},
		{"timeout clamped down", edit(baseCreation(), "timeout", 3_600_000), func(o *CreationOptions) error {
			return expect(o.TimeoutMs == MaxTimeoutMs, "timeout %d", o.TimeoutMs)
		}},
		{"timeout fraction truncated", edit(baseCreation(), "timeout", 12345.9), func(o *CreationOptions) error {
			return expect(o.TimeoutMs == 12345, "timeout %d", o.TimeoutMs)
		}},
		{"timeout negative wraps like WebIDL then clamps", edit(baseCreation(), "timeout", -1), func(o *CreationOptions) error {
			return expect(o.TimeoutMs == MaxTimeoutMs, "timeout %d", o.TimeoutMs)
		}},
		{"timeout huge", edit(baseCreation(), "timeout", 1e300), func(o *CreationOptions) error {
			return expect(o.TimeoutMs == MinTimeoutMs, "timeout %d", o.TimeoutMs) // 1e300 mod 2^32 = 0 in float64
		}},
		{"requireResidentKey alone", edit(baseCreation(), "authenticatorSelection", map[string]any{"requireResidentKey": true}), func(o *CreationOptions) error {
			return expect(o.ResidentKey == "required", "rk %q", o.ResidentKey)
		}},
		{"unknown residentKey falls back to requireResidentKey", edit(baseCreation(), "authenticatorSelection", map[string]any{"residentKey": "maybe", "requireResidentKey": true}), func(o *CreationOptions) error {
			return expect(o.ResidentKey == "required", "rk %q", o.ResidentKey)
		}},
		{"unknown enumerations ignored", edit(edit(baseCreation(), "attestation", "fancy"), "authenticatorSelection", map[string]any{"authenticatorAttachment": "implant", "userVerification": "sometimes"}), func(o *CreationOptions) error {
			return expect(o.Attestation == "none" && o.AuthenticatorAttachment == "" && o.UserVerification == "preferred", "%+v", o)
		}},
		{"appidExclude empty is present", edit(baseCreation(), "extensions", map[string]any{"appidExclude": ""}), func(o *CreationOptions) error {
			return expect(o.Extensions.HasAppIDExclude && o.Extensions.AppIDExclude == "", "%+v", o.Extensions)
		}},
		{"alg wraps like WebIDL long", edit(baseCreation(), "pubKeyCredParams", []any{map[string]any{"type": "public-key", "alg": 4294967289.0}}), func(o *CreationOptions) error {
			return expect(o.PubKeyCredParams[0].Alg == -7, "alg %d", o.PubKeyCredParams[0].Alg)
		}},
		{"64 excludeCredentials", edit(baseCreation(), "excludeCredentials", descriptors(64)), func(o *CreationOptions) error {
			return expect(len(o.ExcludeCredentials) == 64, "%d", len(o.ExcludeCredentials))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ParseCreationOptions(mustJSON(t, tc.tree))
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.check(o); err != nil {
				t.Error(err)
			}
		})
	}
}

func descriptors(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"type": "public-key", "id": b64([]byte{byte(i)})}
	}
	return out
}

func expect(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}

// W3C §5.1.3 steps 10-11.
func TestSupportsES256(t *testing.T) {
	cases := []struct {
		params []any
		ok     bool
	}{
		{[]any{}, true}, // default [ES256, RS256]
		{[]any{map[string]any{"type": "public-key", "alg": -7}}, true},
		{[]any{map[string]any{"type": "public-key", "alg": -257}, map[string]any{"type": "public-key", "alg": -7}}, true},
		{[]any{map[string]any{"type": "public-key", "alg": -257}}, false},
		{[]any{map[string]any{"type": "public-key", "alg": -8}, map[string]any{"type": "public-key", "alg": -35}}, false},
		{[]any{map[string]any{"type": "not-public-key", "alg": -7}}, false}, // skipped, nothing left
	}
	for i, tc := range cases {
		o, err := ParseCreationOptions(mustJSON(t, edit(baseCreation(), "pubKeyCredParams", tc.params)))
		if err != nil {
			t.Fatal(err)
		}
		err = o.SupportsES256()
		if tc.ok != (err == nil) {
			t.Errorf("case %d: SupportsES256 = %v, want ok=%v", i, err, tc.ok)
		}
		if err != nil && (KindOf(err) != KindNotSupported || DOMExceptionName(err) != "NotSupportedError") {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

func TestCheckAuthenticatorFit(t *testing.T) {
	cases := []struct {
		sel    map[string]any
		reason Reason // "" = fits
	}{
		{map[string]any{}, ""},
		{map[string]any{"userVerification": "required"}, ""},
		{map[string]any{"authenticatorAttachment": "cross-platform", "residentKey": "preferred"}, ""},
		{map[string]any{"residentKey": "discouraged", "requireResidentKey": true}, ""},
		{map[string]any{"residentKey": "required"}, ReasonResidentKeyRequired},
		{map[string]any{"requireResidentKey": true}, ReasonResidentKeyRequired},
		{map[string]any{"authenticatorAttachment": "platform"}, ReasonPlatformAttachment},
		{map[string]any{"authenticatorAttachment": "platform", "residentKey": "required"}, ReasonPlatformAttachment},
	}
	for i, tc := range cases {
		o, err := ParseCreationOptions(mustJSON(t, edit(baseCreation(), "authenticatorSelection", tc.sel)))
		if err != nil {
			t.Fatal(err)
		}
		err = o.CheckAuthenticatorFit()
		if tc.reason == "" {
			if err != nil {
				t.Errorf("case %d: %v", i, err)
			}
			continue
		}
		if ReasonOf(err) != tc.reason || KindOf(err) != KindNotAllowed {
			t.Errorf("case %d: got %v (reason %q), want NotAllowed with %q", i, err, ReasonOf(err), tc.reason)
		}
	}
}

func TestParseRequestOptions(t *testing.T) {
	in := `{"challenge": "AAEC", "timeout": 120000, "rpId": "example.com",
	        "allowCredentials": [{"type": "public-key", "id": "BAUG", "transports": ["usb"]}, {"type": "x", "id": "Bw"}],
	        "userVerification": "discouraged", "hints": ["client-device"],
	        "extensions": {"appid": "https://example.com/appid.json", "largeBlob": {"read": true}}}`
	o, err := ParseRequestOptions([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &RequestOptions{
		Challenge: []byte{0, 1, 2}, TimeoutMs: 120000, RPID: "example.com",
		AllowCredentials: []CredentialDescriptor{{Type: "public-key", ID: []byte{4, 5, 6}, Transports: []string{"usb"}}},
		UserVerification: "discouraged", Hints: []string{"client-device"},
		Extensions: RequestExtensions{AppID: "https://example.com/appid.json", HasAppID: true},
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("got  %+v\nwant %+v", o, want)
	}

	d, err := ParseRequestOptions(mustJSON(t, baseRequest()))
	if err != nil {
		t.Fatal(err)
	}
	if d.TimeoutMs != DefaultTimeoutMs || d.RPID != "" || d.UserVerification != "preferred" || len(d.AllowCredentials) != 0 || d.AllowCredentials == nil || d.Extensions.HasAppID {
		t.Errorf("defaults: %+v", d)
	}

	errs := []struct {
		name string
		tree map[string]any
		kind Kind
	}{
		{"challenge missing", edit(baseRequest(), "challenge", deleteMember{}), KindType},
		{"challenge object", edit(baseRequest(), "challenge", map[string]any{}), KindType},
		{"rpId number", edit(baseRequest(), "rpId", 1), KindType},
		{"allowCredentials string", edit(baseRequest(), "allowCredentials", "AA"), KindType},
		{"allowCredentials id missing", edit(baseRequest(), "allowCredentials", []any{map[string]any{"type": "public-key"}}), KindType},
		{"userVerification number", edit(baseRequest(), "userVerification", 1), KindType},
		{"appid bool", edit(baseRequest(), "extensions", map[string]any{"appid": true}), KindType},
		{"challenge padded", edit(baseRequest(), "challenge", "AAEC=="), KindEncoding},
		{"allowCredentials id bad", edit(baseRequest(), "allowCredentials", []any{map[string]any{"type": "public-key", "id": "A A"}}), KindEncoding},
		{"too many allowCredentials", edit(baseRequest(), "allowCredentials", descriptors(65)), KindRange},
		{"rpId empty", edit(baseRequest(), "rpId", ""), KindSecurity},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ParseRequestOptions(mustJSON(t, tc.tree))
			if err == nil || o != nil {
				t.Fatalf("got %+v, %v", o, err)
			}
			if KindOf(err) != tc.kind {
				t.Errorf("kind %v, want %v (%v)", KindOf(err), tc.kind, err)
			}
		})
	}
}

func TestBase64Decoders(t *testing.T) {
	cases := []struct {
		in           string
		url, websafe bool
	}{
		{"", true, true},
		{"AQID", true, true},
		{"AQI", true, true},
		{"AQ", true, true},
		{"A", false, false},
		{"AQ==", false, true},
		{"AQI=", false, true},
		{"AQ=", false, false},
		{"AQID====", false, false},
		{"A===", false, false},
		{"=", false, false},
		{"-_-_", true, true},
		{"+/+/", false, false},
		{"AQ\nID", false, false},
		{"AQ ID", false, false},
		{"AQ=D", false, false},
	}
	for _, tc := range cases {
		if _, ok := decodeBase64URL(tc.in); ok != tc.url {
			t.Errorf("decodeBase64URL(%q) ok=%v, want %v", tc.in, ok, tc.url)
		}
		if _, ok := decodeWebsafeBase64(tc.in); ok != tc.websafe {
			t.Errorf("decodeWebsafeBase64(%q) ok=%v, want %v", tc.in, ok, tc.websafe)
		}
	}
}
