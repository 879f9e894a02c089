package install

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const testID = "abcdefghijklmnopabcdefghijklmnop"

// opts is a machine in temporary folders: home, %LOCALAPPDATA%, the filesystem root for system paths, and an
// executable host binary.
func opts(t *testing.T, goos string) Options {
	t.Helper()
	base := t.TempDir()
	bin := filepath.Join(base, "bin", "twinkey-host")
	if goos == "windows" {
		bin += ".exe"
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := Options{Name: "com.twinkey.host", Description: "Twinkey", HostPath: bin, ExtensionIDs: []string{testID},
		Home: filepath.Join(base, "home"), LocalAppData: filepath.Join(base, "localappdata"), Root: filepath.Join(base, "root"), GOOS: goos}
	if goos == "windows" {
		o.Registry = fakeRegistry{}
	}
	return o
}

// mkdirs creates the given paths (location syntax: "~/...", "%LOCALAPPDATA%/...", "/...").
func mkdirs(t *testing.T, o Options, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.MkdirAll(o.expand(p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func readManifest(t *testing.T, path string) Manifest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func states(t *testing.T, o Options) map[Browser]State {
	t.Helper()
	checks, err := Status(o)
	if err != nil {
		t.Fatal(err)
	}
	out := map[Browser]State{}
	for _, c := range checks {
		out[c.Browser] = c.State
	}
	return out
}

type fakeRegistry map[string]string

func hive(system bool) string {
	if system {
		return `HKLM\`
	}
	return `HKCU\`
}
func (r fakeRegistry) SetDefault(s bool, k, v string) error { r[hive(s)+k] = v; return nil }
func (r fakeRegistry) Delete(s bool, k string) error {
	if _, ok := r[hive(s)+k]; !ok {
		return os.ErrNotExist
	}
	delete(r, hive(s)+k)
	return nil
}
func (r fakeRegistry) GetDefault(s bool, k string) (string, error) {
	v, ok := r[hive(s)+k]
	if !ok {
		return "", os.ErrNotExist
	}
	return v, nil
}

func TestInstallAllOnlyForBrowsersFoundLinux(t *testing.T) {
	o := opts(t, "linux")
	mkdirs(t, o, "~/.config/google-chrome", "~/.config/google-chrome-beta", "~/snap/chromium/common/chromium", "~/.config/vivaldi")
	targets, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	var got []Browser
	for _, tg := range targets {
		got = append(got, tg.Browser)
		readManifest(t, tg.File)
	}
	if want := []Browser{"chrome", "chrome-beta", "chromium-snap", "vivaldi"}; !slices.Equal(got, want) {
		t.Fatalf("installed for %v, want %v", got, want)
	}
	if tg := targets[2]; tg.File != filepath.Join(o.Home, "snap/chromium/common/chromium/NativeMessagingHosts/com.twinkey.host.json") {
		t.Fatalf("snap target %s", tg.File)
	}
	for _, absent := range []string{".config/microsoft-edge", ".config/chromium", ".config/BraveSoftware", ".var"} {
		if _, err := os.Stat(filepath.Join(o.Home, absent)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("install created %s for a browser that is not there", absent)
		}
	}
	st := states(t, o)
	if len(st) != 4 || st["chrome"] != StateOK || st["vivaldi"] != StateOK {
		t.Fatalf("status %v", st)
	}
}

func TestInstallSystemWideLinuxAndMacOS(t *testing.T) {
	for goos, tc := range map[string]struct {
		present []string
		want    map[Browser]string
	}{
		"linux": {[]string{"/opt/google/chrome", "/opt/microsoft/msedge", "/usr/lib/chromium"}, map[Browser]string{
			"chrome": "/etc/opt/chrome/native-messaging-hosts", "edge": "/etc/opt/edge/native-messaging-hosts",
			"chromium": "/etc/chromium/native-messaging-hosts"}},
		"darwin": {[]string{"/Applications/Google Chrome.app", "/Applications/Microsoft Edge.app", "/Applications/Chromium.app"}, map[Browser]string{
			"chrome": "/Library/Google/Chrome/NativeMessagingHosts", "edge": "/Library/Microsoft/Edge/NativeMessagingHosts",
			"chromium": "/Library/Application Support/Chromium/NativeMessagingHosts"}},
	} {
		o := opts(t, goos)
		o.System = true
		mkdirs(t, o, tc.present...)
		mkdirs(t, o, "~/.config/google-chrome-beta") // a user-level channel: not part of a system install
		targets, err := Install(o)
		if err != nil || len(targets) != 3 {
			t.Fatalf("%s: Install = %v, %v", goos, targets, err)
		}
		for _, tg := range targets {
			if want := filepath.Join(o.Root, filepath.FromSlash(tc.want[tg.Browser]), "com.twinkey.host.json"); tg.File != want || !tg.System {
				t.Errorf("%s %s: %s, want %s", goos, tg.Browser, tg.File, want)
			}
		}
		o2 := o
		o2.Browsers = []Browser{"chrome-beta"}
		if _, err := Install(o2); err == nil {
			t.Errorf("%s: system install for chrome-beta (no documented system location) accepted", goos)
		}
		if st := states(t, o); len(st) != 3 || st["chrome"] != StateOK || st["edge"] != StateOK {
			t.Errorf("%s: status %v", goos, st)
		}
		removed, err := Uninstall(o)
		if err != nil || len(removed) != 3 {
			t.Fatalf("%s: Uninstall = %v, %v", goos, removed, err)
		}
	}
}

func TestUninstallOneBrowserOfFour(t *testing.T) {
	for _, goos := range []string{"linux", "darwin", "windows"} {
		o := opts(t, goos)
		four := Browsers(goos)[:4]
		if goos == "linux" || goos == "darwin" {
			four = []Browser{"chrome", "chromium", "edge", "brave"}
		}
		o.Browsers = four
		targets, err := Install(o)
		if err != nil || len(targets) != 4 {
			t.Fatalf("%s: Install = %v, %v", goos, targets, err)
		}
		files := map[string]bool{}
		for _, tg := range targets {
			files[tg.File] = true
		}
		if len(files) != 4 {
			t.Fatalf("%s: %d manifest files for 4 browsers", goos, len(files))
		}
		one := o
		one.Browsers = []Browser{"edge"}
		removed, err := Uninstall(one)
		if err != nil || len(removed) != 1 || removed[0].Browser != "edge" {
			t.Fatalf("%s: Uninstall edge = %v, %v", goos, removed, err)
		}
		mkdirs(t, o, "~/.config/microsoft-edge", "~/Library/Application Support/Microsoft Edge", "%LOCALAPPDATA%/Microsoft/Edge/User Data")
		st := states(t, o)
		for _, b := range four {
			want := StateOK
			if b == "edge" {
				want = StateNotInstalled
			}
			if st[b] != want {
				t.Errorf("%s: after uninstalling edge, %s is %q, want %q (all: %v)", goos, b, st[b], want, st)
			}
		}
		if goos == "windows" {
			reg := o.Registry.(fakeRegistry)
			if _, ok := reg[`HKCU\Software\Microsoft\Edge\NativeMessagingHosts\com.twinkey.host`]; ok || len(reg) != 3 {
				t.Errorf("registry after uninstalling edge: %v", reg)
			}
		}
	}
}

func TestWindowsOneManifestPerBrowserUserAndSystem(t *testing.T) {
	o := opts(t, "windows")
	mkdirs(t, o, "%LOCALAPPDATA%/Google/Chrome SxS/User Data", "%LOCALAPPDATA%/Microsoft/Edge/User Data")
	targets, err := Install(o)
	if err != nil || len(targets) != 2 {
		t.Fatalf("Install = %v, %v", targets, err)
	}
	reg := o.Registry.(fakeRegistry)
	dir := filepath.Dir(o.HostPath)
	if reg[`HKCU\Software\Google\Chrome\NativeMessagingHosts\com.twinkey.host`] != filepath.Join(dir, "com.twinkey.host.chrome.json") ||
		reg[`HKCU\Software\Microsoft\Edge\NativeMessagingHosts\com.twinkey.host`] != filepath.Join(dir, "com.twinkey.host.edge.json") || len(reg) != 2 {
		t.Fatalf("registry %v", reg)
	}
	sys := o
	sys.System, sys.Browsers = true, []Browser{"chromium"}
	if _, err := Install(sys); err != nil {
		t.Fatal(err)
	}
	if reg[`HKLM\Software\Chromium\NativeMessagingHosts\com.twinkey.host`] != filepath.Join(dir, "com.twinkey.host.chromium.json") {
		t.Fatalf("system registry %v", reg)
	}
	// A key pointing at another manifest is not ours to delete.
	reg[`HKCU\Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\com.twinkey.host`] = `C:\elsewhere\m.json`
	if _, err := Uninstall(o); err != nil {
		t.Fatal(err)
	}
	if _, ok := reg[`HKCU\Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\com.twinkey.host`]; !ok || len(reg) != 2 {
		t.Fatalf("registry after uninstall: %v", reg)
	}
}

func TestUninstallLeavesForeignManifests(t *testing.T) {
	o := opts(t, "linux")
	o.Browsers = []Browser{"chromium"}
	targets, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	other := o
	other.HostPath = "/opt/other/twinkey-host"
	foreign, _ := BuildManifest(other)
	os.WriteFile(targets[0].File, foreign, 0o644)
	if removed, err := Uninstall(o); err != nil || len(removed) != 0 {
		t.Fatalf("Uninstall = %v, %v", removed, err)
	}
	if _, err := os.Stat(targets[0].File); err != nil {
		t.Fatal("uninstall removed a manifest another binary installed")
	}
}

func TestStatusNamesEachBreakage(t *testing.T) {
	o := opts(t, "linux")
	o.Browsers = []Browser{"chromium"}
	targets, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	file := targets[0].File
	good, _ := os.ReadFile(file)
	check := func(what string, mutate func(), want string) {
		t.Helper()
		os.RemoveAll(file)
		os.WriteFile(file, good, 0o644)
		os.WriteFile(o.HostPath, []byte("#!/bin/sh\n"), 0o755)
		os.Chmod(o.HostPath, 0o755)
		mutate()
		checks, err := Status(o)
		if err != nil || len(checks) != 1 {
			t.Fatalf("%s: Status = %v, %v", what, checks, err)
		}
		c := checks[0]
		if c.State != StateBroken || !strings.Contains(c.Problem, want) || c.Fix == "" {
			t.Errorf("%s: %+v, want broken with %q and a fix", what, c, want)
		}
	}
	other := o
	other.HostPath = filepath.Join(t.TempDir(), "twinkey-host")
	otherManifest, _ := BuildManifest(other)
	check("another binary", func() { os.WriteFile(file, otherManifest, 0o644) }, "not this binary")
	check("unreadable", func() { os.Remove(file); os.Mkdir(file, 0o755) }, "unreadable")
	check("not JSON", func() { os.WriteFile(file, []byte("{"), 0o644) }, "not valid JSON")
	check("binary missing", func() { os.Remove(o.HostPath) }, "does not exist")
	check("binary not executable", func() { os.Chmod(o.HostPath, 0o644) }, "not executable")
	foreignIDs := o
	foreignIDs.ExtensionIDs = []string{strings.Repeat("p", 32)}
	wrongOrigin, _ := BuildManifest(foreignIDs)
	check("origin", func() { os.WriteFile(file, wrongOrigin, 0o644) }, "allows")
	os.WriteFile(file, good, 0o644)
	os.WriteFile(o.HostPath, []byte("#!/bin/sh\n"), 0o755)
	os.Chmod(o.HostPath, 0o755)
	if st := states(t, o); st["chromium"] != StateOK {
		t.Fatalf("restored: %v", st)
	}
}

func TestInstallUserDataDir(t *testing.T) {
	o := opts(t, "linux")
	o.UserDataDir = filepath.Join(t.TempDir(), "profile")
	targets, err := Install(o)
	if err != nil || len(targets) != 1 {
		t.Fatalf("Install = %v, %v", targets, err)
	}
	if want := filepath.Join(o.UserDataDir, "NativeMessagingHosts", "com.twinkey.host.json"); targets[0].File != want {
		t.Fatalf("file %s, want %s", targets[0].File, want)
	}
	readManifest(t, targets[0].File)
	if _, err := os.Stat(o.Home); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("--user-data-dir must not touch the home directory")
	}
	if removed, err := Uninstall(o); err != nil || len(removed) != 1 {
		t.Fatalf("Uninstall = %v, %v", removed, err)
	}
}

func TestRejectsBadInput(t *testing.T) {
	for _, mutate := range []func(*Options){
		func(o *Options) { o.ExtensionIDs = []string{"not-an-id"} },
		func(o *Options) { o.ExtensionIDs = nil },
		func(o *Options) { o.HostPath = "relative/twinkey-host" },
		func(o *Options) { o.Name = "Com.Twinkey..Host" },
	} {
		o := opts(t, "linux")
		mutate(&o)
		if _, err := Install(o); err == nil {
			t.Errorf("Install accepted %+v", o)
		}
	}
	if _, err := ParseBrowsers("firefox", "linux"); err == nil {
		t.Error("ParseBrowsers(firefox) accepted")
	}
	if _, err := ParseBrowsers("chromium-snap", "windows"); err == nil {
		t.Error("ParseBrowsers(chromium-snap) accepted on Windows")
	}
	if b, err := ParseBrowsers("chrome,edge-dev,chrome", "linux"); err != nil || !slices.Equal(b, []Browser{"chrome", "edge-dev"}) {
		t.Errorf("ParseBrowsers(chrome,edge-dev,chrome) = %v, %v", b, err)
	}
}
