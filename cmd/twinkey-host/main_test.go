package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/twinkey/twinkey/nativehost/host"
	"github.com/twinkey/twinkey/nativehost/install"
	"github.com/twinkey/twinkey/nativehost/messaging"
)

func noEnv(string) string { return "" }

func TestInstallUninstallUserDataDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", t.TempDir())
	var out, errOut bytes.Buffer
	if code := run([]string{"install", "--browser", "chromium", "--user-data-dir", dir}, nil, &out, &errOut, noEnv); code != 0 {
		t.Fatalf("install: exit %d: %s", code, errOut.String())
	}
	file := filepath.Join(dir, "NativeMessagingHosts", "com.twinkey.host.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m install.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	exe, _ := executable()
	if m.Name != host.Name || m.Path != exe || m.Type != "stdio" || len(m.AllowedOrigins) != 1 ||
		m.AllowedOrigins[0] != "chrome-extension://"+host.DefaultExtensionID+"/" {
		t.Fatalf("manifest %+v", m)
	}
	if !strings.Contains(out.String(), file) {
		t.Fatalf("output %q does not name %s", out.String(), file)
	}
	out.Reset()
	if code := run([]string{"uninstall", "--user-data-dir", dir}, nil, &out, &errOut, noEnv); code != 0 {
		t.Fatalf("uninstall: exit %d: %s", code, errOut.String())
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatal("manifest still there")
	}
}

func TestInstallIntoHomeOnlyFoundBrowsersAndDoctor(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checks the Linux layout")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, dir := range []string{".config/google-chrome", ".config/BraveSoftware/Brave-Browser"} {
		os.MkdirAll(filepath.Join(home, dir), 0o755)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"install", "--browser", "all"}, nil, &out, &errOut, noEnv); code != 0 {
		t.Fatalf("install: exit %d: %s", code, errOut.String())
	}
	for _, dir := range []string{".config/google-chrome", ".config/BraveSoftware/Brave-Browser"} {
		if _, err := os.Stat(filepath.Join(home, dir, "NativeMessagingHosts", "com.twinkey.host.json")); err != nil {
			t.Errorf("%s: %v", dir, err)
		}
	}
	for _, dir := range []string{".config/chromium", ".config/microsoft-edge"} {
		if _, err := os.Stat(filepath.Join(home, dir)); !os.IsNotExist(err) {
			t.Errorf("install --browser all created %s", dir)
		}
	}
	out.Reset()
	code := run([]string{"doctor"}, nil, &out, &errOut, noEnv)
	if !strings.Contains(out.String(), "browsers found: chrome, brave") || !strings.Contains(out.String(), "[ok] chrome") ||
		!strings.Contains(out.String(), "[ok] brave") {
		t.Fatalf("doctor does not see the installation:\n%s", out.String())
	}
	_ = code // keys and USB depend on the machine; the registration part is what is checked here
	// One browser broken, one fine: doctor fails and says how to fix it.
	manifest := filepath.Join(home, ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts/com.twinkey.host.json")
	data, _ := os.ReadFile(manifest)
	exe, _ := executable()
	os.WriteFile(manifest, bytes.ReplaceAll(data, []byte(exe), []byte("/nonexistent/twinkey-host")), 0o644)
	out.Reset()
	if code := run([]string{"doctor"}, nil, &out, &errOut, noEnv); code == 0 ||
		!strings.Contains(out.String(), "[!!] brave") || !strings.Contains(out.String(), "fix: run `twinkey-host install --browser brave`") {
		t.Fatalf("doctor with a broken brave: exit %d\n%s", code, out.String())
	}
	out.Reset()
	if code := run([]string{"uninstall", "--browser", "chrome"}, nil, &out, &errOut, noEnv); code != 0 {
		t.Fatalf("uninstall chrome: exit %d", code)
	}
	if _, err := os.Stat(manifest); err != nil {
		t.Fatal("uninstalling chrome removed brave's manifest")
	}
	if code := run([]string{"install", "--browser", "firefox"}, nil, &out, &errOut, noEnv); code == 0 {
		t.Fatal("install --browser firefox succeeded")
	}
}

func frames(t *testing.T, msgs ...string) *bytes.Buffer {
	var b bytes.Buffer
	for _, m := range msgs {
		if err := messaging.WriteFrame(&b, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	return &b
}

func TestNativeMessagingMode(t *testing.T) {
	env := map[string]string{host.EnvSimulatedKey: "1"}
	in := frames(t, `{"id":"1","type":"hello"}`, `{"id":"2","type":"devices"}`, `{"id":"3","type":"nope"}`, `garbage`)
	var out, errOut bytes.Buffer
	origin := "chrome-extension://" + host.DefaultExtensionID + "/"
	if code := run([]string{origin, "--parent-window=0"}, in, &out, &errOut, func(k string) string { return env[k] }); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var replies []messaging.Reply
	for out.Len() > 0 {
		b, err := messaging.ReadFrame(&out, messaging.MaxOutgoing)
		if err != nil {
			t.Fatal(err)
		}
		var r messaging.Reply
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		replies = append(replies, r)
	}
	byID := map[string]messaging.Reply{}
	for _, r := range replies {
		byID[r.ID] = r
	}
	if len(replies) != 4 || byID["1"].Type != "result" || byID["2"].Type != "result" ||
		byID["3"].Error == nil || byID["3"].Error.Code != messaging.CodeUnknownType || byID[""].Error.Code != messaging.CodeBadRequest {
		t.Fatalf("replies %+v", replies)
	}
	if !strings.Contains(errOut.String(), "SIMULATED") {
		t.Fatalf("stderr does not say the key is simulated: %q", errOut.String())
	}
}

func TestRefusesForeignOrigin(t *testing.T) {
	var out, errOut bytes.Buffer
	in := frames(t, `{"id":"1","type":"hello"}`)
	if code := run([]string{"chrome-extension://" + strings.Repeat("b", 32) + "/"}, in, &out, &errOut, noEnv); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if out.Len() != 0 || !strings.Contains(errOut.String(), "refusing caller") {
		t.Fatalf("stdout %q, stderr %q", out.String(), errOut.String())
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(nil, nil, &out, &errOut, noEnv); code != 2 || !strings.Contains(errOut.String(), "usage") {
		t.Fatalf("no args: exit %d", code)
	}
	if code := run([]string{"version"}, nil, &out, &errOut, noEnv); code != 0 || !strings.Contains(out.String(), "twinkey-host") {
		t.Fatalf("version: exit %d", code)
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
