// Command extdist finishes dist/extension for scripts/build-extension.sh:
//
//	extdist manifest -src manifest.json -root dist/extension   writes root/manifest.json, leaving out what is not built
//	extdist zip -root dist/extension -out dist/twinkey-extension.zip
//
// The repository's manifest.json names every part of the extension; parts owned by others may not be built yet
// (content scripts, the UI pages). Chrome refuses to load an extension whose manifest names a missing file, so
// the dist manifest drops references to files absent under root, and says which on stderr.
package main

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: extdist manifest|zip [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "manifest":
		fl := flag.NewFlagSet("manifest", flag.ExitOnError)
		src := fl.String("src", "manifest.json", "source manifest")
		root := fl.String("root", "dist/extension", "assembled extension directory")
		fl.Parse(os.Args[2:])
		err = writeManifest(*src, *root, os.Stderr)
	case "zip":
		fl := flag.NewFlagSet("zip", flag.ExitOnError)
		root := fl.String("root", "dist/extension", "assembled extension directory")
		out := fl.String("out", "dist/twinkey-extension.zip", "zip file to write")
		fl.Parse(os.Args[2:])
		err = writeZip(*root, *out)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "extdist:", err)
		os.Exit(1)
	}
}

func writeManifest(src, root string, warn io.Writer) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("read manifest: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("parse %s: %w", src, err)
	}
	exists := func(rel string) bool {
		_, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
		return err == nil
	}
	for _, dropped := range pruneMissing(m, exists) {
		fmt.Fprintf(warn, "extdist: not built, left out of the manifest: %s\n", dropped)
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	return os.WriteFile(filepath.Join(root, "manifest.json"), append(out, '\n'), 0o644)
}

// pruneMissing removes from manifest m every reference to a file for which exists is false, and answers what it
// removed. It handles the keys this project uses: content_scripts[].js/css, action.default_popup,
// action.default_icon, icons, options_ui.page, options_page, background.service_worker (which must exist).
func pruneMissing(m map[string]any, exists func(string) bool) []string {
	var dropped []string
	keepFiles := func(list any) []any {
		files, _ := list.([]any)
		var kept []any
		for _, f := range files {
			if s, ok := f.(string); ok && exists(s) {
				kept = append(kept, f)
			} else {
				dropped = append(dropped, fmt.Sprint(f))
			}
		}
		return kept
	}
	if scripts, ok := m["content_scripts"].([]any); ok {
		var kept []any
		for _, entry := range scripts {
			e, ok := entry.(map[string]any)
			if !ok {
				continue
			}
			for _, k := range []string{"js", "css"} {
				if _, has := e[k]; has {
					if files := keepFiles(e[k]); len(files) > 0 {
						e[k] = files
					} else {
						delete(e, k)
					}
				}
			}
			if e["js"] != nil || e["css"] != nil {
				kept = append(kept, e)
			}
		}
		if len(kept) > 0 {
			m["content_scripts"] = kept
		} else {
			delete(m, "content_scripts")
		}
	}
	dropPage := func(obj map[string]any, key string) {
		if p, ok := obj[key].(string); ok && !exists(p) {
			delete(obj, key)
			dropped = append(dropped, p)
		}
	}
	dropIcons := func(obj map[string]any, key string) {
		icons, ok := obj[key].(map[string]any)
		if !ok {
			return
		}
		for size, p := range icons {
			if s, ok := p.(string); !ok || !exists(s) {
				delete(icons, size)
				dropped = append(dropped, fmt.Sprint(p))
			}
		}
		if len(icons) == 0 {
			delete(obj, key)
		}
	}
	if action, ok := m["action"].(map[string]any); ok {
		dropPage(action, "default_popup")
		dropIcons(action, "default_icon")
	}
	dropIcons(m, "icons")
	if opts, ok := m["options_ui"].(map[string]any); ok {
		if p, ok := opts["page"].(string); ok && !exists(p) {
			delete(m, "options_ui")
			dropped = append(dropped, p)
		}
	}
	dropPage(m, "options_page")
	sort.Strings(dropped)
	return dropped
}

// writeZip packs root into out with forward-slash paths, files in lexical order.
func writeZip(root, out string) error {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk %s: %w", root, err)
	}
	if len(files) == 0 {
		return errors.New("nothing to zip")
	}
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("create zip: %w", err)
	}
	zw := zip.NewWriter(f)
	for _, path := range files {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		w, err := zw.Create(strings.ReplaceAll(rel, string(filepath.Separator), "/"))
		if err != nil {
			return fmt.Errorf("zip %s: %w", rel, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", rel, err)
		}
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("zip %s: %w", rel, err)
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("finish zip: %w", err)
	}
	return f.Close()
}
