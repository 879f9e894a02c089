package install

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testID = "abcdefghijklmnopabcdefghijklmnop"

func opts(t *testing.T, goos string) Options {
	home := t.TempDir()
	return Options{Name: "com.twinkey.host", Description: "Twinkey", HostPath: filepath.Join(home, "bin", "twinkey-host"),
		ExtensionIDs: []string{testID}, Browsers: AllBrowsers, Home: home, GOOS: goos}
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

func TestInstallLinuxAndMacLayouts(t *testing.T) {
	for goos, chromeDir := range map[string]string{
		"linux":  ".config/google-chrome/NativeMessagingHosts",
		"darwin": "Library/Application Support/Google/Chrome/NativeMessagingHosts",
	} {
		o := opts(t, goos)
		targets, err := Install(o)
		if err != nil || len(targets) != 4 {
			t.Fatalf("%s: Install = %v, %v", goos, targets, err)
		}
		m := readManifest(t, filepath.Join(o.Home, filepath.FromSlash(chromeDir), "com.twinkey.host.json"))
		if m.Name != "com.twinkey.host" || m.Type != "stdio" || m.Path != o.HostPath ||
			len(m.AllowedOrigins) != 1 || m.AllowedOrigins[0] != "chrome-extension://"+testID+"/" {
			t.Fatalf("%s: manifest %+v", goos, m)
		}
		checks, err := Status(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range checks {
			if !c.Installed {
				t.Errorf("%s %s: %s", goos, c.Browser, c.Problem)
			}
		}
		removed, err := Uninstall(o)
		if err != nil || len(removed) != 4 {
			t.Fatalf("%s: Uninstall = %v, %v", goos, removed, err)
		}
		for _, tg := range targets {
			if _, err := os.Stat(tg.File); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s left behind", tg.File)
			}
		}
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
	if _, err := os.Stat(filepath.Join(o.Home, ".config")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("--user-data-dir must not touch the home directory")
	}
}

type fakeRegistry map[string]string

func (r fakeRegistry) SetDefault(k, v string) error { r[k] = v; return nil }
func (r fakeRegistry) Delete(k string) error {
	if _, ok := r[k]; !ok {
		return os.ErrNotExist
	}
	delete(r, k)
	return nil
}
func (r fakeRegistry) GetDefault(k string) (string, error) {
	v, ok := r[k]
	if !ok {
		return "", os.ErrNotExist
	}
	return v, nil
}

func TestInstallWindowsRegistry(t *testing.T) {
	o := opts(t, "windows")
	reg := fakeRegistry{}
	o.Registry = reg
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(filepath.Dir(o.HostPath), "com.twinkey.host.json")
	if reg[`Software\Google\Chrome\NativeMessagingHosts\com.twinkey.host`] != manifest ||
		reg[`Software\Microsoft\Edge\NativeMessagingHosts\com.twinkey.host`] != manifest || len(reg) != 4 {
		t.Fatalf("registry %v", reg)
	}
	readManifest(t, manifest)
	if _, err := Uninstall(o); err != nil || len(reg) != 0 {
		t.Fatalf("Uninstall: %v, registry %v", err, reg)
	}
}

func TestStatusFindsProblems(t *testing.T) {
	o := opts(t, "linux")
	o.Browsers = []Browser{Chromium}
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	moved := o
	moved.HostPath = "/opt/elsewhere/twinkey-host"
	checks, _ := Status(moved)
	if checks[0].Installed || !strings.Contains(checks[0].Problem, "points at") {
		t.Fatalf("check %+v", checks[0])
	}
	other := o
	other.ExtensionIDs = []string{strings.Repeat("p", 32)}
	checks, _ = Status(other)
	if checks[0].Installed || !strings.Contains(checks[0].Problem, "allowed_origins") {
		t.Fatalf("check %+v", checks[0])
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
	if _, err := ParseBrowsers("firefox"); err == nil {
		t.Error("ParseBrowsers(firefox) accepted")
	}
}
