// Package bridge serves Twinkey's core as an http.Handler: the one seam between JavaScript and Go.
//
// The JSON contract is bridge/PROTOCOL.md. Inside the extension the handler runs in the service worker through
// github.com/syumai/workers (wasm/sw); natively it runs under net/http (tests, bridge/devserver).
package bridge

import (
	"context"
	"io"
	"net/http"
	"time"
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
}

// NewHandler returns the bridge's routes (bridge/PROTOCOL.md).
func NewHandler(env Env) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotImplemented)
		io.WriteString(w, `{"error":{"name":"NotSupportedError","u2fCode":1,"message":"not implemented yet"}}`)
	})
	return mux
}
