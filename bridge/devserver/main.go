// Command devserver serves the bridge (bridge/PROTOCOL.md) on a loopback address for tools and tests.
//
//	go run ./bridge/devserver -listen 127.0.0.1:8790 -state DIR [-auto-approve-for-tests]
//
// State (vault file, counters) lives in files under -state; the session (the unlocked vault key) lives in memory
// and is gone when the process exits. The server refuses non-loopback addresses.
//
// Presence: the bridge signs only when the service worker reports a person's approval (/v1/ceremony/approve).
// The dev server has no UI, so it refuses that route; nothing is signed unless the test-only flag
// -auto-approve-for-tests is given, which lets approvals through and prints a warning. Never use it outside tests.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"

	"github.com/twinkey/twinkey/bridge"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8790", "loopback address to serve on")
	state := flag.String("state", "", "directory for persistent state (required)")
	autoApprove := flag.Bool("auto-approve-for-tests", false, "TEST ONLY: approve every signing request without a person")
	flag.Parse()
	if *state == "" {
		log.Fatal("devserver: -state DIR is required")
	}
	if err := checkLoopback(*listen); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(*state, 0o700); err != nil {
		log.Fatal(err)
	}
	h := bridge.NewHandler(bridge.Env{Local: dirStorage(*state), Session: &bridge.MemoryStorage{}, Rand: rand.Reader})
	if *autoApprove {
		fmt.Fprintln(os.Stderr, "WARNING: -auto-approve-for-tests: every signing request is approved without a person. Test use only.")
	}
	log.Printf("devserver: serving the bridge on http://%s (state in %s)", *listen, *state)
	log.Fatal(http.ListenAndServe(*listen, presence(h, *autoApprove)))
}

// checkLoopback refuses any address that is not on the loopback interface.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("devserver: -listen %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("devserver: refusing non-loopback address %q", addr)
	}
	return nil
}

// approveRoute is the bridge route a person's approval in extension UI reaches (bridge/PROTOCOL.md).
const approveRoute = "/v1/ceremony/approve"

// presence refuses approvals: the dev server has no UI in which a person could approve. With the test-only
// flag it lets them through, so tools can drive whole ceremonies.
func presence(next http.Handler, autoApprove bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == approveRoute && !autoApprove {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":{"name":"NotAllowedError","u2fCode":1,"message":"the dev server has no consent UI: nothing is approved without -auto-approve-for-tests"}}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// dirStorage keeps each key in a file; writes are atomic (temporary file, then rename).
type dirStorage string

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func (d dirStorage) path(key string) (string, error) {
	if !keyPattern.MatchString(key) {
		return "", fmt.Errorf("devserver: bad storage key %q", key)
	}
	return filepath.Join(string(d), key), nil
}

func (d dirStorage) Get(_ context.Context, key string) ([]byte, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

func (d dirStorage) Set(_ context.Context, key string, value []byte) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(string(d), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(value); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}

func (d dirStorage) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
