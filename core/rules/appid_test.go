package rules

import "testing"

// FIDO AppID v1.2 §3.1.2 steps 1-3, Chromium's same-site relaxation and gstatic exception.
func TestEffectiveAppID(t *testing.T) {
	cases := []struct {
		name, origin, appID string
		want                string // "" = refused with KindSecurity
	}{
		// Step 2: absent AppID is the FacetID, without trailing slash.
		{"absent", "https://login.example.com", "", "https://login.example.com"},
		{"absent with port", "https://login.example.com:8443", "", "https://login.example.com:8443"},
		{"absent on localhost (Chromium refuses http callers)", "http://localhost:8080", "", ""},
		{"equal to facet", "https://login.example.com", "https://login.example.com", "https://login.example.com"},
		{"equal to http facet", "http://localhost:8080", "http://localhost:8080", ""},
		// Step 3: https with the caller's host; returned verbatim (its hash is the application parameter).
		{"same host with path", "https://login.example.com", "https://login.example.com/u2f/app-id.json", "https://login.example.com/u2f/app-id.json"},
		{"same host trailing slash", "https://login.example.com", "https://login.example.com/", "https://login.example.com/"},
		{"same host other port", "https://login.example.com", "https://login.example.com:8443/x", "https://login.example.com:8443/x"},
		{"same host upper case kept verbatim", "https://login.example.com", "https://LOGIN.example.com/x", "https://LOGIN.example.com/x"},
		// Chromium: same registrable domain without a fetch.
		{"parent domain", "https://login.example.com", "https://example.com/app-id.json", "https://example.com/app-id.json"},
		{"sibling subdomain", "https://login.example.com", "https://u2f.example.com/facets", "https://u2f.example.com/facets"},
		{"co.uk same site", "https://a.example.co.uk", "https://b.example.co.uk/appid", "https://b.example.co.uk/appid"},
		{"cross site", "https://login.example.com", "https://example.org/app-id.json", ""},
		{"public suffix host", "https://login.example.com", "https://com/", ""},
		{"private registry: other github.io user", "https://alice.github.io", "https://bob.github.io/appid", ""},
		{"private registry: same github.io user", "https://www.alice.github.io", "https://alice.github.io/appid", "https://alice.github.io/appid"},
		// Chromium's google.com exception.
		{"gstatic for google.com", "https://accounts.google.com", "https://www.gstatic.com/securitykey/origins.json", "https://www.gstatic.com/securitykey/origins.json"},
		{"gstatic corp for google.com", "https://google.com", "https://www.gstatic.com/securitykey/a/google.com/origins.json", "https://www.gstatic.com/securitykey/a/google.com/origins.json"},
		{"gstatic for others", "https://example.com", "https://www.gstatic.com/securitykey/origins.json", ""},
		{"gstatic other path", "https://accounts.google.com", "https://www.gstatic.com/securitykey/other.json", ""},
		{"gstatic with fragment", "https://accounts.google.com", "https://www.gstatic.com/securitykey/origins.json#x", ""},
		{"notgoogle.com", "https://notgoogle.com", "https://www.gstatic.com/securitykey/origins.json", ""},
		// Not https, or the caller is not.
		{"http appid", "https://login.example.com", "http://login.example.com", ""},
		{"http caller, https appid", "http://localhost:8080", "https://localhost:8080", ""},
		{"http caller not localhost", "http://example.com", "", ""},
		{"not a URL", "https://login.example.com", "login.example.com", ""},
		{"userinfo, same host (as Chromium)", "https://login.example.com", "https://evil@login.example.com/", "https://evil@login.example.com/"},
		{"userinfo hiding another host", "https://login.example.com", "https://login.example.com@evil.example/", ""},
		{"opaque", "https://login.example.com", "https:login.example.com", ""},
		{"no host", "https://login.example.com", "https:///path", ""},
		// IP hosts: only the caller's own host.
		{"ip same host", "https://192.0.2.1", "https://192.0.2.1/appid", "https://192.0.2.1/appid"},
		{"ip other host", "https://192.0.2.1", "https://192.0.3.1/appid", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := EffectiveAppID(mustOrigin(t, tc.origin), tc.appID)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("EffectiveAppID(%s, %q) = %q, want a refusal", tc.origin, tc.appID, got)
				}
				if KindOf(err) != KindSecurity || U2FErrorCode(err) != U2FBadRequest || got != "" {
					t.Errorf("got %q, kind %v, want KindSecurity (%v)", got, KindOf(err), err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("EffectiveAppID(%s, %q) = %q, %v; want %q", tc.origin, tc.appID, got, err, tc.want)
			}
		})
	}
}
