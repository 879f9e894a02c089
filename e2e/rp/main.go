// Command rp is the relying party that Twinkey's end-to-end tests and demo drive. It is a test fixture, not a
// product: users and credentials live in memory and every state is readable through GET /api/state.
//
// It runs two independent verifiers we did not write:
//   - WebAuthn registration and login through github.com/go-webauthn/webauthn, attestation "none" or "direct"
//     (fido-u2f, packed) per request, and the FIDO AppID extension (W3C WebAuthn Level 3 §10.1.1) for
//     credentials registered through the legacy U2F API;
//   - legacy U2F registration and sign-in through github.com/tstranex/u2f (FIDO U2F JavaScript API v1.1).
//
// The RP always checks signature counters (W3C WebAuthn Level 3 §7.2 step 22, FIDO U2F raw messages §4.1):
// a login whose counter did not increase is refused with an error naming "possible cloned authenticator", and
// the stored counter is left as it was. A login that passes stores the new counter. A U2F registration and the
// WebAuthn credential derived from it are one record with one counter.
//
// The same handler is served on every listener, so the tests get several origins at once: two or more
// http://localhost:PORT origins (cross-origin iframes), and one https listener whose self-signed certificate,
// generated at start-up, names rp.example.test, evil.example.test, foo.co.uk and whatever -tls-names adds
// (Chromium reaches them with --host-resolver-rules and --ignore-certificate-errors).
//
// On start-up the command prints one JSON line on stdout, then serves until killed:
//
//	{"http":["127.0.0.1:40001","127.0.0.1:40002"],"https":"127.0.0.1:40443"}
//
// Usage:
//
//	go run ./e2e/rp -listen 127.0.0.1:0 -listen 127.0.0.1:0 -listen-tls 127.0.0.1:0
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// listenFlags collects a repeatable -listen flag.
type listenFlags []string

func (l *listenFlags) String() string { return strings.Join(*l, ",") }

func (l *listenFlags) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// readyLine is what the command prints once every listener is bound: the actual addresses, so callers can ask
// for port 0.
type readyLine struct {
	HTTP  []string `json:"http"`
	HTTPS string   `json:"https,omitempty"`
}

func main() {
	if err := run(); err != nil {
		log.Printf("rp: %v", err)
		os.Exit(1)
	}
}

func run() error {
	var httpAddrs listenFlags
	flag.Var(&httpAddrs, "listen", "`address` of an http listener (repeatable); default 127.0.0.1:0")
	tlsAddr := flag.String("listen-tls", "", "`address` of the https listener (self-signed certificate); empty: none")
	tlsNames := flag.String("tls-names", "rp.example.test,evil.example.test,sub.rp.example.test,foo.co.uk,localhost",
		"comma-separated DNS names the generated certificate covers")
	vendorDir := flag.String("node-modules", "", "`directory` of the e2e node_modules (browser libraries the pages load); default: e2e/node_modules or ./node_modules")
	flag.Parse()

	if len(httpAddrs) == 0 {
		httpAddrs = listenFlags{"127.0.0.1:0"}
	}
	modules, err := findNodeModules(*vendorDir)
	if err != nil {
		return err
	}

	var listeners []net.Listener
	var ready readyLine
	for _, addr := range httpAddrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", addr, err)
		}
		listeners = append(listeners, ln)
		ready.HTTP = append(ready.HTTP, ln.Addr().String())
	}
	var tlsListener net.Listener
	if *tlsAddr != "" {
		names := splitList(*tlsNames)
		cert, err := newSelfSignedCertificate(names, time.Now())
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", *tlsAddr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", *tlsAddr, err)
		}
		tlsListener = tlsWrap(ln, cert)
		ready.HTTPS = ln.Addr().String()
	}

	srv, err := newServer(modules, acceptedOrigins(ready, splitList(*tlsNames)))
	if err != nil {
		return err
	}
	httpServer := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}

	errs := make(chan error, len(listeners)+1)
	for _, ln := range listeners {
		go func() { errs <- httpServer.Serve(ln) }()
	}
	if tlsListener != nil {
		go func() { errs <- httpServer.Serve(tlsListener) }()
	}

	line, err := json.Marshal(ready)
	if err != nil {
		return fmt.Errorf("encode ready line: %w", err)
	}
	fmt.Println(string(line))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	select {
	case <-stop:
	case err := <-errs:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return httpServer.Shutdown(ctx)
}

// findNodeModules returns the node_modules directory holding the browser libraries the pages load.
func findNodeModules(flagValue string) (string, error) {
	candidates := []string{flagValue}
	if flagValue == "" {
		candidates = []string{"e2e/node_modules", "node_modules"}
		if exe, err := os.Executable(); err == nil {
			// A binary built into e2e/.bin/ finds e2e/node_modules next to it.
			candidates = append(candidates, filepath.Join(filepath.Dir(exe), "..", "node_modules"))
		}
	}
	for _, dir := range candidates {
		if dir == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, "@simplewebauthn")); err == nil && st.IsDir() {
			return filepath.Abs(dir)
		}
	}
	return "", fmt.Errorf("no node_modules with @simplewebauthn found in %v: run `cd e2e && npm ci`", candidates)
}

// acceptedOrigins lists the origins the RP serves pages on: http://localhost:P and http://127.0.0.1:P for each
// http listener, https://NAME:P for each certificate name on the https listener. They are the top-level origins
// it accepts for a ceremony run in a cross-origin iframe (W3C WebAuthn Level 3 §5.8.1 topOrigin).
func acceptedOrigins(r readyLine, tlsNames []string) []string {
	var out []string
	for _, a := range r.HTTP {
		_, p, _ := net.SplitHostPort(a)
		out = append(out, "http://localhost:"+p, "http://127.0.0.1:"+p)
	}
	if r.HTTPS != "" {
		_, p, _ := net.SplitHostPort(r.HTTPS)
		for _, name := range tlsNames {
			out = append(out, "https://"+name+":"+p)
		}
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
