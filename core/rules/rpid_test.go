package rules

import (
	"strings"
	"testing"
)

// W3C §5.1.3 steps 7-8, HTML "is a registrable domain suffix of or is equal to".
func TestEffectiveRPID(t *testing.T) {
	cases := []struct {
		name, origin, rpID string
		want               string // "" = refused with KindSecurity
	}{
		// The example of W3C §5.1.3 / the RP ID definition in §4.
		{"absent uses effective domain", "https://login.example.com:1337", "", "login.example.com"},
		{"equal", "https://login.example.com:1337", "login.example.com", "login.example.com"},
		{"registrable suffix", "https://login.example.com:1337", "example.com", "example.com"},
		{"longer than host", "https://login.example.com:1337", "m.login.example.com", ""},
		{"public suffix com", "https://login.example.com:1337", "com", ""},
		{"port is ignored", "https://example.com:8443", "example.com", "example.com"},
		{"upper case refused like Chromium", "https://login.example.com", "Example.COM", ""},
		{"upper case caller host is folded", "https://LOGIN.example.com", "example.com", "example.com"},
		{"not a suffix", "https://example.com", "example.org", ""},
		{"label boundary", "https://notexample.com", "example.com", ""},
		{"sibling", "https://a.example.com", "b.example.com", ""},

		// Public suffixes, ICANN section.
		{"co.uk suffix", "https://www.example.co.uk", "co.uk", ""},
		{"uk suffix", "https://www.example.co.uk", "uk", ""},
		{"co.uk registrable", "https://www.example.co.uk", "example.co.uk", "example.co.uk"},
		{"wildcard rule *.kawasaki.jp", "https://www.x.kawasaki.jp", "x.kawasaki.jp", ""},
		{"exception rule !city.kawasaki.jp", "https://www.city.kawasaki.jp", "city.kawasaki.jp", "city.kawasaki.jp"},

		// Private registries count (Chromium INCLUDE_PRIVATE_REGISTRIES).
		{"github.io is a public suffix", "https://alice.github.io", "github.io", ""},
		{"github.io user site", "https://alice.github.io", "alice.github.io", "alice.github.io"},
		{"github.io subdomain to user site", "https://www.alice.github.io", "alice.github.io", "alice.github.io"},
		{"inside the host's public suffix", "https://foo.up.railway.app", "railway.app", ""}, // Chromium's example
		{"equal to a public suffix host", "https://github.io", "", "github.io"},              // equal is always fine
		{"equal to a public suffix host, explicit", "https://github.io", "github.io", "github.io"},

		// Unknown TLDs: the "*" default rule makes the last label a public suffix.
		{"unknown tld registrable", "https://www.example.internal", "example.internal", "example.internal"},
		{"unknown tld alone", "https://www.example.internal", "internal", ""},

		// Secure contexts and hosts.
		{"http refused", "http://insecure.example", "", ""},
		{"http refused with rp id", "http://login.insecure.example", "insecure.example", ""},
		{"localhost", "http://localhost:8080", "", "localhost"},
		{"localhost explicit", "http://localhost:8080", "localhost", "localhost"},
		{"dot localhost", "http://app.localhost:8080", "app.localhost", "app.localhost"},
		{"localhost is a public suffix", "http://app.localhost:8080", "localhost", ""},
		{"https IPv4", "https://192.0.2.1", "", ""},
		{"https IPv4 explicit", "https://192.0.2.1", "192.0.2.1", ""},
		{"http loopback IPv4", "http://127.0.0.1:8080", "", ""},
		{"https IPv6", "https://[2001:db8::1]", "", ""},
		{"underscore host (as Chromium)", "https://my_host.example.com", "", "my_host.example.com"},
		{"underscore rp id (as Chromium)", "https://a.my_site.example.com", "my_site.example.com", "my_site.example.com"},

		// Malformed rp.id values.
		{"rp id with scheme", "https://example.com", "https://example.com", ""},
		{"rp id with port", "https://example.com", "example.com:443", ""},
		{"rp id IPv4", "https://example.com", "1.2.3.4", ""},
		{"rp id ends in a hex number", "https://www.example.com", "example.0x7f", ""},
		{"rp id trailing dot", "https://login.example.com", "example.com.", ""},
		{"rp id leading dot", "https://login.example.com", ".example.com", ""},
		{"rp id unicode", "https://xn--bcher-kva.example", "bücher.example", ""},
		{"rp id punycode", "https://login.xn--bcher-kva.example", "xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"rp id too long label", "https://example.com", string(make([]byte, 64)) + ".com", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := EffectiveRPID(mustOrigin(t, tc.origin), tc.rpID)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("EffectiveRPID(%s, %q) = %q, want a SecurityError", tc.origin, tc.rpID, got)
				}
				if KindOf(err) != KindSecurity || got != "" {
					t.Errorf("got %q, kind %v, want \"\" and KindSecurity (%v)", got, KindOf(err), err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("EffectiveRPID(%s, %q) = %q, %v; want %q", tc.origin, tc.rpID, got, err, tc.want)
			}
		})
	}
}

func TestMessagesClipPageStrings(t *testing.T) {
	long := strings.Repeat("a", 100000) + ".example.com"
	_, err := EffectiveRPID(mustOrigin(t, "https://example.com"), long)
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("message of %d bytes", len(err.Error()))
	}
}
