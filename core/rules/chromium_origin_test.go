package rules

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Chromium's navigator.credentials.get() is the reference for EffectiveRPID and EffectiveAppID:
// testdata/chromium/origin-verdicts.json records, for each caller origin and rpId or appid extension input, whether
// Chromium 156 refused. It is recorded by loading each origin as a top-level page, one after the other (every host
// name mapped to local servers; https served with a test certificate Chromium is told to trust with
// --ignore-certificate-errors-spki-list) and calling get() with a short AbortSignal timeout. No authenticator is
// attached: an accepted request ends in a timeout or NotAllowedError, a refused one at once in SecurityError (or,
// for an appid that is not a URL at all, Blink's SyntaxError, which we report as SecurityError).
// The browser sees each origin with the local server's port; ports play no part in these checks.
//
//	TWINKEY_CHROMIUM=/usr/bin/chromium [TWINKEY_CHROMIUM_UPDATE=1] go test -run TestChromiumOriginVerdicts ./core/rules

type originCase struct {
	Check  string `json:"check"` // "rpId" or "appid"
	Origin string `json:"origin"`
	Value  string `json:"value"` // the rpId ("" = absent) or the appid input
}

type originVerdict struct {
	originCase
	Chromium string `json:"chromium"`
	Ours     string `json:"ours,omitempty"` // a documented divergence: "accept" or "SecurityError"
	Why      string `json:"why,omitempty"`
}

var originCases = []originCase{
	{"rpId", "https://login.example.com", ""},
	{"rpId", "https://login.example.com", "login.example.com"},
	{"rpId", "https://login.example.com", "example.com"},
	{"rpId", "https://login.example.com", "m.login.example.com"},
	{"rpId", "https://login.example.com", "com"},
	{"rpId", "https://login.example.com", "Example.COM"},
	{"rpId", "https://example.com", "example.org"},
	{"rpId", "https://notexample.com", "example.com"},
	{"rpId", "https://a.example.com", "b.example.com"},
	{"rpId", "https://www.example.co.uk", "co.uk"},
	{"rpId", "https://www.example.co.uk", "example.co.uk"},
	{"rpId", "https://www.x.kawasaki.jp", "x.kawasaki.jp"},
	{"rpId", "https://www.city.kawasaki.jp", "city.kawasaki.jp"},
	{"rpId", "https://alice.github.io", "github.io"},
	{"rpId", "https://alice.github.io", "alice.github.io"},
	{"rpId", "https://www.alice.github.io", "alice.github.io"},
	{"rpId", "https://foo.up.railway.app", "railway.app"},
	{"rpId", "https://foo.s3.amazonaws.com", "amazonaws.com"},
	{"rpId", "https://github.io", "github.io"},
	{"rpId", "https://www.example.internal", "example.internal"},
	{"rpId", "https://www.example.internal", "internal"},
	{"rpId", "http://insecure.example", ""},
	{"rpId", "http://login.insecure.example", "insecure.example"},
	{"rpId", "http://localhost", ""},
	{"rpId", "http://localhost", "localhost"},
	{"rpId", "http://app.localhost", "app.localhost"},
	{"rpId", "http://app.localhost", "localhost"},
	{"rpId", "http://127.0.0.1", ""},
	{"rpId", "https://127.0.0.1", "127.0.0.1"},
	{"rpId", "https://example.com", "https://example.com"},
	{"rpId", "https://example.com", "example.com:443"},
	{"rpId", "https://example.com", "1.2.3.4"},
	{"rpId", "https://login.example.com", "example.com."},
	{"rpId", "https://login.example.com", ".example.com"},
	{"rpId", "https://xn--bcher-kva.example", "bücher.example"},
	{"rpId", "https://login.xn--bcher-kva.example", "xn--bcher-kva.example"},
	{"rpId", "https://my_host.example.com", ""},
	{"rpId", "https://my_host.example.com", "example.com"},
	{"rpId", "https://a.my_site.example.com", "my_site.example.com"},
	{"rpId", "https://a-.example.com", ""},
	{"rpId", "https://login.example.com", "-example.com"},

	{"appid", "https://login.example.com", ""},
	{"appid", "https://login.example.com", "https://login.example.com/u2f/app-id.json"},
	{"appid", "https://login.example.com", "https://login.example.com:8443/x"},
	{"appid", "https://login.example.com", "https://LOGIN.example.com/x"},
	{"appid", "https://login.example.com", "https://example.com/app-id.json"},
	{"appid", "https://login.example.com", "https://u2f.example.com/facets"},
	{"appid", "https://a.example.co.uk", "https://b.example.co.uk/appid"},
	{"appid", "https://login.example.com", "https://example.org/app-id.json"},
	{"appid", "https://login.example.com", "https://com/"},
	{"appid", "https://alice.github.io", "https://bob.github.io/appid"},
	{"appid", "https://www.alice.github.io", "https://alice.github.io/appid"},
	{"appid", "https://accounts.google.com", "https://www.gstatic.com/securitykey/origins.json"},
	{"appid", "https://google.com", "https://www.gstatic.com/securitykey/a/google.com/origins.json"},
	{"appid", "https://example.com", "https://www.gstatic.com/securitykey/origins.json"},
	{"appid", "https://accounts.google.com", "https://www.gstatic.com/securitykey/other.json"},
	{"appid", "https://accounts.google.com", "https://www.gstatic.com/securitykey/origins.json#x"},
	{"appid", "https://notgoogle.com", "https://www.gstatic.com/securitykey/origins.json"},
	{"appid", "https://login.example.com", "http://login.example.com"},
	{"appid", "https://login.example.com", "login.example.com"},
	{"appid", "https://login.example.com", "https://evil@login.example.com/"},
	{"appid", "https://login.example.com", "https:login.example.com"},
	{"appid", "https://login.example.com", "https:///path"},
	{"appid", "http://localhost", ""},
	{"appid", "https://login.example.com", "https://login.example.com@evil.example/"},
}

// originDivergences are answers we keep on purpose although Chromium differs, with the reason.
var originDivergences = map[originCase]string{
	{"rpId", "https://login.example.com", ".example.com"}: "Chromium's url::DomainIs accepts a leading dot (and would " +
		"hash \".example.com\"); HTML's algorithm refuses it: login.example.com does not end with \"..example.com\"",
	{"appid", "https://login.example.com", "https:login.example.com"}: "Chromium's URL parser repairs the missing " +
		"slashes; net/url reads an opaque URL, which we refuse",
}

const originFramePage = `<!doctype html><script>
const q = new URLSearchParams(location.search);
const report = r => fetch('/report?id=' + q.get('id'), {method: 'POST', body: r})
  .then(resp => resp.text()).then(next => { if (next) location.href = next; });
(async () => {
  if (!window.isSecureContext || !navigator.credentials) { report('insecure-context'); return; }
  const publicKey = {challenge: new Uint8Array(16), allowCredentials: [{type: 'public-key', id: new Uint8Array(16)}]};
  if (q.get('check') === 'rpId' && q.has('value')) publicKey.rpId = q.get('value');
  if (q.get('check') === 'appid') publicKey.extensions = {appid: q.get('value')};
  try {
    await navigator.credentials.get({publicKey, signal: AbortSignal.timeout(700)});
    report('resolved');
  } catch (e) { report(e.name); }
})();
</script>`

func recordOriginVerdicts(t *testing.T, chromium string) []originVerdict {
	t.Helper()
	var mu sync.Mutex
	results := map[string]string{}
	done := make(chan struct{})
	var srcs []string // one page per case, in order
	mux := http.NewServeMux()
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, originFramePage)
	})
	mux.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		id := r.URL.Query().Get("id")
		if _, dup := results[id]; dup {
			return
		}
		results[id] = string(b)
		if len(results) == len(originCases) {
			close(done)
			return
		}
		var i int
		fmt.Sscan(id, &i)
		if i+1 < len(srcs) {
			io.WriteString(w, srcs[i+1]) // the next case, loaded top-level by the reporting page
		}
	})
	tlsSrv := httptest.NewUnstartedServer(mux)
	tlsSrv.Config.ErrorLog = nil
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	plainSrv := httptest.NewServer(mux)
	defer plainSrv.Close()
	portOf := func(s *httptest.Server) int { return s.Listener.Addr().(*net.TCPAddr).Port }

	for i, c := range originCases {
		u, _ := url.Parse(c.Origin)
		port := portOf(plainSrv)
		if u.Scheme == "https" {
			port = portOf(tlsSrv)
		}
		q := url.Values{"id": {fmt.Sprint(i)}, "check": {c.Check}}
		if c.Check == "appid" || c.Value != "" {
			q.Set("value", c.Value)
		}
		srcs = append(srcs, fmt.Sprintf("%s://%s:%d/frame?%s", u.Scheme, u.Host, port, q.Encode()))
	}
	// One page at a time: Chromium allows one pending WebAuthn request per tab (OperationError otherwise), and
	// the appid extension is only checked as written for top-level pages.
	spki := sha256.Sum256(tlsSrv.Certificate().RawSubjectPublicKeyInfo)
	profile, err := os.MkdirTemp("", "twinkey-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile,
		"--host-resolver-rules=MAP * 127.0.0.1",
		"--ignore-certificate-errors-spki-list="+base64.StdEncoding.EncodeToString(spki[:]),
		srcs[0])
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		mu.Lock()
		t.Fatalf("only %d of %d reports arrived: %v", len(results), len(originCases), results)
	}
	mu.Lock()
	defer mu.Unlock()
	out := make([]originVerdict, len(originCases))
	for i, c := range originCases {
		out[i] = originVerdict{originCase: c, Chromium: results[fmt.Sprint(i)]}
		if why, ok := originDivergences[c]; ok {
			out[i].Why = why
			out[i].Ours = "SecurityError"
			if out[i].Chromium == "SecurityError" {
				out[i].Ours = "accept"
			}
		}
	}
	return out
}

func TestChromiumOriginVerdicts(t *testing.T) {
	const path = "testdata/chromium/origin-verdicts.json"
	var verdicts []originVerdict
	if chromium := os.Getenv("TWINKEY_CHROMIUM"); chromium != "" {
		verdicts = recordOriginVerdicts(t, chromium)
		if os.Getenv("TWINKEY_CHROMIUM_UPDATE") == "1" {
			b, _ := json.MarshalIndent(verdicts, "", " ")
			if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &verdicts); err != nil {
			t.Fatal(err)
		}
	}
	if len(verdicts) == 0 {
		t.Fatal("no verdicts loaded")
	}
	for _, v := range verdicts {
		t.Run(v.Check+" "+v.Origin+" "+v.Value, func(t *testing.T) {
			chromiumRefuses := v.Chromium == "SecurityError" || v.Chromium == "SyntaxError" || v.Chromium == "insecure-context"
			if !chromiumRefuses && v.Chromium != "TimeoutError" && v.Chromium != "NotAllowedError" {
				t.Fatalf("unexpected Chromium outcome %q", v.Chromium)
			}
			caller := mustOrigin(t, v.Origin)
			var err error
			if v.Check == "appid" {
				if _, err = EffectiveRPID(caller, ""); err == nil {
					_, err = EffectiveAppID(caller, v.Value)
				}
			} else {
				_, err = EffectiveRPID(caller, v.Value)
			}
			if err != nil && KindOf(err) != KindSecurity {
				t.Fatalf("refused with %v, not SecurityError", err)
			}
			weRefuse := err != nil
			if v.Ours != "" {
				if (v.Ours != "accept") != weRefuse {
					t.Errorf("documented divergence %q (%s), but we answer %v", v.Ours, v.Why, err)
				}
				if (v.Ours != "accept") == chromiumRefuses {
					t.Errorf("marked as a divergence, but Chromium agrees (%s)", v.Chromium)
				}
				return
			}
			if weRefuse != chromiumRefuses {
				t.Errorf("%s %q: Chromium: %s; we: %v", v.Origin, v.Value, v.Chromium, err)
			}
		})
	}
}
