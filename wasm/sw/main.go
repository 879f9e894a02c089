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
	"syscall/js"
	"time"

	"github.com/syumai/workers"

	"github.com/twinkey/twinkey/bridge"
)

func main() {
	local, session := newChromeStorage(storageAreaLocal), newChromeStorage(storageAreaSession)
	exposeStorageChanged(map[storageArea]chromeStorage{storageAreaLocal: local, storageAreaSession: session})
	env := bridge.Env{
		Local:   local,
		Session: session,
		Rand:    rand.Reader,
		Now:     time.Now,
	}
	// Serve blocks for the life of the service worker: servePersistently never lets syumai/workers see a
	// finished response body, so its Done channel never closes.
	workers.Serve(servePersistently(bridge.NewHandler(env)))
}

// exposeStorageChanged installs context.binding.storageChanged(changes, areaName), which the JavaScript host
// calls from its one chrome.storage.onChanged listener (extension/sw/bridge-host.js). The host, not this
// instance, owns the listener, so a replaced instance leaves nothing registered behind.
func exposeStorageChanged(areas map[storageArea]chromeStorage) {
	binding := js.Global().Get("context").Get("binding")
	if binding.Type() != js.TypeObject {
		return
	}
	binding.Set("storageChanged", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 2 || args[0].Type() != js.TypeObject || args[1].Type() != js.TypeString {
			return nil
		}
		if s, ok := areas[storageArea(args[1].String())]; ok {
			s.changed(args[0])
		}
		return nil
	}))
}
