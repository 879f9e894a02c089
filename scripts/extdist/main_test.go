package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// repoManifest is the repository's manifest.json.
func repoManifest(t *testing.T) (string, map[string]any) {
	t.Helper()
	src := filepath.Join("..", "..", "manifest.json")
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return src, m
}

// assemble writes an extension tree under a temporary root: an empty file for every file the repository's
// manifest references except those in skip, plus extra files (path -> content).
func assemble(t *testing.T, skip []string, extra map[string]string) (src, root string) {
	t.Helper()
	src, m := repoManifest(t)
	root = t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	skipped := map[string]bool{}
	for _, s := range skip {
		skipped[s] = true
	}
	for _, r := range manifestReferences(m) {
		if !skipped[r.File] {
			write(r.File, "")
		}
	}
	for rel, content := range extra {
		write(rel, content)
	}
	return src, root
}

// TestCheckFailsNamingMissingContentScript: a build that lost main-world.js fails, and the error names the file
// and the manifest entry that references it.
func TestCheckFailsNamingMissingContentScript(t *testing.T) {
	src, root := assemble(t, []string{"content/main-world.js"}, nil)
	err := check(src, root, nil)
	var me *MissingError
	if !errors.As(err, &me) {
		t.Fatalf("check = %v, want a *MissingError", err)
	}
	want := []Reference{{File: "content/main-world.js", From: "manifest.json content_scripts[0].js[0]"}}
	if !reflect.DeepEqual(me.Missing, want) {
		t.Errorf("missing = %+v, want %+v", me.Missing, want)
	}
	if !strings.Contains(err.Error(), "content/main-world.js") {
		t.Errorf("error %q does not name content/main-world.js", err)
	}
	// writeManifest refuses too, and writes no manifest.
	if err := writeManifest(src, root); err == nil {
		t.Fatal("writeManifest succeeded with content/main-world.js missing")
	}
	if _, err := os.Stat(filepath.Join(root, "manifest.json")); err == nil {
		t.Error("writeManifest wrote manifest.json although a referenced file is missing")
	}
}

// TestCheckNamesEveryManifestKey removes every file the manifest names and expects each in the error.
func TestCheckNamesEveryManifestKey(t *testing.T) {
	src, m := repoManifest(t)
	refs := manifestReferences(m)
	var files []string
	for _, r := range refs {
		files = append(files, r.File)
	}
	for _, want := range []string{"sw/sw.js", "content/main-world.js", "content/relay.js", "ui/popup.html",
		"ui/settings.html", "icons/icon16.png", "icons/icon128.png"} {
		found := false
		for _, f := range files {
			found = found || f == want
		}
		if !found {
			t.Errorf("manifestReferences misses %s (got %v)", want, files)
		}
	}
	err := check(src, t.TempDir(), nil)
	var me *MissingError
	if !errors.As(err, &me) || len(me.Missing) != len(refs) {
		t.Fatalf("check on an empty root = %v, want all %d references missing", err, len(refs))
	}
}

func TestCheckEverythingPresent(t *testing.T) {
	src, root := assemble(t, nil, map[string]string{
		"ui/popup.html":  `<link rel="stylesheet" href="ui.css"><script src="loader.js" defer></script>`,
		"ui/ui.css":      "",
		"ui/loader.js":   `fetch("ui.wasm")`,
		"sw/sw.js":       "import { a } from './a.js';\nimport {\n  b,\n} from \"./b.js\";\nimport './build/glue.js';",
		"sw/a.js":        "",
		"sw/b.js":        "export * from '../shared/c.js';",
		"shared/c.js":    "",
		"consent/x.html": `<a href="https://example.com/">x</a><a href="#top">top</a><img src="data:image/png;base64,AA"><script src="/shared/c.js?v=1"></script>`,
	})
	if err := check(src, root, []string{"sw/build/glue.js"}); err != nil {
		t.Fatalf("check: %v", err)
	}
	if err := writeManifest(src, root); err == nil {
		t.Fatal("writeManifest passed although sw/build/glue.js, planned for later, is missing")
	}
	os.MkdirAll(filepath.Join(root, "sw", "build"), 0o755)
	os.WriteFile(filepath.Join(root, "sw", "build", "glue.js"), nil, 0o644)
	if err := writeManifest(src, root); err != nil {
		t.Fatalf("writeManifest: %v", err)
	}
	got, _ := os.ReadFile(filepath.Join(root, "manifest.json"))
	want, _ := os.ReadFile(src)
	if !bytes.Equal(got, want) {
		t.Error("dist manifest.json differs from the source manifest")
	}
}

// TestCheckFailsNamingMissingPageFiles: files that a page or a module references are checked like the manifest's.
func TestCheckFailsNamingMissingPageFiles(t *testing.T) {
	src, root := assemble(t, nil, map[string]string{
		"ui/popup.html": `<link rel="stylesheet" href="ui.css"><script src="wasm_exec.js" defer></script>`,
		"ui/ui.css":     "",
		"sw/sw.js":      "// import nothing from './comment.js'\nimport { RequestRouter } from './requests.js';\n",
	})
	err := check(src, root, nil)
	var me *MissingError
	if !errors.As(err, &me) {
		t.Fatalf("check = %v, want a *MissingError", err)
	}
	want := []Reference{{File: "sw/requests.js", From: "sw/sw.js"}, {File: "ui/wasm_exec.js", From: "ui/popup.html"}}
	if !reflect.DeepEqual(me.Missing, want) {
		t.Errorf("missing = %+v, want %+v", me.Missing, want)
	}
}

// TestCheckRealPages runs the check over the repository's own pages (extension/ui, extension/consent) laid out as
// build-extension.sh lays them out, with the generated files planned: they reference nothing else.
func TestCheckRealPages(t *testing.T) {
	extra := map[string]string{}
	for dir, out := range map[string]string{"ui": "ui", "consent": "consent", "content": "content", "sw": "sw"} {
		entries, err := os.ReadDir(filepath.Join("..", "..", "extension", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); ext == ".html" || ext == ".js" || ext == ".css" {
				b, err := os.ReadFile(filepath.Join("..", "..", "extension", dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				extra[out+"/"+e.Name()] = string(b)
			}
		}
	}
	src, root := assemble(t, nil, extra)
	generated := []string{"ui/wasm_exec.js", "ui/ui.wasm", "sw/build/app.wasm", "sw/build/wasm_exec.js",
		"sw/build/runtime.mjs", "sw/build/worker.mjs"}
	if err := check(src, root, generated); err != nil {
		t.Fatalf("check over the repository's pages: %v", err)
	}
}

// TestExtensionIDMatchesKey checks extension/EXTENSION_ID against the manifest's "key": the ID is the first 16
// bytes of SHA-256 over the DER public key, hex digits mapped 0-f to a-p
// (Chromium components/crx_file/id_util.cc, GenerateId; Chrome extension manifest reference, "key").
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
