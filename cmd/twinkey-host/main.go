// Command twinkey-host is Twinkey's native messaging host: it lets the extension use real USB security keys
// (CTAPHID, CTAP1 and CTAP2) for sites marked hardware-only.
//
//	twinkey-host chrome-extension://<id>/        native messaging mode (started by the browser)
//	twinkey-host install [--browser B[,B...]|all] [--system] [--user-data-dir DIR]
//	twinkey-host uninstall [--browser B[,B...]|all] [--system] [--user-data-dir DIR]
//	twinkey-host devices                         list security keys and what they support
//	twinkey-host doctor                          check the installation, permissions and keys
//	twinkey-host version
//
// The allowed extension IDs come from twinkey-host.json next to the binary, else from
// -ldflags "-X main.extensionIDs=id1,id2", else from host.DefaultExtensionID (see nativehost/PROTOCOL.md).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/hid"
	"github.com/twinkey/twinkey/nativehost/host"
	"github.com/twinkey/twinkey/nativehost/install"
	"github.com/twinkey/twinkey/nativehost/messaging"
)

// Set with -ldflags "-X main.version=... -X main.extensionIDs=id1,id2".
var (
	version      = "dev"
	extensionIDs = ""
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

var usage = `usage:
  twinkey-host install   [--browser B[,B...]|all] [--system] [--user-data-dir DIR]
  twinkey-host uninstall [--browser B[,B...]|all] [--system] [--user-data-dir DIR]
  twinkey-host devices
  twinkey-host doctor    [--system]
  twinkey-host version
Browsers here: ` + browserList() + `
install --browser all (the default) registers with the browsers found; uninstall removes only what install
wrote; --system uses the system-wide locations (root / administrator) instead of the user's.
The browser starts twinkey-host itself with its extension origin as argument (native messaging).
`

func browserList() string {
	var names []string
	for _, b := range install.Browsers(runtime.GOOS) {
		names = append(names, string(b))
	}
	return strings.Join(names, ", ")
}

// env is the process environment, a parameter so that tests control it.
type env func(string) string

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv env) int {
	exe, err := executable()
	if err != nil {
		fmt.Fprintf(stderr, "twinkey-host: %v\n", err)
		return 1
	}
	if origin := host.CallerOrigin(args); origin != "" {
		return serve(origin, exe, stdin, stdout, stderr, getenv)
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "install", "uninstall":
		return cmdInstall(args[0], args[1:], exe, stdout, stderr, getenv)
	case "devices":
		return cmdDevices(stdout, stderr, getenv)
	case "doctor":
		return cmdDoctor(args[1:], exe, stdout, stderr, getenv)
	case "version":
		fmt.Fprintf(stdout, "twinkey-host %s (%s/%s)\n", version, runtime.GOOS, runtime.GOARCH)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "twinkey-host: unknown command %q\n%s", args[0], usage)
	return 2
}

func executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Abs(exe)
}

// newHost builds the host over the real USB keys, or over the simulated key when a test build's environment
// asks for it (a release build says on stderr that it ignores the request).
func newHost(getenv env, stderr io.Writer) (*host.Host, func(), error) {
	key, err := host.SimulatedKeyFromEnv(getenv)
	switch {
	case errors.Is(err, host.ErrNoSimulatedKeys):
		fmt.Fprintf(stderr, "twinkey-host: ignoring %s: %v\n", host.EnvSimulatedKey, err)
	case err != nil:
		return nil, nil, err
	}
	cfg := host.Config{Version: version, Devices: host.HIDSource{}, Log: stderr}
	cleanup := func() {}
	if key != nil {
		fmt.Fprintln(stderr, "twinkey-host: using the SIMULATED key (TWINKEY_SIMULATED_KEY is set; tests only)")
		cfg.Devices, cfg.Simulated = host.SimulatedSource{Key: key}, true
		cfg.CTAPHID = ctaphid.Options{ResponseTimeout: 60 * time.Second}
		cleanup = func() { key.Close() }
	}
	return host.New(cfg), cleanup, nil
}

// serve is native messaging mode. Nothing but frames goes to stdout; diagnostics go to stderr, which Chrome
// forwards to its log. Go does no newline translation on Windows, so stdin/stdout are binary already.
func serve(origin, exe string, stdin io.Reader, stdout, stderr io.Writer, getenv env) int {
	ids, err := host.AllowedExtensionIDs(exe, extensionIDs)
	if err != nil {
		fmt.Fprintf(stderr, "twinkey-host: %v\n", err)
		return 1
	}
	if !host.OriginAllowed(origin, ids) {
		fmt.Fprintf(stderr, "twinkey-host: refusing caller %q: not an allowed Twinkey extension\n", origin)
		return 1
	}
	h, cleanup, err := newHost(getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "twinkey-host: %v\n", err)
		return 1
	}
	defer cleanup()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A write to a closed stdout then fails with EPIPE (and Serve ends) instead of killing the process with
	// SIGPIPE (os/signal, "SIGPIPE").
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	err = h.Serve(ctx, stdin, stdout)
	if errors.Is(err, messaging.ErrOutputClosed) {
		fmt.Fprintln(stderr, "twinkey-host: the browser closed its end of the port")
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "twinkey-host: %v\n", err)
		return 1
	}
	return 0
}

func installOptions(exe, browser, userDataDir string, system bool, getenv env) (install.Options, error) {
	browsers, err := install.ParseBrowsers(browser, runtime.GOOS)
	if err != nil {
		return install.Options{}, err
	}
	ids, err := host.AllowedExtensionIDs(exe, extensionIDs)
	if err != nil {
		return install.Options{}, err
	}
	home, _ := os.UserHomeDir()
	if userDataDir != "" {
		if userDataDir, err = filepath.Abs(userDataDir); err != nil {
			return install.Options{}, err
		}
	}
	return install.Options{Name: host.Name, Description: "Twinkey: use USB security keys from the Twinkey extension",
		HostPath: exe, ExtensionIDs: ids, Browsers: browsers, System: system, UserDataDir: userDataDir, Home: home,
		LocalAppData: getenv("LOCALAPPDATA"), GOOS: runtime.GOOS, Registry: install.SystemRegistry()}, nil
}

func cmdInstall(cmd string, args []string, exe string, stdout, stderr io.Writer, getenv env) int {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	browser := fs.String("browser", "all", "comma-separated browsers ("+browserList()+"), or all: the browsers found")
	system := fs.Bool("system", false, "system-wide locations (root / administrator) instead of the user's")
	userDataDir := fs.String("user-data-dir", "", "install only into DIR/NativeMessagingHosts (a browser run with --user-data-dir=DIR)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts, err := installOptions(exe, *browser, *userDataDir, *system, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "twinkey-host: %v\n", err)
		return 1
	}
	var targets []install.Target
	if cmd == "install" {
		targets, err = install.Install(opts)
	} else {
		targets, err = install.Uninstall(opts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "twinkey-host: %v\n", err)
		return 1
	}
	verb := map[string]string{"install": "wrote", "uninstall": "removed"}[cmd]
	for _, t := range targets {
		fmt.Fprintf(stdout, "%s %s", verb, t.File)
		if t.Browser != "" {
			fmt.Fprintf(stdout, " [%s]", t.Browser)
		}
		if t.RegistryKey != "" {
			fmt.Fprintf(stdout, " (%s\\%s)", hive(t.System), t.RegistryKey)
		}
		fmt.Fprintln(stdout)
	}
	if len(targets) == 0 {
		if cmd == "install" {
			fmt.Fprintln(stdout, "no browser found: name one with --browser ("+browserList()+")")
		} else {
			fmt.Fprintln(stdout, "nothing to do")
		}
	}
	return 0
}

func cmdDevices(stdout, stderr io.Writer, getenv env) int {
	h, cleanup, err := newHost(getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "twinkey-host: %v\n", err)
		return 1
	}
	defer cleanup()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := h.Devices(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "twinkey-host: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return 1
	}
	return 0
}

func hive(system bool) string {
	if system {
		return "HKLM"
	}
	return "HKCU"
}

// udevRule lets the logged-in user open FIDO hidraw nodes (systemd 60-fido-id.rules, 70-uaccess.rules).
const udevRule = `# /etc/udev/rules.d/70-twinkey-fido.rules
# Let the logged-in user open FIDO security keys (HID usage page 0xF1D0).
# systemd's 60-fido-id.rules marks them ID_SECURITY_TOKEN=1; uaccess grants the active local user access.
ACTION!="remove", SUBSYSTEM=="hidraw", ENV{ID_SECURITY_TOKEN}=="1", TAG+="uaccess"
# Without systemd's fido_id (older systems), name the vendor instead, e.g. Yubico:
# ACTION!="remove", KERNEL=="hidraw*", SUBSYSTEM=="hidraw", ATTRS{idVendor}=="1050", TAG+="uaccess"
#
# Then: sudo udevadm control --reload-rules && sudo udevadm trigger  (and replug the key)
`

func cmdDoctor(args []string, exe string, stdout, stderr io.Writer, getenv env) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	system := fs.Bool("system", false, "check the system-wide registrations instead of the user's")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fmt.Fprintf(stdout, "twinkey-host %s at %s\n", version, exe)
	problems := 0
	opts, err := installOptions(exe, "all", "", *system, getenv)
	if err != nil {
		fmt.Fprintf(stdout, "[!!] configuration: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "allowed extensions: %v\n", opts.ExtensionIDs)
	if len(opts.ExtensionIDs) == 1 && opts.ExtensionIDs[0] == host.DefaultExtensionID {
		fmt.Fprintln(stdout, "      (built-in ID; put {\"extensionIds\": [\"<id>\"]} in "+
			filepath.Join(filepath.Dir(exe), host.ConfigFileName)+" for an unpacked development extension)")
	}
	found := install.Found(opts)
	names := make([]string, len(found))
	for i, b := range found {
		names[i] = string(b)
	}
	if len(found) == 0 {
		fmt.Fprintln(stdout, "browsers found: none")
	} else {
		fmt.Fprintln(stdout, "browsers found: "+strings.Join(names, ", "))
	}
	checks, err := install.Status(opts)
	if err != nil {
		fmt.Fprintf(stdout, "[!!] %v\n", err)
		problems++
	}
	registered := 0
	for _, c := range checks {
		switch c.State {
		case install.StateOK:
			registered++
			fmt.Fprintf(stdout, "[ok] %-16s %s\n", c.Browser, c.File)
		case install.StateBroken:
			registered++
			problems++
			fmt.Fprintf(stdout, "[!!] %-16s %s: %s\n     fix: %s\n", c.Browser, c.File, c.Problem, c.Fix)
		default:
			fmt.Fprintf(stdout, "[--] %-16s not registered (%s)\n", c.Browser, c.Fix)
		}
	}
	if registered == 0 {
		problems++
		fmt.Fprintln(stdout, "[!!] the host is registered with no browser: run `twinkey-host install`")
	}

	devs, err := hid.Enumerate()
	permissionProblem := false
	switch {
	case errors.Is(err, hid.ErrNoUSB):
		fmt.Fprintln(stdout, "[--] no USB bus visible on this machine (container or VM?)")
	case err != nil:
		problems++
		fmt.Fprintf(stdout, "[!!] listing security keys: %v\n", err)
	case len(devs) == 0:
		fmt.Fprintln(stdout, "[--] no FIDO security key plugged in")
	default:
		h, cleanup, err := newHost(func(string) string { return "" }, stderr)
		if err == nil {
			defer cleanup()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, _ := h.Devices(ctx)
			for _, d := range res.Devices {
				if d.Error != "" {
					problems++
					fmt.Fprintf(stdout, "[!!] %s %s: %s\n", d.Path, d.Product, d.Error)
					permissionProblem = permissionProblem || errorIsPermission(d.Path)
				} else {
					fmt.Fprintf(stdout, "[ok] %s %s: ctap2=%v u2f=%v pin=%s\n", d.Path, d.Product, d.CTAP2, d.U2F, d.PIN)
				}
			}
		}
	}
	if runtime.GOOS == "linux" && permissionProblem {
		fmt.Fprintf(stdout, "\nThe current user may not open the security key. This udev rule fixes it:\n\n%s", udevRule)
	}
	if runtime.GOOS == "windows" {
		fmt.Fprintln(stdout, "note: Windows lets only administrators open FIDO keys directly (since Windows 10 1903)")
	}
	if problems > 0 {
		return 1
	}
	return 0
}

// errorIsPermission reports whether opening path fails for lack of permission.
func errorIsPermission(path string) bool {
	d, err := hid.Open(path)
	if err == nil {
		d.Close()
	}
	return errors.Is(err, hid.ErrPermissionDenied)
}
