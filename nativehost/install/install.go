// Package install writes and removes the native messaging host manifest where Chromium-family browsers look for
// it (PROTOCOLS.md §7.2, §7.3): a JSON file per browser on Linux and macOS; on Windows a JSON file next to the
// binary plus a registry key per browser (HKCU, so no administrator rights are needed).
package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
)

// Browser is a Chromium-family browser.
type Browser string

// Supported browsers.
const (
	Chrome   Browser = "chrome"
	Chromium Browser = "chromium"
	Edge     Browser = "edge"
	Brave    Browser = "brave"
)

// AllBrowsers lists every supported browser.
var AllBrowsers = []Browser{Chrome, Chromium, Edge, Brave}

// ParseBrowsers turns a --browser value into browsers; "all" or "" means all of them.
func ParseBrowsers(s string) ([]Browser, error) {
	if s == "" || s == "all" {
		return AllBrowsers, nil
	}
	if !slices.Contains(AllBrowsers, Browser(s)) {
		return nil, fmt.Errorf("install: unknown browser %q (chrome, chromium, edge, brave, all)", s)
	}
	return []Browser{Browser(s)}, nil
}

// Manifest is the host manifest (§7.2).
type Manifest struct {
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Path           string   `json:"path"`
	Type           string   `json:"type"`
	AllowedOrigins []string `json:"allowed_origins"`
}

var (
	hostNameRE    = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)
	extensionIDRE = regexp.MustCompile(`^[a-p]{32}$`)
)

// ValidExtensionID reports whether id looks like a Chrome extension ID (32 letters a–p, §7.4).
func ValidExtensionID(id string) bool { return extensionIDRE.MatchString(id) }

// Origin is the allowed_origins entry for an extension ID.
func Origin(extensionID string) string { return "chrome-extension://" + extensionID + "/" }

// Options say what to install and where.
type Options struct {
	Name         string    // host name, e.g. com.twinkey.host
	Description  string    // manifest description
	HostPath     string    // absolute path of the host binary
	ExtensionIDs []string  // allowed extensions
	Browsers     []Browser // which browsers
	UserDataDir  string    // if set: only DIR/NativeMessagingHosts (a browser started with --user-data-dir=DIR)
	Home         string    // the user's home directory
	GOOS         string    // target OS layout ("linux", "darwin", "windows")
	Registry     Registry  // Windows registry access; nil elsewhere
}

// Registry is the part of the Windows registry the installer uses (HKCU default values).
type Registry interface {
	SetDefault(key, value string) error
	Delete(key string) error
	GetDefault(key string) (string, error)
}

// Target is one place a manifest is written: a file, and on Windows also a registry key pointing at it.
type Target struct {
	Browser     Browser
	File        string
	RegistryKey string // Windows only
}

// userDirs maps each browser to its per-user NativeMessagingHosts directory, relative to home (§7.3).
var userDirs = map[string]map[Browser]string{
	"linux": {
		Chrome:   ".config/google-chrome/NativeMessagingHosts",
		Chromium: ".config/chromium/NativeMessagingHosts",
		Edge:     ".config/microsoft-edge/NativeMessagingHosts",
		Brave:    ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
	},
	"darwin": {
		Chrome:   "Library/Application Support/Google/Chrome/NativeMessagingHosts",
		Chromium: "Library/Application Support/Chromium/NativeMessagingHosts",
		Edge:     "Library/Application Support/Microsoft Edge/NativeMessagingHosts",
		Brave:    "Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
	},
}

// registryKeys are the HKCU keys Chromium-family browsers read on Windows (§7.3).
var registryKeys = map[Browser]string{
	Chrome:   `Software\Google\Chrome\NativeMessagingHosts\`,
	Chromium: `Software\Chromium\NativeMessagingHosts\`,
	Edge:     `Software\Microsoft\Edge\NativeMessagingHosts\`,
	Brave:    `Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\`,
}

// Targets lists where the manifest goes for opts.
func Targets(opts Options) ([]Target, error) {
	file := opts.Name + ".json"
	if opts.UserDataDir != "" {
		return []Target{{File: filepath.Join(opts.UserDataDir, "NativeMessagingHosts", file)}}, nil
	}
	var out []Target
	for _, b := range opts.Browsers {
		switch opts.GOOS {
		case "windows":
			// One manifest next to the binary; each browser's registry key points at it (Chrome requires an
			// absolute path in the registry value).
			out = append(out, Target{Browser: b, File: filepath.Join(filepath.Dir(opts.HostPath), file),
				RegistryKey: registryKeys[b] + opts.Name})
		case "linux", "darwin":
			if opts.Home == "" {
				return nil, errors.New("install: no home directory")
			}
			out = append(out, Target{Browser: b, File: filepath.Join(opts.Home, filepath.FromSlash(userDirs[opts.GOOS][b]), file)})
		default:
			return nil, fmt.Errorf("install: unsupported OS %q", opts.GOOS)
		}
	}
	return out, nil
}

// BuildManifest validates opts and returns the manifest JSON.
func BuildManifest(opts Options) ([]byte, error) {
	if !hostNameRE.MatchString(opts.Name) {
		return nil, fmt.Errorf("install: invalid host name %q", opts.Name)
	}
	if !filepath.IsAbs(opts.HostPath) {
		return nil, fmt.Errorf("install: host path %q is not absolute", opts.HostPath)
	}
	if len(opts.ExtensionIDs) == 0 {
		return nil, errors.New("install: no extension ID to allow")
	}
	m := Manifest{Name: opts.Name, Description: opts.Description, Path: opts.HostPath, Type: "stdio"}
	for _, id := range opts.ExtensionIDs {
		if !ValidExtensionID(id) {
			return nil, fmt.Errorf("install: invalid extension ID %q", id)
		}
		m.AllowedOrigins = append(m.AllowedOrigins, Origin(id))
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Install writes the manifest to every target and returns them.
func Install(opts Options) ([]Target, error) {
	manifest, err := BuildManifest(opts)
	if err != nil {
		return nil, err
	}
	targets, err := Targets(opts)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if err := os.MkdirAll(filepath.Dir(t.File), 0o755); err != nil {
			return nil, fmt.Errorf("install: %w", err)
		}
		if err := os.WriteFile(t.File, manifest, 0o644); err != nil {
			return nil, fmt.Errorf("install: %w", err)
		}
		if t.RegistryKey != "" {
			if opts.Registry == nil {
				return nil, errors.New("install: registry unavailable")
			}
			if err := opts.Registry.SetDefault(t.RegistryKey, t.File); err != nil {
				return nil, fmt.Errorf("install: registry %s: %w", t.RegistryKey, err)
			}
		}
	}
	return targets, nil
}

// Uninstall removes the manifests (and registry keys) Install would write; missing ones are not an error.
func Uninstall(opts Options) ([]Target, error) {
	targets, err := Targets(opts)
	if err != nil {
		return nil, err
	}
	var removed []Target
	for _, t := range targets {
		gone := false
		if err := os.Remove(t.File); err == nil {
			gone = true
		} else if !errors.Is(err, os.ErrNotExist) {
			return removed, fmt.Errorf("uninstall: %w", err)
		}
		if t.RegistryKey != "" && opts.Registry != nil {
			if err := opts.Registry.Delete(t.RegistryKey); err == nil {
				gone = true
			}
		}
		if gone {
			removed = append(removed, t)
		}
	}
	return removed, nil
}

// Check is the state of one target, for `twinkey-host doctor`.
type Check struct {
	Target
	Installed bool   // the manifest file exists (and the registry key points at it, on Windows)
	Problem   string // why it would not work, "" if fine
}

// Status inspects each target: present, pointing at this binary, allowing our extensions.
func Status(opts Options) ([]Check, error) {
	targets, err := Targets(opts)
	if err != nil {
		return nil, err
	}
	want, err := BuildManifest(opts)
	if err != nil {
		return nil, err
	}
	var checks []Check
	for _, t := range targets {
		c := Check{Target: t}
		data, err := os.ReadFile(t.File)
		switch {
		case errors.Is(err, os.ErrNotExist):
			c.Problem = "not installed"
		case err != nil:
			c.Problem = err.Error()
		case !bytes.Equal(data, want):
			var m Manifest
			if json.Unmarshal(data, &m) != nil {
				c.Problem = "manifest is not valid JSON"
			} else if m.Path != opts.HostPath {
				c.Problem = fmt.Sprintf("manifest points at %s, not this binary", m.Path)
			} else {
				c.Problem = "manifest differs (allowed_origins?): run install again"
			}
		default:
			c.Installed = true
		}
		if c.Installed && t.RegistryKey != "" {
			if opts.Registry == nil {
				c.Installed, c.Problem = false, "registry unavailable"
			} else if v, err := opts.Registry.GetDefault(t.RegistryKey); err != nil || v != t.File {
				c.Installed, c.Problem = false, "registry key missing or pointing elsewhere"
			}
		}
		checks = append(checks, c)
	}
	return checks, nil
}
