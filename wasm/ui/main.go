//go:build js && wasm

// Command ui is the one WebAssembly program behind every Twinkey extension page (onboarding, unlock, popup,
// settings). Each page is an HTML shell in extension/ui/ that loads wasm_exec.js and loader.js, which runs this
// program; the program reads location.pathname to know which page it renders into <main id="app">.
//
// The pages talk only to the service worker, through internal/backend (extension/MESSAGES.md §3). The element
// IDs each page guarantees for tests are listed at the top of its file.
//
// Build: GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o ui.wasm ./wasm/ui (scripts/build-ui.sh).
package main

import (
	"strings"

	"github.com/twinkey/twinkey/wasm/ui/internal/backend"
	"github.com/twinkey/twinkey/wasm/ui/internal/view"
)

// page is what every page's renderer gets.
type page struct {
	doc    view.Doc
	client *backend.Client
}

func main() {
	doc := view.Current()
	name := pageName(doc.Window().Location().Value.Get("pathname").String())
	client, err := backend.New()
	if err != nil {
		showFatal(doc, "This page only works inside the Twinkey extension.")
		select {}
	}
	p := page{doc: doc, client: client}
	switch name {
	case "onboarding":
		go runOnboarding(p)
	case "unlock":
		go runUnlock(p)
	case "popup":
		go runPopup(p)
	case "settings":
		go runSettings(p)
	default:
		showFatal(doc, "Unknown Twinkey page.")
	}
	select {} // keep the program alive: event handlers call back into it
}

// pageName maps "/ui/settings.html" (or "/settings.html") to "settings".
func pageName(pathname string) string {
	base := pathname[strings.LastIndexByte(pathname, '/')+1:]
	return strings.TrimSuffix(base, ".html")
}

// showFatal replaces the page with one message (#fatal).
func showFatal(doc view.Doc, text string) {
	doc.Show("Error", "", doc.E("h1", "Twinkey"), doc.E("p", view.ID("fatal"), view.Class("message error"),
		view.A("role", "alert"), text))
}
