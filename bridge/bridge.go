// Package bridge serves Twinkey's core as an http.Handler: the one seam between JavaScript and Go.
//
// The JSON contract is bridge/PROTOCOL.md. Inside the extension the handler runs in the service worker through
// github.com/syumai/workers (wasm/sw); natively it runs under net/http (tests, bridge/devserver). Only the service
// worker calls it: fields describing the caller (origin, crossOrigin, topOrigin) are what the browser reported in
// chrome.runtime.MessageSender, and approval is set only after a person approved in extension UI.
package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/twinkey/twinkey/core/counter"
	"github.com/twinkey/twinkey/core/vault"
)

// Storage is the key-value persistence the bridge needs. In the extension it is chrome.storage; natively a
// directory or a map. Get answers (nil, nil) for a missing key. Set must be durable when it returns: counters
// are reserved with Set before anything is signed.
type Storage interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// Env is everything the bridge takes from its platform.
type Env struct {
	Local   Storage   // survives browser restarts: vault file, counters (chrome.storage.local)
	Session Storage   // gone when the browser exits: the unlocked vault key (chrome.storage.session)
	Rand    io.Reader // crypto/rand.Reader outside tests
	Now     func() time.Time
	// VaultParams are the KDF parameters for new vault files; zero means vault.DefaultParams.
	VaultParams vault.Params
}

// Storage keys (extension/MESSAGES.md "Storage").
const (
	keyVault         = "vault"
	keyVaultKey      = "vaultKey"
	keyCounterPrefix = "counter."
)

// maxBodySize bounds a request body; WebAuthn options are a few kilobytes.
const maxBodySize = 1 << 20

type server struct {
	env Env
	// mu serialises requests in one Go instance: counters are read, reserved and written in one critical section,
	// and vault writes never interleave. The service worker also queues requests that touch counters.
	mu sync.Mutex
	// hands keeps, per role, the counter value reserved ahead (/v1/counter/reserve) until a signature uses it.
	// Memory only: a new instance starts empty and the lost value is skipped (core/counter).
	hands map[counter.Role]*counter.Hand
	// ceremonies are the page requests between decision and answer (ceremony.go); backoffs the origins whose
	// last request a person denied. Memory only, like hands.
	ceremonies map[string]*openCeremony
	backoffs   map[string]*backoff
}

// NewHandler returns the bridge's routes (bridge/PROTOCOL.md).
func NewHandler(env Env) http.Handler {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.VaultParams == (vault.Params{}) {
		env.VaultParams = vault.DefaultParams
	}
	s := &server{env: env, hands: map[counter.Role]*counter.Hand{}, ceremonies: map[string]*openCeremony{}, backoffs: map[string]*backoff{}}
	mux := http.NewServeMux()
	routes := map[string]func(context.Context, []byte) (any, error){
		"/v1/ceremony/decide":      s.ceremonyDecide,
		"/v1/ceremony/no-host":     s.ceremonyNoHost,
		"/v1/ceremony/approve":     s.ceremonyApprove,
		"/v1/ceremony/host-result": s.ceremonyHostResult,
		"/v1/ceremony/end":         s.ceremonyEnd,
		"/v1/settings/get":         s.settingsGet,
		"/v1/settings/set":         s.settingsSet,
		"/v1/vault/status":         s.vaultStatus,
		"/v1/vault/create":         s.vaultCreate,
		"/v1/vault/restore":        s.vaultRestore,
		"/v1/vault/unlock":         s.vaultUnlock,
		"/v1/vault/lock":           s.vaultLock,
		"/v1/vault/phrase":         s.vaultPhrase,
		"/v1/vault/passphrase":     s.vaultPassphrase,
		"/v1/vault/erase":          s.vaultErase,
	}
	for path, fn := range routes {
		mux.Handle(path, s.route(fn))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errNotFound)
	})
	return mux
}

var errNotFound = &Error{Status: http.StatusNotFound, Name: "NotFoundError", U2FCode: 1, Message: "no such route"}

func (s *server) route(fn func(context.Context, []byte) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && !(r.Method == http.MethodGet && r.URL.Path == "/v1/vault/status") {
			writeError(w, &Error{Status: http.StatusMethodNotAllowed, Name: "NotSupportedError", U2FCode: 1, Message: "use POST"})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodySize))
		if err != nil {
			writeError(w, &Error{Status: http.StatusRequestEntityTooLarge, Name: "TypeError", U2FCode: 2, Message: "request too large"})
			return
		}
		if len(body) == 0 {
			body = []byte("{}")
		}
		s.mu.Lock()
		out, err := fn(r.Context(), body)
		s.mu.Unlock()
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(out); err != nil {
			writeError(w, fmt.Errorf("bridge: encoding the answer: %w", err))
		}
	})
}

// decode reads a request body into v, refusing unknown members (the service worker is the only client; a typo
// there should fail loudly). Untrusted page data travels inside as json.RawMessage.
func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytesReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &Error{Status: http.StatusBadRequest, Name: "TypeError", U2FCode: 2, Message: "malformed bridge request: " + err.Error()}
	}
	return nil
}
