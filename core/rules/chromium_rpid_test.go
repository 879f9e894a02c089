package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Chromium's navigator.credentials.get() is the reference for EffectiveRPID: testdata/chromium/rpid-verdicts.json
// records, for each (caller origin, rpId), whether Chromium 156 refused with SecurityError. The recording is made
// by loading each origin in an iframe (all host names mapped to a local server, https origins replaced by http
// ones marked secure with --unsafely-treat-insecure-origin-as-secure; ports play no part in RP ID checks), calling
// get() with a short AbortSignal timeout and reporting the error name. No authenticator is attached, so an
// accepted RP ID ends in a timeout or NotAllowedError, a refused one in SecurityError at once.
//
//	TWINKEY_CHROMIUM=/usr/bin/chromium [TWINKEY_CHROMIUM_UPDATE=1] go test -run TestChromiumRPIDVerdicts ./core/rules

type rpidVerdict struct {
	Origin   string `json:"origin"` // as in our tests; the browser saw its http twin when this is https
	RPID     string `json:"rpId"`   // "" = absent
	Chromium string `json:"chromium"`
	Ours     string `json:"ours,omitempty"` // a documented divergence: our answer ("accept" or "SecurityError")
	Why      string `json:"why,omitempty"`
}

// rpidCases are (origin, rpId) pairs from TestEffectiveRPID that a local Chromium can load.
var rpidCases = [][2]string{
	{"https://login.example.com", ""},
	{"https://login.example.com", "login.example.com"},
	{"https://login.example.com", "example.com"},
	{"https://login.example.com", "m.login.example.com"},
	{"https://login.example.com", "com"},
	{"https://login.example.com", "Example.COM"},
	{"https://example.com", "example.org"},
	{"https://notexample.com", "example.com"},
	{"https://a.example.com", "b.example.com"},
	{"https://www.example.co.uk", "co.uk"},
	{"https://www.example.co.uk", "example.co.uk"},
	{"https://www.x.kawasaki.jp", "x.kawasaki.jp"},
	{"https://www.city.kawasaki.jp", "city.kawasaki.jp"},
	// Private registries (github.io and .app are HSTS-preloaded, so the http twins use eu.org and amazonaws.com).
	{"https://alice.eu.org", "eu.org"},
	{"https://www.alice.eu.org", "alice.eu.org"},
	{"https://foo.s3.amazonaws.com", "amazonaws.com"}, // inside the host's public suffix s3.amazonaws.com
	{"https://foo.s3.amazonaws.com", "foo.s3.amazonaws.com"},
	{"https://eu.org", "eu.org"},
	{"https://www.example.internal", "example.internal"},
	{"https://www.example.internal", "internal"},
	{"http://insecure.example", ""}, // hosts no https case uses: their http twins are not marked secure
	{"http://login.insecure.example", "insecure.example"},
	{"http://localhost", ""},
	{"http://localhost", "localhost"},
	{"http://app.localhost", "app.localhost"},
	{"http://app.localhost", "localhost"},
	{"http://127.0.0.1", ""},
	{"https://example.com", "https://example.com"},
	{"https://example.com", "example.com:443"},
	{"https://example.com", "1.2.3.4"},
	{"https://login.example.com", "example.com."},
	{"https://login.example.com", ".example.com"},
	{"https://xn--bcher-kva.example", "bücher.example"},
	{"https://login.xn--bcher-kva.example", "xn--bcher-kva.example"},
}

// Divergences we keep on purpose, with the reason.
var rpidDivergences = map[[2]string]string{
	{"https://login.example.com", ".example.com"}: "Chromium's url::DomainIs accepts a leading dot and would hash \".example.com\"; " +
		"HTML's host parser gives \".example.com\", which login.example.com does not end with \"..example.com\": refused",
}

const rpidFramePage = `<!doctype html><script>
const q = new URLSearchParams(location.search);
const report = r => fetch('/report?id=' + q.get('id'), {method: 'POST', body: r}).finally(() => parent.postMessage('next', '*'));
(async () => {
  if (!window.isSecureContext || !navigator.credentials) { report('insecure-context'); return; }
  const publicKey = {challenge: new Uint8Array(16), allowCredentials: [{type: 'public-key', id: new Uint8Array(16)}]};
  if (q.has('rpId')) publicKey.rpId = q.get('rpId');
  try {
    await navigator.credentials.get({publicKey, signal: AbortSignal.timeout(700)});
    report('resolved');
  } catch (e) { report(e.name); }
})();
</script>`

func recordRPIDVerdicts(t *testing.T, chromium string) []rpidVerdict {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	var mu sync.Mutex
	results := map[string]string{}
	done := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, rpidFramePage)
	})
	mux.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		results[r.URL.Query().Get("id")] = string(b)
		if len(results) == len(rpidCases) {
			close(done)
		}
	})
	var top strings.Builder
	top.WriteString("<!doctype html><body>")
	topOrigin := fmt.Sprintf("http://top.test:%d", port)
	var srcs []string
	secure := []string{topOrigin} // a frame is a secure context only if its ancestors are
	for i, c := range rpidCases {
		u, _ := url.Parse(c[0])
		browserOrigin := fmt.Sprintf("http://%s:%d", u.Host, port)
		if u.Scheme == "https" {
			secure = append(secure, browserOrigin)
		}
		src := fmt.Sprintf("%s/frame?id=%d", browserOrigin, i)
		if c[1] != "" {
			src += "&rpId=" + url.QueryEscape(c[1])
		}
		srcs = append(srcs, src)
	}
	// One frame at a time: Chromium allows one pending WebAuthn request per tab (OperationError otherwise).
	srcsJSON, _ := json.Marshal(srcs)
	fmt.Fprintf(&top, `<script>
const srcs = %s; let i = 0;
function next() {
  if (i >= srcs.length) return;
  const f = document.createElement('iframe');
  f.allow = 'publickey-credentials-get *';
  f.src = srcs[i++];
  document.body.appendChild(f);
}
addEventListener('message', next);
addEventListener('load', next);
</script>`, srcsJSON)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, top.String())
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()

	profile, err := os.MkdirTemp("", "twinkey-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile,
		"--host-resolver-rules=MAP * 127.0.0.1",
		"--unsafely-treat-insecure-origin-as-secure="+strings.Join(secure, ","),
		topOrigin+"/")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		mu.Lock()
		t.Fatalf("only %d of %d reports arrived: %v", len(results), len(rpidCases), results)
	}
	mu.Lock()
	defer mu.Unlock()
	out := make([]rpidVerdict, len(rpidCases))
	for i, c := range rpidCases {
		out[i] = rpidVerdict{Origin: c[0], RPID: c[1], Chromium: results[fmt.Sprint(i)]}
	}
	return out
}

func TestChromiumRPIDVerdicts(t *testing.T) {
	const path = "testdata/chromium/rpid-verdicts.json"
	var verdicts []rpidVerdict
	if chromium := os.Getenv("TWINKEY_CHROMIUM"); chromium != "" {
		verdicts = recordRPIDVerdicts(t, chromium)
		for i := range verdicts {
			if why, ok := rpidDivergences[[2]string{verdicts[i].Origin, verdicts[i].RPID}]; ok {
				verdicts[i].Why = why
				verdicts[i].Ours = "SecurityError"
			}
		}
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
		t.Run(v.Origin+" "+v.RPID, func(t *testing.T) {
			chromiumRefuses := v.Chromium == "SecurityError" || v.Chromium == "insecure-context"
			if !chromiumRefuses && v.Chromium != "TimeoutError" && v.Chromium != "NotAllowedError" && v.Chromium != "AbortError" {
				t.Fatalf("unexpected Chromium outcome %q", v.Chromium)
			}
			_, err := EffectiveRPID(mustOrigin(t, v.Origin), v.RPID)
			weRefuse := err != nil
			if v.Ours != "" {
				if (v.Ours != "accept") != weRefuse {
					t.Errorf("documented divergence %q (%s), but we answer %v", v.Ours, v.Why, err)
				}
				return
			}
			if weRefuse != chromiumRefuses {
				t.Errorf("%s rpId %q: Chromium: %s; we: %v", v.Origin, v.RPID, v.Chromium, err)
			}
		})
	}
}
