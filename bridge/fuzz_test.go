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
)

// FuzzHTTPRoutes sends arbitrary method, path and body to the bridge's http.Handler, in sequence on one
// handler, so that a created or unlocked vault is in play for later requests. It knows the routes only as seed
// paths. Invariants: no panic; the status is 200 with a JSON body, or 4xx/5xx with a JSON {"error": {"name",
// "message"}} body.
func FuzzHTTPRoutes(f *testing.F) {
	routes := []string{"/v1/ceremony/decide", "/v1/ceremony/approve", "/v1/ceremony/no-host", "/v1/ceremony/host-result",
		"/v1/ceremony/end", "/v1/settings/get", "/v1/settings/set", "/v1/vault/status", "/v1/vault/create",
		"/v1/vault/restore", "/v1/vault/unlock", "/v1/vault/lock", "/v1/vault/phrase", "/v1/vault/passphrase",
		"/v1/vault/erase", "/", "/v2/nope"}
	frame := `{"origin":"https://login.example.com","tabOrigin":"https://login.example.com","frameId":0,"tabActive":true,"ancestorOrigins":[],"allowsCreate":true,"allowsGet":true,"userActivation":false,"visible":true}`
	bodies := []string{"", "{}", "null", "[", `{"passphrase":"correct horse battery staple"}`,
		`{"op":"webauthn.create","frame":` + frame + `,"request":{"options":{"rp":{"name":"Example"},"user":{"id":"AQID","name":"ann","displayName":"Ann"},"challenge":"3q2-7w","pubKeyCredParams":[{"type":"public-key","alg":-7}]}}}`,
		`{"op":"webauthn.get","frame":` + frame + `,"request":{"options":{"challenge":"3q2-7w","rpId":"login.example.com","allowCredentials":[{"type":"public-key","id":"AQ"}],"extensions":{"appid":"https://login.example.com"}}}}`,
		`{"op":"u2f.register","frame":` + frame + `,"request":{"type":"register","appId":"https://login.example.com","registerRequests":[{"version":"U2F_V2","challenge":"3q2-7w"}],"registeredKeys":[]}}`,
		`{"op":"u2f.sign","frame":` + frame + `,"tabBusy":false,"request":{"type":"sign","appId":"https://login.example.com","challenge":"3q2-7w","registeredKeys":[{"version":"U2F_V2","keyHandle":"AQ"}]}}`,
		`{"ceremony":"c-AAAAAAAAAAAAAAAAAAAAAA","passphrase":"x"}`,
		`{"ceremony":"c-AAAAAAAAAAAAAAAAAAAAAA","result":{"credentialId":"AQ"},"error":{"code":"timeout","message":""}}`,
		`{"ceremony":"c-AAAAAAAAAAAAAAAAAAAAAA","reason":"denied"}`,
		`{"settings":{"autoLockMinutes":5,"uvWindowMinutes":3,"sites":{"example.com":{"off":true,"counterPolicy":"zero"}}}}`,
	}
	for i, r := range routes {
		f.Add(byte(i), r, []byte(bodies[i%len(bodies)]), "/v1/vault/create", []byte(bodies[4]))
		f.Add(byte(i), "/v1/vault/create", []byte(bodies[4]), r, []byte(bodies[(i+5)%len(bodies)]))
	}
	for _, b := range bodies[5:9] {
		f.Add(byte(0), "/v1/vault/create", []byte(bodies[4]), "/v1/ceremony/decide", []byte(b))
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
