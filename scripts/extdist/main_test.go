package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestPruneMissingRealManifest runs the repository's manifest.json through pruneMissing with only some files
// present, and checks that what Chrome would refuse to load is gone and the rest is untouched.
func TestPruneMissingRealManifest(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{
		"sw/sw.js": true, "content/relay.js": true, "icons/icon16.png": true, "icons/icon128.png": true,
		"ui/settings.html": true,
	}
	dropped := pruneMissing(m, func(p string) bool { return present[p] })

	scripts := m["content_scripts"].([]any)
	if len(scripts) != 1 {
		t.Fatalf("content_scripts = %v, want only the relay entry", scripts)
	}
	if js := scripts[0].(map[string]any)["js"]; !reflect.DeepEqual(js, []any{"content/relay.js"}) {
		t.Errorf("js = %v", js)
	}
	action := m["action"].(map[string]any)
	if _, has := action["default_popup"]; has {
		t.Error("default_popup kept although ui/popup.html is missing")
	}
	if icons := action["default_icon"].(map[string]any); len(icons) != 1 || icons["16"] != "icons/icon16.png" {
		t.Errorf("action.default_icon = %v", icons)
	}
	if icons := m["icons"].(map[string]any); len(icons) != 2 {
		t.Errorf("icons = %v", icons)
	}
	if m["options_ui"] == nil {
		t.Error("options_ui dropped although ui/settings.html exists")
	}
	if m["key"] == nil || m["background"] == nil || m["content_security_policy"] == nil {
		t.Error("pruneMissing touched keys that name no file")
	}
	wantDropped := []string{"content/main-world.js", "icons/icon32.png", "icons/icon32.png", "icons/icon48.png", "ui/popup.html"}
	if !reflect.DeepEqual(dropped, wantDropped) {
		t.Errorf("dropped = %v, want %v", dropped, wantDropped)
	}
}

func TestPruneMissingEverythingPresent(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m, orig map[string]any
	json.Unmarshal(raw, &m)
	json.Unmarshal(raw, &orig)
	if dropped := pruneMissing(m, func(string) bool { return true }); len(dropped) != 0 {
		t.Errorf("dropped %v with every file present", dropped)
	}
	if !reflect.DeepEqual(m, orig) {
		t.Error("manifest changed with every file present")
	}
}

// TestExtensionIDMatchesKey checks extension/EXTENSION_ID against the manifest's "key": the ID is the first 16
// bytes of SHA-256 over the DER public key, hex digits mapped 0-f to a-p (PROTOCOLS.md §7.4).
func TestExtensionIDMatchesKey(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Key string }
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(m.Key)
	if err != nil {
		t.Fatalf("manifest key is not base64: %v", err)
	}
	if _, err := x509.ParsePKIXPublicKey(der); err != nil {
		t.Fatalf("manifest key is not a DER SubjectPublicKeyInfo: %v", err)
	}
	sum := sha256.Sum256(der)
	var id strings.Builder
	for _, b := range sum[:16] {
		id.WriteByte('a' + b>>4)
		id.WriteByte('a' + b&15)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "extension", "EXTENSION_ID"))
	if err != nil {
		t.Fatal(err)
	}
	if got := id.String(); got != strings.TrimSpace(string(want)) {
		t.Errorf("ID from the manifest key = %s, extension/EXTENSION_ID = %s", got, want)
	}
}
