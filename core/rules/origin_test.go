package rules

import "testing"

func TestParseOrigin(t *testing.T) {
	valid := []struct {
		in   string
		want Origin
		ser  string // String()
	}{
		{"https://login.example.com:1337", Origin{"https", "login.example.com", 1337}, "https://login.example.com:1337"},
		{"https://example.com", Origin{"https", "example.com", 0}, "https://example.com"},
		{"https://example.com:443", Origin{"https", "example.com", 0}, "https://example.com"}, // default port dropped
		{"http://example.com:80", Origin{"http", "example.com", 0}, "http://example.com"},
		{"http://example.com:443", Origin{"http", "example.com", 443}, "http://example.com:443"},
		{"HTTPS://Login.Example.COM", Origin{"https", "login.example.com", 0}, "https://login.example.com"},
		{"http://localhost:8080", Origin{"http", "localhost", 8080}, "http://localhost:8080"},
		{"http://127.0.0.1:3000", Origin{"http", "127.0.0.1", 3000}, "http://127.0.0.1:3000"},
		{"http://[::1]:3000", Origin{"http", "::1", 3000}, "http://[::1]:3000"},
		{"https://[2001:DB8::1]", Origin{"https", "2001:db8::1", 0}, "https://[2001:db8::1]"},
		{"https://xn--bcher-kva.example", Origin{"https", "xn--bcher-kva.example", 0}, "https://xn--bcher-kva.example"},
		{"https://my_host.example.com", Origin{"https", "my_host.example.com", 0}, "https://my_host.example.com"},
		{"https://a.b:65535", Origin{"https", "a.b", 65535}, "https://a.b:65535"},
	}
	for _, tc := range valid {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseOrigin(tc.in)
			if err != nil {
				t.Fatalf("ParseOrigin: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if got.String() != tc.ser {
				t.Errorf("String() = %q, want %q", got.String(), tc.ser)
			}
			again, err := ParseOrigin(got.String())
			if err != nil || again != got {
				t.Errorf("round trip: %+v, %v", again, err)
			}
		})
	}

	invalid := []struct {
		in   string
		kind Kind
	}{
		{"null", KindNotAllowed}, // opaque origin, W3C §5.1.3
		{"", KindSecurity},
		{"example.com", KindSecurity},
		{"ftp://example.com", KindSecurity},
		{"chrome-extension://abcdefghijklmnop", KindSecurity},
		{"file://", KindSecurity},
		{"https://example.com/", KindSecurity}, // a path, even "/"
		{"https://example.com/login", KindSecurity},
		{"https://example.com?x", KindSecurity},
		{"https://example.com#x", KindSecurity},
		{"https://user@example.com", KindSecurity},
		{"https://", KindSecurity},
		{"https://:443", KindSecurity},
		{"https://example.com:", KindSecurity},
		{"https://example.com:0", KindSecurity},
		{"https://example.com:65536", KindSecurity},
		{"https://example.com:+443", KindSecurity},
		{"https://example.com:44a", KindSecurity},
		{"https://example.com.", KindSecurity},   // trailing dot (documented refusal)
		{"https://exa mple.com", KindSecurity},   // space
		{"https://bücher.example", KindSecurity}, // browsers serialise punycode
		{"https://a..b", KindSecurity},
		{"https://[::1", KindSecurity},
		{"https://[::1]x", KindSecurity},
		{"https://[fe80::1%25eth0]", KindSecurity},
		{"https://[1.2.3.4]", KindSecurity},
		{"http://127.1", KindSecurity},      // ends in a number but not canonical IPv4
		{"http://0x7f.0.0.1", KindSecurity}, // likewise
		{"https://example.123", KindSecurity},
	}
	for _, tc := range invalid {
		t.Run("invalid "+tc.in, func(t *testing.T) {
			got, err := ParseOrigin(tc.in)
			if err == nil {
				t.Fatalf("ParseOrigin(%q) = %+v, want an error", tc.in, got)
			}
			if got != (Origin{}) {
				t.Errorf("a failed parse returned %+v", got)
			}
			if KindOf(err) != tc.kind {
				t.Errorf("kind %v, want %v (%v)", KindOf(err), tc.kind, err)
			}
		})
	}
}

// W3C Secure Contexts §3.1 "Is origin potentially trustworthy?"
func TestIsPotentiallyTrustworthy(t *testing.T) {
	cases := []struct {
		origin string
		want   bool
	}{
		{"https://example.com", true},
		{"https://127.0.0.1", true},
		{"http://localhost", true},
		{"http://localhost:8080", true},
		{"http://dev.localhost:8080", true}, // step 6, *.localhost
		{"http://127.0.0.1:8000", true},     // step 5, 127.0.0.0/8
		{"http://127.9.9.9", true},
		{"http://[::1]", true},
		{"http://example.com", false},
		{"http://localhost.example.com", false},
		{"http://mylocalhost", false},
		{"http://10.0.0.1", false},
		{"http://[2001:db8::1]", false},
	}
	for _, tc := range cases {
		o, err := ParseOrigin(tc.origin)
		if err != nil {
			t.Fatalf("ParseOrigin(%q): %v", tc.origin, err)
		}
		if got := o.IsPotentiallyTrustworthy(); got != tc.want {
			t.Errorf("%s: IsPotentiallyTrustworthy = %v, want %v", tc.origin, got, tc.want)
		}
	}
	if (Origin{Scheme: "ftp", Host: "localhost"}).IsPotentiallyTrustworthy() {
		t.Error("an ftp origin is not trustworthy here")
	}
}

func mustOrigin(t *testing.T, s string) Origin {
	t.Helper()
	o, err := ParseOrigin(s)
	if err != nil {
		t.Fatalf("ParseOrigin(%q): %v", s, err)
	}
	return o
}
