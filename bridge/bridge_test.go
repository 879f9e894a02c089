package bridge_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cosmos/go-bip39"

	"github.com/twinkey/twinkey/bridge"
	"github.com/twinkey/twinkey/core/vault"
)

// A browser profile: one bridge with its own storage.
type profile struct {
	t       *testing.T
	srv     *httptest.Server
	local   *bridge.MemoryStorage
	session *bridge.MemoryStorage
}

var testParams = vault.Params{Time: 1, MemoryKiB: 64, Threads: 1}

func newProfile(t *testing.T) *profile {
	p := &profile{t: t, local: &bridge.MemoryStorage{}, session: &bridge.MemoryStorage{}}
	p.srv = httptest.NewServer(bridge.NewHandler(bridge.Env{Local: p.local, Session: p.session, Rand: rand.Reader, VaultParams: testParams}))
	t.Cleanup(p.srv.Close)
	return p
}

type bridgeError struct {
	Name    string `json:"name"`
	U2FCode int    `json:"u2fCode"`
	Message string `json:"message"`
}

// call posts body to route; it returns the answer decoded into out, or the bridge error.
func (p *profile) call(route string, body any, out any) *bridgeError {
	p.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(p.srv.URL+route, "application/json", bytes.NewReader(b))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error *bridgeError }
		if err := json.Unmarshal(raw, &e); err != nil || e.Error == nil || e.Error.Name == "" || e.Error.Message == "" {
			p.t.Fatalf("%s: status %d with a body outside the error shape: %s", route, resp.StatusCode, raw)
		}
		return e.Error
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("%s: %v in %s", route, err, raw)
		}
	}
	return nil
}

func (p *profile) mustCall(route string, body any, out any) {
	p.t.Helper()
	if e := p.call(route, body, out); e != nil {
		p.t.Fatalf("%s: %s: %s", route, e.Name, e.Message)
	}
}

func (p *profile) wantError(route string, body any, name string) *bridgeError {
	p.t.Helper()
	e := p.call(route, body, nil)
	if e == nil || e.Name != name {
		p.t.Fatalf("%s: got %+v, want %s", route, e, name)
	}
	return e
}

const passphrase = "correct horse battery"

func (p *profile) create() string {
	var out struct{ Role, Phrase string }
	p.mustCall("/v1/vault/create", map[string]string{"passphrase": passphrase}, &out)
	if out.Role != "primary" || len(strings.Fields(out.Phrase)) != 24 {
		p.t.Fatalf("create answered %+v", out)
	}
	return out.Phrase
}

type status struct {
	Exists, Unlocked bool
	Role             string
}

func (p *profile) status() status {
	var s status
	p.mustCall("/v1/vault/status", struct{}{}, &s)
	return s
}

func TestVaultRoutes(t *testing.T) {
	p := newProfile(t)
	if s := p.status(); s.Exists {
		t.Fatal("fresh profile has a vault")
	}
	p.wantError("/v1/vault/unlock", map[string]string{"passphrase": passphrase}, "VaultMissing")
	p.wantError("/v1/vault/create", map[string]string{"passphrase": "short"}, "WeakPassphrase")
	phrase := p.create()
	p.wantError("/v1/vault/create", map[string]string{"passphrase": passphrase}, "VaultExists")
	if s := p.status(); !s.Exists || !s.Unlocked || s.Role != "primary" {
		t.Fatalf("after create: %+v", s)
	}
	p.mustCall("/v1/vault/lock", struct{}{}, nil)
	if s := p.status(); s.Unlocked {
		t.Fatal("still unlocked after lock")
	}
	p.wantError("/v1/vault/unlock", map[string]string{"passphrase": "wrong passphrase"}, "WrongPassphrase")
	p.mustCall("/v1/vault/unlock", map[string]string{"passphrase": passphrase}, nil)
	var again struct{ Phrase string }
	p.wantError("/v1/vault/phrase", map[string]string{"passphrase": "wrong passphrase"}, "WrongPassphrase")
	p.mustCall("/v1/vault/phrase", map[string]string{"passphrase": passphrase}, &again)
	if again.Phrase != phrase {
		t.Fatal("the phrase shown again differs")
	}
	p.mustCall("/v1/vault/passphrase", map[string]string{"old": passphrase, "new": "a new passphrase"}, nil)
	if s := p.status(); !s.Unlocked {
		t.Fatal("changing the passphrase locked the vault")
	}
	p.mustCall("/v1/vault/lock", struct{}{}, nil)
	p.wantError("/v1/vault/unlock", map[string]string{"passphrase": passphrase}, "WrongPassphrase")
	p.mustCall("/v1/vault/unlock", map[string]string{"passphrase": "a new passphrase"}, nil)
	p.wantError("/v1/vault/erase", map[string]string{"confirm": "yes"}, "TypeError")
	p.mustCall("/v1/vault/erase", map[string]string{"confirm": "erase"}, nil)
	if s := p.status(); s.Exists {
		t.Fatal("vault survived erase")
	}
	// Nothing secret stays in clear in storage: no phrase word sequence, no secret.
	for _, st := range []*bridge.MemoryStorage{p.local, p.session} {
		for _, k := range st.Keys() {
			v, _ := st.Get(t.Context(), k)
			if bytes.Contains(v, []byte(strings.Fields(phrase)[0]+" "+strings.Fields(phrase)[1])) {
				t.Fatalf("storage key %q holds the phrase", k)
			}
		}
	}
}

func TestRestoreErrors(t *testing.T) {
	p := newProfile(t)
	words := strings.Fields(newProfile(t).create())
	bad := append([]string(nil), words...)
	bad[6] = "abandn"
	e := p.wantError("/v1/vault/restore", map[string]string{"phrase": strings.Join(bad, " "), "role": "backup", "passphrase": passphrase}, "BadPhrase")
	if !strings.Contains(e.Message, "word 7") {
		t.Fatalf("unknown word message: %q", e.Message)
	}
	// Two words swapped: a checksum error, unless the swap happens to keep the 8-bit checksum (1 in 256) or the
	// words are equal; go-bip39 (an implementation we did not write) picks a swap that breaks it.
	words = swapped(words, 0, 1)
	for j := 2; validPhrase(words); j++ {
		words = swapped(words, 0, j)
	}
	p.wantError("/v1/vault/restore", map[string]string{"phrase": strings.Join(words, " "), "role": "backup", "passphrase": passphrase}, "BadPhrase")
	p.wantError("/v1/vault/restore", map[string]string{"phrase": strings.Join(words[:23], " "), "role": "backup", "passphrase": passphrase}, "BadPhrase")
	p.wantError("/v1/vault/restore", map[string]string{"phrase": strings.Join(words, " "), "role": "king", "passphrase": passphrase}, "TypeError")
}

func swapped(words []string, i, j int) []string {
	out := append([]string(nil), words...)
	out[i], out[j] = out[j], out[i]
	return out
}

// failingStorage fails writes of one key, as a browser killed in the middle of a storage write would leave it:
// the write either happened whole (chrome.storage writes a value at once) or not at all.
type failingStorage struct {
	*bridge.MemoryStorage
	failKey string
}

func (f *failingStorage) Set(ctx context.Context, key string, value []byte) error {
	if key == f.failKey {
		return errors.New("interrupted")
	}
	return f.MemoryStorage.Set(ctx, key, value)
}

func (f *failingStorage) Delete(ctx context.Context, key string) error {
	if key == f.failKey {
		return errors.New("interrupted")
	}
	return f.MemoryStorage.Delete(ctx, key)
}

// Changing the passphrase or erasing, interrupted at any step, leaves the old vault or the new one, readable.
func TestInterruptedPassphraseChangeAndErase(t *testing.T) {
	local, session := &bridge.MemoryStorage{}, &bridge.MemoryStorage{}
	flaky := &failingStorage{MemoryStorage: local}
	p := &profile{t: t, local: local, session: session}
	p.srv = httptest.NewServer(bridge.NewHandler(bridge.Env{Local: flaky, Session: session, Rand: rand.Reader, VaultParams: testParams}))
	t.Cleanup(p.srv.Close)
	phrase := p.create()

	// The new vault file cannot be written: the old one stays, and the old passphrase still opens it.
	flaky.failKey = "vault"
	if e := p.call("/v1/vault/passphrase", map[string]string{"old": passphrase, "new": "a new passphrase"}, nil); e == nil {
		t.Fatal("passphrase change reported success without writing the vault")
	}
	flaky.failKey = ""
	p.mustCall("/v1/vault/lock", struct{}{}, nil)
	p.mustCall("/v1/vault/unlock", map[string]string{"passphrase": passphrase}, nil)
	p.wantError("/v1/vault/unlock", map[string]string{"passphrase": "a new passphrase"}, "WrongPassphrase")

	// Erase interrupted after the session key went: the vault is still there, locked, and opens again.
	flaky.failKey = "vault"
	if e := p.call("/v1/vault/erase", map[string]string{"confirm": "erase"}, nil); e == nil {
		t.Fatal("erase reported success without removing the vault")
	}
	flaky.failKey = ""
	if s := p.status(); !s.Exists || s.Unlocked {
		t.Fatalf("after an interrupted erase: %+v", s)
	}
	var again struct{ Phrase string }
	p.mustCall("/v1/vault/phrase", map[string]string{"passphrase": passphrase}, &again)
	if again.Phrase != phrase {
		t.Fatal("the vault after an interrupted erase holds another secret")
	}
}

// storedCounter answers the next counter value the profile's storage records for role.
func (p *profile) storedCounter(role string) uint32 {
	p.t.Helper()
	b, _ := p.local.Get(context.Background(), "counter."+role)
	if len(b) != 4 {
		p.t.Fatalf("counter.%s = %x", role, b)
	}
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// wantRaw posts a raw body and checks the status and, for errors, the error name.
func (p *profile) wantRaw(route, body string, status int, name string) {
	p.t.Helper()
	resp, err := http.Post(p.srv.URL+route, "application/json", strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Error *bridgeError }
	json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != status || (name != "" && (e.Error == nil || e.Error.Name != name)) {
		p.t.Fatalf("%s %s: %d %+v, want %d %s", route, body, resp.StatusCode, e.Error, status, name)
	}
}

// validPhrase asks go-bip39 whether words are a valid phrase (checksum included).
func validPhrase(words []string) bool {
	_, err := bip39.MnemonicToByteArray(strings.Join(words, " "))
	return err == nil
}
