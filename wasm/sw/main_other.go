//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main exists so that the package builds (and its portable parts are tested) natively: the program itself only
// runs inside the extension's service worker.
func main() {
	fmt.Fprintln(os.Stderr, "wasm/sw runs in the extension's service worker: build it with GOOS=js GOARCH=wasm")
	os.Exit(2)
}
