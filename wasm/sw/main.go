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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"syscall/js"
	"time"

	"github.com/syumai/workers"

	"github.com/twinkey/twinkey/bridge"
	"github.com/twinkey/twinkey/core/keys"
)

func main() {
	local, session := newChromeStorage(storageAreaLocal), newChromeStorage(storageAreaSession)
	exposeStorageChanged(map[storageArea]chromeStorage{storageAreaLocal: local, storageAreaSession: session})
	exposeBenchmarkSign()
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

// exposeBenchmarkSign installs context.binding.benchmarkSign(n), which makes n signatures with core/keys.Sign (the
// signature of every assertion) on a throw-away key and returns nothing: the caller times the call, on the same
// clock as its WebCrypto reference (e2e/bench/sign.js, through self.twinkey.benchmarkSign). It touches no vault
// and no storage.
func exposeBenchmarkSign() {
	binding := js.Global().Get("context").Get("binding")
	if binding.Type() != js.TypeObject {
		return
	}
	var priv *ecdsa.PrivateKey  // made at the first call, not on the service worker's start-up path
	message := make([]byte, 69) // authenticatorData || clientDataHash
	binding.Set("benchmarkSign", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if priv == nil {
			var err error
			if priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
				return err.Error()
			}
		}
		n := 1
		if len(args) > 0 && args[0].Type() == js.TypeNumber {
			n = min(max(args[0].Int(), 1), 10000)
		}
		for i := range n {
			message[0] = byte(i) // a new message each time, as assertions are
			if _, err := keys.Sign(priv, message); err != nil {
				return err.Error()
			}
		}
		return nil
	}))
}
