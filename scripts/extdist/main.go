// Command extdist checks and finishes dist/extension for scripts/build-extension.sh:
//
//	extdist check -src manifest.json -root dist/extension [-will-build a,b]   every referenced file exists
//	extdist manifest -src manifest.json -root dist/extension                  check, then copy the manifest in
//	extdist zip -root dist/extension -out dist/twinkey-extension.zip
//
// Chrome refuses to load an extension whose manifest names a missing file, and a page or module that references
// a missing file breaks when it runs. Both are build errors here: check and manifest fail, naming every missing
// file and what references it. -will-build names files the build writes later (the wasm binaries and their glue),
// so that check can run before the slow steps.
package main

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: extdist check|manifest|zip [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "check":
		fl := flag.NewFlagSet("check", flag.ExitOnError)
		src := fl.String("src", "manifest.json", "source manifest")
		root := fl.String("root", "dist/extension", "assembled extension directory")
		willBuild := fl.String("will-build", "", "comma-separated files (relative to root) the build writes later")
		fl.Parse(os.Args[2:])
		var later []string
		if *willBuild != "" {
			later = strings.Split(*willBuild, ",")
		}
		err = check(*src, *root, later)
	case "manifest":
		fl := flag.NewFlagSet("manifest", flag.ExitOnError)
		src := fl.String("src", "manifest.json", "source manifest")
		root := fl.String("root", "dist/extension", "assembled extension directory")
		fl.Parse(os.Args[2:])
		err = writeManifest(*src, *root)
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

// MissingError lists the files that something in the extension references and the build did not produce.
type MissingError struct {
	Missing []Reference
}

func (e *MissingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d referenced file(s) missing from the extension:", len(e.Missing))
	for _, r := range e.Missing {
		fmt.Fprintf(&b, "\n  %s (referenced by %s)", r.File, r.From)
	}
	return b.String()
}

// Reference is one file that the extension needs: File relative to the extension root, with forward slashes;
// From says where it is named ("manifest.json content_scripts[0].js", "ui/popup.html").
type Reference struct {
	File, From string
}

// check reads the manifest at src and fails with a *MissingError unless every file it references, and every
// file that the pages and modules under root reference, exists under root or is named in later.
func check(src, root string, later []string) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("read manifest: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("parse %s: %w", src, err)
	}
	refs := manifestReferences(m)
	pageRefs, err := pageReferences(os.DirFS(root))
	if err != nil {
		return err
	}
	refs = append(refs, pageRefs...)
	planned := map[string]bool{}
	for _, f := range later {
		planned[path.Clean(f)] = true
	}
	exists := func(rel string) bool {
		if planned[rel] {
			return true
		}
		st, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
		return err == nil && st.Mode().IsRegular()
	}
	return missing(refs, exists)
}

// missing answers a *MissingError naming every reference for which exists is false, or nil.
func missing(refs []Reference, exists func(string) bool) error {
	var out []Reference
	for _, r := range refs {
		if !exists(r.File) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].From < out[j].From
	})
	return &MissingError{Missing: out}
}

// writeManifest checks the assembled extension against the manifest, then copies the manifest to
// root/manifest.json unchanged.
func writeManifest(src, root string) error {
	if err := check(src, root, nil); err != nil {
		return err
	}
	raw, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("read manifest: %w", err)
	}
	return os.WriteFile(filepath.Join(root, "manifest.json"), raw, 0o644)
}

// manifestReferences lists the files manifest m names (Chrome extension manifest V3 keys): background.service_worker,
// content_scripts[].js and .css, action.default_popup and .default_icon, icons, options_ui.page, options_page,
// side_panel.default_path, devtools_page, chrome_url_overrides.*, and web_accessible_resources[].resources
// (entries without a wildcard).
func manifestReferences(m map[string]any) []Reference {
	var refs []Reference
	add := func(v any, from string) {
		if s, ok := v.(string); ok && s != "" {
			refs = append(refs, Reference{File: path.Clean(strings.TrimPrefix(s, "/")), From: "manifest.json " + from})
		}
	}
	addList := func(v any, from string) {
		list, _ := v.([]any)
		for i, f := range list {
			add(f, fmt.Sprintf("%s[%d]", from, i))
		}
	}
	addIcons := func(v any, from string) {
		switch icons := v.(type) {
		case string:
			add(icons, from)
		case map[string]any:
			sizes := make([]string, 0, len(icons))
			for size := range icons {
				sizes = append(sizes, size)
			}
			sort.Strings(sizes)
			for _, size := range sizes {
				add(icons[size], from+"."+size)
			}
		}
	}
	obj := func(v any) map[string]any { o, _ := v.(map[string]any); return o }

	add(obj(m["background"])["service_worker"], "background.service_worker")
	if scripts, ok := m["content_scripts"].([]any); ok {
		for i, entry := range scripts {
			e := obj(entry)
			addList(e["js"], fmt.Sprintf("content_scripts[%d].js", i))
			addList(e["css"], fmt.Sprintf("content_scripts[%d].css", i))
		}
	}
	action := obj(m["action"])
	add(action["default_popup"], "action.default_popup")
	addIcons(action["default_icon"], "action.default_icon")
	addIcons(m["icons"], "icons")
	add(obj(m["options_ui"])["page"], "options_ui.page")
	add(m["options_page"], "options_page")
	add(obj(m["side_panel"])["default_path"], "side_panel.default_path")
	add(m["devtools_page"], "devtools_page")
	for k, v := range obj(m["chrome_url_overrides"]) {
		add(v, "chrome_url_overrides."+k)
	}
	if war, ok := m["web_accessible_resources"].([]any); ok {
		for i, entry := range war {
			list, _ := obj(entry)["resources"].([]any)
			for j, r := range list {
				if s, ok := r.(string); ok && !strings.Contains(s, "*") {
					add(s, fmt.Sprintf("web_accessible_resources[%d].resources[%d]", i, j))
				}
			}
		}
	}
	return refs
}

var (
	// htmlRef matches src= and href= attributes (quoted) in HTML.
	htmlRef = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["']([^"']+)["']`)
	// jsImport matches the module specifier of static import and export-from declarations, and of side-effect
	// imports (ECMAScript 2024 §16.2.2, §16.2.3), when it is a relative URL.
	jsImport = regexp.MustCompile(`(?m)^\s*(?:import|export)\b(?:[^;'"]*?\bfrom)?\s*["'](\.{1,2}/[^"']+)["']`)
)

// pageReferences lists the local files that the HTML pages (src, href) and JavaScript modules (relative static
// imports) under fsys reference, resolved against the referencing file's directory; a leading "/" is the
// extension root. URLs with a scheme, fragments and query strings name no file of the extension.
func pageReferences(fsys fs.FS) ([]Reference, error) {
	var refs []Reference
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		var re *regexp.Regexp
		switch path.Ext(p) {
		case ".html", ".htm":
			re = htmlRef
		case ".js", ".mjs":
			re = jsImport
		default:
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllSubmatch(data, -1) {
			if f, ok := localFile(path.Dir(p), string(m[1])); ok {
				refs = append(refs, Reference{File: f, From: p})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pages: %w", err)
	}
	return refs, nil
}

// localFile resolves ref, found in a file in directory dir, to a path below the extension root; ok is false when
// ref names no file of the extension (a URL with a scheme, "//host", a fragment, an empty reference).
func localFile(dir, ref string) (string, bool) {
	if i := strings.IndexAny(ref, "?#"); i >= 0 {
		ref = ref[:i]
	}
	if ref == "" || strings.HasPrefix(ref, "//") || strings.Contains(ref, ":") {
		return "", false
	}
	if strings.HasPrefix(ref, "/") {
		return path.Clean(ref[1:]), true
	}
	return path.Join(dir, ref), true
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
