//go:build js && wasm

// Command sw is the Go half of the extension's service worker: it serves the bridge (bridge/PROTOCOL.md) to the
// service worker's JavaScript through github.com/syumai/workers.
//
// The service worker keeps ONE instance of this program running and sends it every bridge request in turn
// (extension/sw/bridge-host.js). syumai/workers is built for one instance per request: its Serve returns, and
// the program exits, once the first response body has been read. servePersistently (persistent.go) makes the
// instance outlive its requests; see there for how.
//
// Build: GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o app.wasm ./wasm/sw (scripts/build-extension.sh).
package main

import (
	"crypto/rand"
	"time"

	"github.com/syumai/workers"

	"github.com/twinkey/twinkey/bridge"
)

func main() {
	env := bridge.Env{
		Local:   newChromeStorage(storageAreaLocal),
		Session: newChromeStorage(storageAreaSession),
		Rand:    rand.Reader,
		Now:     time.Now,
	}
	// Serve blocks for the life of the service worker: servePersistently never lets syumai/workers see a
	// finished response body, so its Done channel never closes.
	workers.Serve(servePersistently(bridge.NewHandler(env)))
}
