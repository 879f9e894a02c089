// Command twinkey-demo walks through Twinkey natively: it creates a vault, registers and signs in at a relying
// party (go-webauthn), restores the recovery phrase as the backup twin, and shows the relying party accepting the
// twin and then refusing the lost primary. Every step goes through the bridge (the same handler the extension
// runs) and every result is verified by go-webauthn, a library we did not write.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	gwa "github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/twinkey/twinkey/bridge"
)

const origin = "https://login.example.com"

type account struct{ creds []webauthn.Credential }

func (a *account) WebAuthnID() []byte                         { return []byte("demo-user") }
func (a *account) WebAuthnName() string                       { return "ann" }
func (a *account) WebAuthnDisplayName() string                { return "Ann" }
func (a *account) WebAuthnCredentials() []webauthn.Credential { return a.creds }

type browser struct {
	name string
	h    http.Handler
}

func newBrowser(name string) browser {
	return browser{name, bridge.NewHandler(bridge.Env{Local: &bridge.MemoryStorage{}, Session: &bridge.MemoryStorage{}, Rand: rand.Reader})}
}

func (b browser) call(route string, body any) (json.RawMessage, error) {
	raw, _ := json.Marshal(body)
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, route, bytes.NewReader(raw)))
	out, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", route, out)
	}
	return out, nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func run() error {
	rp, err := webauthn.New(&webauthn.Config{RPID: "login.example.com", RPDisplayName: "Example", RPOrigins: []string{origin}})
	if err != nil {
		return err
	}
	user := &account{}
	approved := map[string]bool{"userPresent": true}

	a := newBrowser("browser A (primary)")
	out, err := a.call("/v1/vault/create", map[string]string{"passphrase": "demo passphrase"})
	if err != nil {
		return err
	}
	var created struct{ Phrase string }
	json.Unmarshal(out, &created)
	words := strings.Fields(created.Phrase)
	fmt.Printf("1. %s: vault created; recovery phrase has %d words (%s %s … %s)\n", a.name, len(words), words[0], words[1], words[23])

	creation, session, err := rp.BeginRegistration(user)
	if err != nil {
		return err
	}
	if out, err = a.call("/v1/webauthn/create", map[string]any{"origin": origin, "options": creation.Response, "approval": approved}); err != nil {
		return err
	}
	parsed, err := gwa.ParseCredentialCreationResponseBytes(out)
	if err != nil {
		return err
	}
	cred, err := rp.CreateCredential(user, *session, parsed)
	if err != nil {
		return fmt.Errorf("go-webauthn refused the registration: %w", err)
	}
	user.creds = append(user.creds, *cred)
	fmt.Printf("2. %s: registered at %s; go-webauthn verified it (credential %x…)\n", a.name, origin, cred.ID[:8])

	// login returns whether go-webauthn saw a possible clone, and the counter the authenticator reported.
	login := func(b browser) (bool, uint32, error) {
		assertion, session, err := rp.BeginLogin(user)
		if err != nil {
			return false, 0, err
		}
		out, err := b.call("/v1/webauthn/get", map[string]any{"origin": origin, "options": assertion.Response, "approval": approved})
		if err != nil {
			return false, 0, err
		}
		parsed, err := gwa.ParseCredentialRequestResponseBytes(out)
		if err != nil {
			return false, 0, err
		}
		c, err := rp.ValidateLogin(user, *session, parsed)
		if err != nil {
			return false, 0, err
		}
		user.creds[0] = *c
		return c.Authenticator.CloneWarning, parsed.Response.AuthenticatorData.Counter, nil
	}
	for i := 0; i < 3; i++ {
		_, n, err := login(a)
		if err != nil {
			return err
		}
		fmt.Printf("3. %s: signed in, counter %d\n", a.name, n)
	}

	b := newBrowser("browser B (backup twin)")
	if _, err := b.call("/v1/vault/restore", map[string]string{"phrase": created.Phrase, "role": "backup", "passphrase": "another passphrase"}); err != nil {
		return err
	}
	fmt.Printf("4. %s: phrase restored as the backup twin, no registration at the site\n", b.name)
	clone, n, err := login(b)
	if err != nil {
		return err
	}
	fmt.Printf("5. %s: signed in, counter %d, clone warning %v\n", b.name, n, clone)
	clone, n, err = login(a)
	if err != nil {
		return err
	}
	fmt.Printf("6. %s: tries again with counter %d: go-webauthn clone warning = %v, so the site refuses the lost primary\n", a.name, n, clone)
	if !clone {
		return fmt.Errorf("expected a clone warning for the primary")
	}
	return nil
}
