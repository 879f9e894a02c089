package rules

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// Chromium's own PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON are the reference
// for the error classes of ParseCreationOptions / ParseRequestOptions. testdata/chromium/cases.json holds the
// inputs; testdata/chromium/verdicts.json what Chromium answered (recorded with the command below). Cases marked
// "ours" are documented divergences: the DOMException name our parser gives instead.
//
// To compare against a live browser instead of the recording, and optionally re-record:
//
//	TWINKEY_CHROMIUM=/usr/bin/chromium [TWINKEY_CHROMIUM_UPDATE=1] go test -run TestChromiumParseVerdicts ./core/rules

type chromiumCase struct {
	Name    string          `json:"name"`
	API     string          `json:"api"` // "creation" or "request"
	Options json.RawMessage `json:"options"`
	Ours    string          `json:"ours,omitempty"`
	Why     string          `json:"why,omitempty"`
}

type chromiumVerdict struct {
	Name      string   `json:"name"`
	Result    string   `json:"result"` // "ok" or the DOMException/TypeError name
	Challenge string   `json:"challenge,omitempty"`
	UserID    string   `json:"userId,omitempty"`
	IDs       []string `json:"ids,omitempty"` // hex ids of the "public-key" descriptors, in order
}

type chromiumRecording struct {
	UserAgent string            `json:"userAgent"`
	Verdicts  []chromiumVerdict `json:"verdicts"`
}

const chromiumPage = `<!doctype html><html><body><pre id="out"></pre><script>
const cases = CASES;
const hex = b => Array.from(new Uint8Array(b), x => x.toString(16).padStart(2, '0')).join('');
const verdicts = [];
for (const c of cases) {
  const v = {name: c.name};
  try {
    const o = c.api === 'creation' ? PublicKeyCredential.parseCreationOptionsFromJSON(c.options)
                                   : PublicKeyCredential.parseRequestOptionsFromJSON(c.options);
    v.result = 'ok';
    v.challenge = hex(o.challenge);
    if (o.user) v.userId = hex(o.user.id);
    const list = (c.api === 'creation' ? o.excludeCredentials : o.allowCredentials) || [];
    v.ids = list.filter(d => d.type === 'public-key').map(d => hex(d.id));
  } catch (e) { v.result = e.name; }
  verdicts.push(v);
}
document.getElementById('out').textContent = JSON.stringify({userAgent: navigator.userAgent, verdicts});
</script></body></html>`

func runChromium(t *testing.T, chromium string, casesJSON []byte) chromiumRecording {
	t.Helper()
	dir := t.TempDir()
	var cases struct {
		Cases json.RawMessage `json:"cases"`
	}
	if err := json.Unmarshal(casesJSON, &cases); err != nil {
		t.Fatal(err)
	}
	page := regexp.MustCompile(`CASES`).ReplaceAllLiteralString(chromiumPage, string(cases.Cases))
	pagePath := filepath.Join(dir, "page.html") // file: pages are secure contexts in Chromium
	if err := os.WriteFile(pagePath, []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+pagePath).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	m := regexp.MustCompile(`(?s)<pre id="out">(.*?)</pre>`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no verdicts in Chromium's output:\n%s", out)
	}
	var rec chromiumRecording
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestChromiumParseVerdicts(t *testing.T) {
	casesJSON, err := os.ReadFile("testdata/chromium/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []chromiumCase `json:"cases"`
	}
	if err := json.Unmarshal(casesJSON, &file); err != nil {
		t.Fatal(err)
	}
	var rec chromiumRecording
	if chromium := os.Getenv("TWINKEY_CHROMIUM"); chromium != "" {
		rec = runChromium(t, chromium, casesJSON)
		if os.Getenv("TWINKEY_CHROMIUM_UPDATE") == "1" {
			b, _ := json.MarshalIndent(rec, "", " ")
			if err := os.WriteFile("testdata/chromium/verdicts.json", append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		b, err := os.ReadFile("testdata/chromium/verdicts.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
	}
	if len(file.Cases) == 0 || len(rec.Verdicts) != len(file.Cases) {
		t.Fatalf("%d cases, %d verdicts", len(file.Cases), len(rec.Verdicts))
	}
	t.Logf("verdicts from %s", rec.UserAgent)
	for i, c := range file.Cases {
		v := rec.Verdicts[i]
		t.Run(c.Name, func(t *testing.T) {
			if v.Name != c.Name {
				t.Fatalf("verdict %q for case %q", v.Name, c.Name)
			}
			want := v.Result
			if c.Ours != "" {
				if c.Ours == v.Result {
					t.Errorf("case marked as a divergence, but Chromium also answers %s", v.Result)
				}
				want = c.Ours
			}
			var challenge, userID []byte
			var ds []CredentialDescriptor
			var err error
			if c.API == "creation" {
				var o *CreationOptions
				if o, err = ParseCreationOptions(c.Options); err == nil {
					challenge, userID, ds = o.Challenge, o.User.ID, o.ExcludeCredentials
				}
			} else {
				var o *RequestOptions
				if o, err = ParseRequestOptions(c.Options); err == nil {
					challenge, ds = o.Challenge, o.AllowCredentials
				}
			}
			if want != "ok" {
				if got := DOMExceptionName(err); got != want {
					t.Errorf("we answer %q (%v), want %q (Chromium: %s)", got, err, want, v.Result)
				}
				return
			}
			if err != nil {
				t.Fatalf("we refuse (%v), Chromium accepts", err)
			}
			if hex.EncodeToString(challenge) != v.Challenge || hex.EncodeToString(userID) != v.UserID {
				t.Errorf("decoded challenge %x / user.id %x, Chromium %s / %s", challenge, userID, v.Challenge, v.UserID)
			}
			if len(ds) != len(v.IDs) {
				t.Fatalf("%d descriptors, Chromium %d", len(ds), len(v.IDs))
			}
			for j := range ds {
				if hex.EncodeToString(ds[j].ID) != v.IDs[j] {
					t.Errorf("descriptor %d id %x, Chromium %s", j, ds[j].ID, v.IDs[j])
				}
			}
		})
	}
}
