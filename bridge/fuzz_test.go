package bridge_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twinkey/twinkey/bridge"
	"github.com/twinkey/twinkey/core/vault"

	// The simulated keys for the host the bridge's host routes are tested against (host.SimulatedKeyFromEnv).
	_ "github.com/twinkey/twinkey/nativehost/simkey/simhost"
)

// FuzzHTTPRoutes sends arbitrary method, path and body to the bridge's http.Handler, in sequence on one
// handler, so that a created or unlocked vault is in play for later requests. It knows the routes only as seed
// paths. Invariants: no panic; the status is 200 with a JSON body, or 4xx/5xx with a JSON {"error": {"name",
// "message"}} body.
func FuzzHTTPRoutes(f *testing.F) {
	routes := []string{"/v1/webauthn/prepare", "/v1/webauthn/create", "/v1/webauthn/get", "/v1/u2f/prepare",
		"/v1/u2f/register", "/v1/u2f/sign", "/v1/webauthn/host-request", "/v1/webauthn/host-response",
		"/v1/u2f/host-request", "/v1/u2f/host-response", "/v1/counter/reserve", "/v1/vault/status",
		"/v1/vault/create", "/v1/vault/restore", "/v1/vault/unlock", "/v1/vault/lock", "/v1/vault/phrase",
		"/v1/vault/passphrase", "/v1/vault/erase", "/", "/v2/nope"}
	bodies := []string{"", "{}", "null", "[", `{"passphrase":"correct horse battery staple"}`,
		`{"op":"create","origin":"https://login.example.com","crossOrigin":false,"options":{"rp":{"name":"Example"},"user":{"id":"AQID","name":"ann","displayName":"Ann"},"challenge":"3q2-7w","pubKeyCredParams":[{"type":"public-key","alg":-7}]}}`,
		`{"origin":"https://login.example.com","crossOrigin":false,"options":{"challenge":"3q2-7w","rpId":"login.example.com","allowCredentials":[{"type":"public-key","id":"AQ"}],"extensions":{"appid":"https://login.example.com"}},"approval":{"userPresent":true,"userVerified":false}}`,
		`{"op":"register","origin":"https://login.example.com","appId":"https://login.example.com","registerRequests":[{"version":"U2F_V2","challenge":"3q2-7w"}],"registeredKeys":[]}`,
	}
	for i, r := range routes {
		f.Add(byte(i), r, []byte(bodies[i%len(bodies)]), "/v1/vault/create", []byte(bodies[4]))
	}
	methods := []string{http.MethodPost, http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodOptions, "BREW"}
	f.Fuzz(func(t *testing.T, method byte, path1 string, body1 []byte, path2 string, body2 []byte) {
		h := bridge.NewHandler(bridge.Env{Local: &bridge.MemoryStorage{}, Session: &bridge.MemoryStorage{},
			Rand: rand.NewChaCha8([32]byte{'b', 'r', 'i', 'd', 'g', 'e'}), Now: func() time.Time { return time.Unix(1.7e9, 0) },
			VaultParams: vault.Params{Time: 1, MemoryKiB: 64, Threads: 1}})
		for i, req := range []struct {
			path string
			body []byte
		}{{path1, body1}, {path2, body2}} {
			m := methods[int(method>>(4*i))%len(methods)]
			r, err := http.NewRequest(m, "http://bridge.invalid/", bytes.NewReader(req.body))
			if err != nil {
				continue
			}
			r.URL.Path = req.path
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var v map[string]json.RawMessage
			switch {
			case w.Code == http.StatusOK:
				if !json.Valid(w.Body.Bytes()) {
					t.Fatalf("%s %q: 200 with %q", m, req.path, w.Body.Bytes())
				}
			case w.Code == http.StatusMovedPermanently || w.Code == http.StatusTemporaryRedirect || w.Code == http.StatusPermanentRedirect:
				// net/http.ServeMux cleaning a path (e.g. "//v1" or "/v1/../x"): no route ran
			case w.Code >= 400 && w.Code < 600:
				var e struct {
					Name    string `json:"name"`
					Message string `json:"message"`
				}
				if json.Unmarshal(w.Body.Bytes(), &v) != nil || json.Unmarshal(v["error"], &e) != nil || e.Name == "" {
					t.Fatalf("%s %q: %d with %q", m, req.path, w.Code, w.Body.Bytes())
				}
			default:
				t.Fatalf("%s %q: status %d", m, req.path, w.Code)
			}
		}
	})
}
