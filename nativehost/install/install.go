// Package install writes, removes and checks the native messaging host manifest where Chromium-family browsers
// look for it: a `<name>.json` file in each browser's NativeMessagingHosts directory on Linux and macOS (per user,
// or system-wide with Options.System); on Windows one manifest file per browser next to the binary, named by
// the browser's registry key (HKCU, or HKLM with Options.System).
//
// Every location below cites where it is documented. Chromium reads user-level hosts from
// `<user data dir>/NativeMessagingHosts` on Linux and macOS (Chrome for Developers, "Native messaging", section
// "Native messaging host location"), so a channel's user-level directory follows from its user data directory
// (Chromium docs/user_data_dir.md, "Default location").
package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Browser names one browser and channel, e.g. "chrome", "chrome-beta", "edge-dev", "chromium-snap".
type Browser string

// Manifest is the host manifest (Chrome for Developers, "Native messaging", "Native messaging host").
type Manifest struct {
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Path           string   `json:"path"`
	Type           string   `json:"type"`
	AllowedOrigins []string `json:"allowed_origins"`
}

// location is where one browser looks on one OS. Paths use "/" and are relative to the user's home (user) or
// absolute (system); "" means none is documented. present lists paths (same convention; "~/" for the home)
// whose existence shows the browser is installed for this scope.
type location struct {
	browser       Browser
	user, system  string
	registry      string // Windows: key under HKCU/HKLM, without the host name
	presentUser   []string
	presentSystem []string
}

// Sources of the locations below, named in the comment before each entry:
//   - srcChromeNM: Chrome for Developers, "Native messaging", "Native messaging host location";
//   - srcUserDataDir: Chromium docs/user_data_dir.md, "Default location";
//   - srcEdgeNM: Microsoft Edge docs, "Native messaging", "Step 3 - Copy the native messaging host manifest file to
//     your system".

// locations per OS. The source of each path is in the comment before its entry.
var locations = map[string][]location{
	"linux": {
		// srcChromeNM: ~/.config/google-chrome/NativeMessagingHosts, /etc/opt/chrome/native-messaging-hosts.
		{browser: "chrome", user: ".config/google-chrome/NativeMessagingHosts", system: "/etc/opt/chrome/native-messaging-hosts",
			presentUser: []string{"~/.config/google-chrome"}, presentSystem: []string{"/opt/google/chrome"}},
		// srcUserDataDir: Chrome Beta ~/.config/google-chrome-beta; system-wide hosts are shared by all Chrome
		// channels (srcChromeNM, /etc/opt/chrome/native-messaging-hosts).
		{browser: "chrome-beta", user: ".config/google-chrome-beta/NativeMessagingHosts",
			presentUser: []string{"~/.config/google-chrome-beta"}},
		// srcUserDataDir: Chrome Dev (the "unstable" channel) ~/.config/google-chrome-unstable.
		{browser: "chrome-dev", user: ".config/google-chrome-unstable/NativeMessagingHosts",
			presentUser: []string{"~/.config/google-chrome-unstable"}},
		// srcChromeNM: ~/.config/chromium/NativeMessagingHosts, /etc/chromium/native-messaging-hosts.
		{browser: "chromium", user: ".config/chromium/NativeMessagingHosts", system: "/etc/chromium/native-messaging-hosts",
			presentUser: []string{"~/.config/chromium"}, presentSystem: []string{"/usr/lib/chromium", "/usr/lib64/chromium", "/usr/lib/chromium-browser"}},
		// srcUserDataDir ($XDG_CONFIG_HOME/chromium) with the snap's $XDG_CONFIG_HOME, which the Chromium snap
		// sets to $SNAP_USER_COMMON = ~/snap/chromium/common (Snapcraft docs, "Environment variables").
		{browser: "chromium-snap", user: "snap/chromium/common/chromium/NativeMessagingHosts",
			presentUser: []string{"~/snap/chromium/common/chromium"}},
		// srcUserDataDir ($XDG_CONFIG_HOME/chromium) with Flatpak's $XDG_CONFIG_HOME = ~/.var/app/<app id>/config
		// (Flatpak docs, "Sandbox Permissions", "Filesystem access"); app id org.chromium.Chromium (Flathub).
		{browser: "chromium-flatpak", user: ".var/app/org.chromium.Chromium/config/chromium/NativeMessagingHosts",
			presentUser: []string{"~/.var/app/org.chromium.Chromium"}},
		// srcEdgeNM: ~/.config/microsoft-edge/NativeMessagingHosts, /etc/opt/edge/native-messaging-hosts.
		{browser: "edge", user: ".config/microsoft-edge/NativeMessagingHosts", system: "/etc/opt/edge/native-messaging-hosts",
			presentUser: []string{"~/.config/microsoft-edge"}, presentSystem: []string{"/opt/microsoft/msedge"}},
		// srcEdgeNM: ~/.config/microsoft-edge-beta/NativeMessagingHosts.
		{browser: "edge-beta", user: ".config/microsoft-edge-beta/NativeMessagingHosts",
			presentUser: []string{"~/.config/microsoft-edge-beta"}},
		// srcEdgeNM: ~/.config/microsoft-edge-dev/NativeMessagingHosts.
		{browser: "edge-dev", user: ".config/microsoft-edge-dev/NativeMessagingHosts",
			presentUser: []string{"~/.config/microsoft-edge-dev"}},
		// Brave's user data dir as brave://version reports it ("Profile Path", without the profile folder):
		// ~/.config/BraveSoftware/Brave-Browser[-Beta|-Nightly], with srcChromeNM's rule.
		{browser: "brave", user: ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
			presentUser: []string{"~/.config/BraveSoftware/Brave-Browser"}},
		{browser: "brave-beta", user: ".config/BraveSoftware/Brave-Browser-Beta/NativeMessagingHosts",
			presentUser: []string{"~/.config/BraveSoftware/Brave-Browser-Beta"}},
		{browser: "brave-nightly", user: ".config/BraveSoftware/Brave-Browser-Nightly/NativeMessagingHosts",
			presentUser: []string{"~/.config/BraveSoftware/Brave-Browser-Nightly"}},
		// Vivaldi's user data dir as vivaldi://about reports it (~/.config/vivaldi), with srcChromeNM's rule.
		{browser: "vivaldi", user: ".config/vivaldi/NativeMessagingHosts", presentUser: []string{"~/.config/vivaldi"}},
		// Opera's user data dir as opera://about reports it (~/.config/opera), with srcChromeNM's rule.
		{browser: "opera", user: ".config/opera/NativeMessagingHosts", presentUser: []string{"~/.config/opera"}},
	},
	"darwin": {
		// srcChromeNM: ~/Library/Application Support/Google/Chrome/NativeMessagingHosts,
		// /Library/Google/Chrome/NativeMessagingHosts (system-wide, shared by all Chrome channels).
		{browser: "chrome", user: "Library/Application Support/Google/Chrome/NativeMessagingHosts",
			system:        "/Library/Google/Chrome/NativeMessagingHosts",
			presentUser:   []string{"~/Library/Application Support/Google/Chrome"},
			presentSystem: []string{"/Applications/Google Chrome.app"}},
		// srcUserDataDir: "Chrome Beta", "Chrome Dev", "Chrome Canary" under ~/Library/Application Support/Google.
		{browser: "chrome-beta", user: "Library/Application Support/Google/Chrome Beta/NativeMessagingHosts",
			presentUser: []string{"~/Library/Application Support/Google/Chrome Beta"}},
		{browser: "chrome-dev", user: "Library/Application Support/Google/Chrome Dev/NativeMessagingHosts",
			presentUser: []string{"~/Library/Application Support/Google/Chrome Dev"}},
		{browser: "chrome-canary", user: "Library/Application Support/Google/Chrome Canary/NativeMessagingHosts",
			presentUser: []string{"~/Library/Application Support/Google/Chrome Canary"}},
		// srcChromeNM: ~/Library/Application Support/Chromium/NativeMessagingHosts,
		// /Library/Application Support/Chromium/NativeMessagingHosts.
		{browser: "chromium", user: "Library/Application Support/Chromium/NativeMessagingHosts",
			system:        "/Library/Application Support/Chromium/NativeMessagingHosts",
			presentUser:   []string{"~/Library/Application Support/Chromium"},
			presentSystem: []string{"/Applications/Chromium.app"}},
		// srcEdgeNM: ~/Library/Application Support/Microsoft Edge[ Beta| Dev| Canary]/NativeMessagingHosts,
		// /Library/Microsoft/Edge/NativeMessagingHosts.
		{browser: "edge", user: "Library/Application Support/Microsoft Edge/NativeMessagingHosts",
			system:        "/Library/Microsoft/Edge/NativeMessagingHosts",
			presentUser:   []string{"~/Library/Application Support/Microsoft Edge"},
			presentSystem: []string{"/Applications/Microsoft Edge.app"}},
		{browser: "edge-beta", user: "Library/Application Support/Microsoft Edge Beta/NativeMessagingHosts",
			presentUser: []string{"~/Library/Application Support/Microsoft Edge Beta"}},
		{browser: "edge-dev", user: "Library/Application Support/Microsoft Edge Dev/NativeMessagingHosts",
			presentUser: []string{"~/Library/Application Support/Microsoft Edge Dev"}},
		{browser: "edge-canary", user: "Library/Application Support/Microsoft Edge Canary/NativeMessagingHosts",
			presentUser: []string{"~/Library/Application Support/Microsoft Edge Canary"}},
		// Brave's user data dir as brave://version reports it, with srcChromeNM's rule.
		{browser: "brave", user: "Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
			presentUser: []string{"~/Library/Application Support/BraveSoftware/Brave-Browser"}},
		// Vivaldi's user data dir as vivaldi://about reports it, with srcChromeNM's rule.
		{browser: "vivaldi", user: "Library/Application Support/Vivaldi/NativeMessagingHosts",
			presentUser: []string{"~/Library/Application Support/Vivaldi"}},
		// Opera's user data dir as opera://about reports it, with srcChromeNM's rule.
		{browser: "opera", user: "Library/Application Support/com.operasoftware.Opera/NativeMessagingHosts",
			presentUser: []string{"~/Library/Application Support/com.operasoftware.Opera"}},
	},
	"windows": {
		// srcChromeNM: HKCU or HKLM \Software\Google\Chrome\NativeMessagingHosts\<name>, read by every Chrome
		// channel; present when a channel's user data dir (srcUserDataDir, %LOCALAPPDATA%\Google\Chrome[ Beta|
		// Dev| SxS]\User Data) exists.
		{browser: "chrome", registry: `Software\Google\Chrome\NativeMessagingHosts`,
			presentUser: []string{"%LOCALAPPDATA%/Google/Chrome/User Data", "%LOCALAPPDATA%/Google/Chrome Beta/User Data",
				"%LOCALAPPDATA%/Google/Chrome Dev/User Data", "%LOCALAPPDATA%/Google/Chrome SxS/User Data"}},
		// srcChromeNM (Chromium builds read \Software\Chromium\NativeMessagingHosts\<name>).
		{browser: "chromium", registry: `Software\Chromium\NativeMessagingHosts`,
			presentUser: []string{"%LOCALAPPDATA%/Chromium/User Data"}},
		// srcEdgeNM: HKCU or HKLM \Software\Microsoft\Edge\NativeMessagingHosts\<name>, all channels.
		{browser: "edge", registry: `Software\Microsoft\Edge\NativeMessagingHosts`,
			presentUser: []string{"%LOCALAPPDATA%/Microsoft/Edge/User Data", "%LOCALAPPDATA%/Microsoft/Edge Beta/User Data",
				"%LOCALAPPDATA%/Microsoft/Edge Dev/User Data", "%LOCALAPPDATA%/Microsoft/Edge SxS/User Data"}},
		// Brave documents no key of its own; it is a Chromium build branded BraveSoftware\Brave-Browser, and
		// Chromium's key is \Software\<branding>\NativeMessagingHosts (srcChromeNM for Chrome and Chromium).
		{browser: "brave", registry: `Software\BraveSoftware\Brave-Browser\NativeMessagingHosts`,
			presentUser: []string{"%LOCALAPPDATA%/BraveSoftware/Brave-Browser/User Data"}},
	},
}

// Browsers lists the browsers the installer knows on goos, in a fixed order.
func Browsers(goos string) []Browser {
	var out []Browser
	for _, l := range locations[goos] {
		out = append(out, l.browser)
	}
	return out
}

func find(goos string, b Browser) (location, bool) {
	for _, l := range locations[goos] {
		if l.browser == b {
			return l, true
		}
	}
	return location{}, false
}

// ParseBrowsers turns a --browser value into browsers: "all" or "" (nil: every browser found on the machine),
// or a comma-separated list of names Browsers(goos) knows.
func ParseBrowsers(s, goos string) ([]Browser, error) {
	if s == "" || s == "all" {
		return nil, nil
	}
	var out []Browser
	for _, name := range strings.Split(s, ",") {
		if _, ok := find(goos, Browser(name)); !ok {
			names := make([]string, 0)
			for _, b := range Browsers(goos) {
				names = append(names, string(b))
			}
			return nil, fmt.Errorf("install: unknown browser %q on %s (%s, all)", name, goos, strings.Join(names, ", "))
		}
		if !slices.Contains(out, Browser(name)) {
			out = append(out, Browser(name))
		}
	}
	return out, nil
}

var (
	hostNameRE    = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)
	extensionIDRE = regexp.MustCompile(`^[a-p]{32}$`)
)

// ValidExtensionID reports whether id looks like a Chrome extension ID (32 letters a–p).
func ValidExtensionID(id string) bool { return extensionIDRE.MatchString(id) }

// Origin is the allowed_origins entry for an extension ID.
func Origin(extensionID string) string { return "chrome-extension://" + extensionID + "/" }

// Options say what to install and where.
type Options struct {
	Name         string    // host name, e.g. com.twinkey.host
	Description  string    // manifest description
	HostPath     string    // absolute path of the host binary
	ExtensionIDs []string  // allowed extensions
	Browsers     []Browser // which browsers; nil: every browser found (Found)
	System       bool      // system-wide locations (root / administrator) instead of the user's
	UserDataDir  string    // if set: only DIR/NativeMessagingHosts (a browser started with --user-data-dir=DIR)
	Home         string    // the user's home directory
	LocalAppData string    // Windows: %LOCALAPPDATA%, where browsers keep their user data
	Root         string    // prefix of every absolute (system) path; "" outside tests
	GOOS         string    // target OS layout ("linux", "darwin", "windows")
	Registry     Registry  // Windows registry access; nil elsewhere
}

// Registry is the part of the Windows registry the installer uses: default values of keys under HKCU, or HKLM
// when system is set.
type Registry interface {
	SetDefault(system bool, key, value string) error
	Delete(system bool, key string) error
	GetDefault(system bool, key string) (string, error)
}

// Target is one place a manifest is written: a file, and on Windows also a registry key pointing at it.
type Target struct {
	Browser     Browser
	File        string
	RegistryKey string // Windows only: the key under HKCU, or HKLM with System
	System      bool
}

// expand turns a location path into a filesystem path.
func (o Options) expand(p string) string {
	switch {
	case strings.HasPrefix(p, "~/"):
		return filepath.Join(o.Home, filepath.FromSlash(p[2:]))
	case strings.HasPrefix(p, "%LOCALAPPDATA%/"):
		if o.LocalAppData == "" {
			return ""
		}
		return filepath.Join(o.LocalAppData, filepath.FromSlash(strings.TrimPrefix(p, "%LOCALAPPDATA%/")))
	case strings.HasPrefix(p, "/"):
		return filepath.Join(o.Root, filepath.FromSlash(p))
	}
	return filepath.Join(o.Home, filepath.FromSlash(p))
}

// Found lists the browsers installed for opts' scope (the user's, or the system's), in Browsers order.
func Found(opts Options) []Browser {
	var out []Browser
	for _, l := range locations[opts.GOOS] {
		evidence := l.presentUser
		if opts.System && opts.GOOS != "windows" {
			if l.system == "" {
				continue
			}
			evidence = l.presentSystem
		}
		for _, p := range evidence {
			if f := opts.expand(p); f != "" {
				if _, err := os.Stat(f); err == nil {
					out = append(out, l.browser)
					break
				}
			}
		}
	}
	return out
}

// browsers returns the browsers opts names, or those found.
func (o Options) browsers() []Browser {
	if o.Browsers != nil {
		return o.Browsers
	}
	return Found(o)
}

// Targets lists where the manifest goes for opts. A browser without a documented location for the scope
// (e.g. a channel with no system-wide directory) is an error when named, and skipped when found.
func Targets(opts Options) ([]Target, error) {
	file := opts.Name + ".json"
	if opts.UserDataDir != "" {
		return []Target{{File: filepath.Join(opts.UserDataDir, "NativeMessagingHosts", file)}}, nil
	}
	if _, ok := locations[opts.GOOS]; !ok {
		return nil, fmt.Errorf("install: unsupported OS %q", opts.GOOS)
	}
	if opts.Home == "" && opts.GOOS != "windows" && !opts.System {
		return nil, errors.New("install: no home directory")
	}
	var out []Target
	for _, b := range opts.browsers() {
		l, ok := find(opts.GOOS, b)
		if !ok {
			return nil, fmt.Errorf("install: unknown browser %q on %s", b, opts.GOOS)
		}
		switch {
		case opts.GOOS == "windows":
			// One manifest per browser, so that removing one browser's registration leaves the others intact;
			// the registry value must be the manifest's absolute path (srcChromeNM).
			out = append(out, Target{Browser: b, System: opts.System,
				File:        filepath.Join(filepath.Dir(opts.HostPath), opts.Name+"."+string(b)+".json"),
				RegistryKey: l.registry + `\` + opts.Name})
		case opts.System && l.system == "":
			if opts.Browsers != nil {
				return nil, fmt.Errorf("install: %s has no documented system-wide location on %s (install per user instead)", b, opts.GOOS)
			}
		case opts.System:
			out = append(out, Target{Browser: b, System: true, File: filepath.Join(opts.expand(l.system), file)})
		default:
			out = append(out, Target{Browser: b, File: filepath.Join(opts.expand(l.user), file)})
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

// Install writes the manifest to every target and returns them. With opts.Browsers nil it installs only for
// the browsers found; it creates a NativeMessagingHosts directory only inside a browser's own folder.
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
			if err := opts.Registry.SetDefault(t.System, t.RegistryKey, t.File); err != nil {
				return nil, fmt.Errorf("install: registry %s: %w", t.RegistryKey, err)
			}
		}
	}
	return targets, nil
}

// ours reports whether the manifest at file is one Install wrote for opts: this host's name and this binary.
func ours(opts Options, file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	var m Manifest
	return json.Unmarshal(data, &m) == nil && m.Name == opts.Name && m.Path == opts.HostPath
}

// Uninstall removes what Install wrote for opts (every known browser when opts.Browsers is nil): a manifest
// only when it names this host and this binary, a registry key only when it points at that manifest. Anything
// else is left alone; missing ones are not an error.
func Uninstall(opts Options) ([]Target, error) {
	if opts.Browsers == nil && opts.UserDataDir == "" {
		opts.Browsers = Browsers(opts.GOOS)
		if opts.System && opts.GOOS != "windows" {
			opts.Browsers = slices.DeleteFunc(opts.Browsers, func(b Browser) bool { l, _ := find(opts.GOOS, b); return l.system == "" })
		}
	}
	targets, err := Targets(opts)
	if err != nil {
		return nil, err
	}
	var removed []Target
	for _, t := range targets {
		gone := false
		if t.RegistryKey != "" && opts.Registry != nil {
			if v, err := opts.Registry.GetDefault(t.System, t.RegistryKey); err == nil && v == t.File {
				if err := opts.Registry.Delete(t.System, t.RegistryKey); err != nil {
					return removed, fmt.Errorf("uninstall: registry %s: %w", t.RegistryKey, err)
				}
				gone = true
			}
		}
		if ours(opts, t.File) {
			if err := os.Remove(t.File); err != nil {
				return removed, fmt.Errorf("uninstall: %w", err)
			}
			gone = true
		}
		if gone {
			removed = append(removed, t)
		}
	}
	return removed, nil
}

// State is the outcome of one check.
type State string

// States of a Check.
const (
	StateOK           State = "ok"            // registered and working
	StateNotInstalled State = "not-installed" // the browser is here, the host is not registered with it
	StateBroken       State = "broken"        // registered, but the browser could not start this host
)

// Check is the state of one browser's registration, for `twinkey-host doctor`.
type Check struct {
	Target
	Found   bool   // the browser is installed (Found)
	State   State  // ok, not-installed or broken
	Problem string // what is wrong, "" when ok
	Fix     string // how to fix it, "" when ok
}

// Status checks every browser that is installed or has a registration: the registry key (Windows) points at
// the manifest, the manifest parses, names this host, is of type stdio, points at this binary, the binary
// exists and is executable, and allowed_origins are exactly this build's extensions.
func Status(opts Options) ([]Check, error) {
	want, err := BuildManifest(opts)
	if err != nil {
		return nil, err
	}
	var wantM Manifest
	_ = json.Unmarshal(want, &wantM)
	all := opts
	if all.UserDataDir == "" {
		all.Browsers = Browsers(opts.GOOS)
		if opts.System && opts.GOOS != "windows" {
			all.Browsers = slices.DeleteFunc(all.Browsers, func(b Browser) bool { l, _ := find(opts.GOOS, b); return l.system == "" })
		}
	}
	targets, err := Targets(all)
	if err != nil {
		return nil, err
	}
	found := Found(opts)
	var checks []Check
	for _, t := range targets {
		c := Check{Target: t, Found: slices.Contains(found, t.Browser) || opts.UserDataDir != ""}
		fix := "run `twinkey-host install --browser " + string(t.Browser) + systemFlag(opts) + "`"
		if opts.UserDataDir != "" {
			fix = "run `twinkey-host install --user-data-dir " + opts.UserDataDir + "`"
		}
		registered := false // a registry key names the manifest (Windows)
		if t.RegistryKey != "" {
			v, err := registryValue(opts, t)
			registered = err == nil
			switch {
			case err != nil:
			case v != t.File:
				c.State, c.Problem, c.Fix = StateBroken, fmt.Sprintf("registry key %s points at %s, not %s", t.RegistryKey, v, t.File), fix
			}
		}
		if c.State == "" {
			data, err := os.ReadFile(t.File)
			switch {
			case errors.Is(err, os.ErrNotExist) && !registered:
				c.State = StateNotInstalled
				c.Problem, c.Fix = "not installed", fix
			case errors.Is(err, os.ErrNotExist):
				c.State, c.Problem, c.Fix = StateBroken, "the registry key names a manifest that does not exist", fix
			case err != nil:
				c.State, c.Problem, c.Fix = StateBroken, "manifest unreadable: "+err.Error(), fix+" (as a user who may write "+filepath.Dir(t.File)+")"
			default:
				c.State, c.Problem, c.Fix = checkManifest(opts, wantM, data, fix)
			}
		}
		if !c.Found && c.State == StateNotInstalled {
			continue // neither the browser nor a registration: nothing to report
		}
		checks = append(checks, c)
	}
	return checks, nil
}

func systemFlag(opts Options) string {
	if opts.System {
		return " --system"
	}
	return ""
}

func registryValue(opts Options, t Target) (string, error) {
	if opts.Registry == nil {
		return "", errors.New("registry unavailable")
	}
	return opts.Registry.GetDefault(t.System, t.RegistryKey)
}

// checkManifest compares a registered manifest with the one this binary would write.
func checkManifest(opts Options, want Manifest, data []byte, fix string) (State, string, string) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return StateBroken, "manifest is not valid JSON: " + err.Error(), fix
	}
	switch {
	case m.Name != want.Name:
		return StateBroken, fmt.Sprintf("manifest names host %q, not %q", m.Name, want.Name), fix
	case m.Type != "stdio":
		return StateBroken, fmt.Sprintf("manifest type %q, not \"stdio\"", m.Type), fix
	case m.Path != opts.HostPath:
		problem := fmt.Sprintf("manifest points at %s, not this binary (%s)", m.Path, opts.HostPath)
		if err := executable(m.Path, opts.GOOS); err != nil {
			problem += "; " + err.Error()
		}
		return StateBroken, problem, fix + " from the binary you want the browser to start"
	}
	if err := executable(m.Path, opts.GOOS); err != nil {
		return StateBroken, err.Error(), "reinstall twinkey-host at " + m.Path + ", or " + fix + " from where it is now"
	}
	if !slices.Equal(m.AllowedOrigins, want.AllowedOrigins) {
		return StateBroken, fmt.Sprintf("manifest allows %v, this build serves %v", m.AllowedOrigins, want.AllowedOrigins), fix
	}
	return StateOK, "", ""
}

// executable checks that path is a regular file the browser can start.
func executable(path, goos string) error {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return fmt.Errorf("the manifest's binary %s does not exist", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("the manifest's binary %s is not a file", path)
	case goos == "windows" && !strings.EqualFold(filepath.Ext(path), ".exe"):
		return fmt.Errorf("the manifest's binary %s is not an .exe", path)
	case goos != "windows" && fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("the manifest's binary %s is not executable (chmod +x)", path)
	}
	return nil
}
