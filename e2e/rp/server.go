package main

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
)

//go:embed pages
var pagesFS embed.FS

// errorCode classifies a refusal for tests; the message says the rest.
type errorCode string

const (
	codeBadRequest    errorCode = "bad-request"      // malformed JSON or parameters
	codeUnknownUser   errorCode = "unknown-user"     // login for a user that does not exist
	codeNoCredentials errorCode = "no-credentials"   // login for a user without matching credentials
	codeCeremony      errorCode = "unknown-ceremony" // finish without a matching, unexpired begin
	codeVerification  errorCode = "verification"     // the verifier library rejected the response
	codePossibleClone errorCode = "possible-clone"   // signature counter did not increase
	codeInternal      errorCode = "internal"
)

// maxRequestBodySize bounds every JSON request body.
const maxRequestBodySize = 64 << 10

// errPossibleClone is the refusal of a login whose signature counter did not increase (W3C WebAuthn Level 3
// §7.2 step 22; FIDO U2F raw messages §4.1): either the authenticator was cloned or it malfunctions.
var errPossibleClone = errors.New("possible cloned authenticator: the signature counter did not increase")

// vendorFiles maps the URL paths of the browser libraries the pages load to files inside node_modules.
var vendorFiles = map[string]string{
	"/vendor/simplewebauthn-browser.umd.js": "@simplewebauthn/browser/dist/bundle/index.umd.min.js",
	"/vendor/u2f-api.js":                    "u2f-api-polyfill/u2f-api-polyfill.js",
}

// server is the RP's http.Handler.
type server struct {
	store       *store
	nodeModules string
	topOrigins  []string // origins the RP serves: the acceptable topOrigin of a cross-origin ceremony
	mux         *http.ServeMux
	now         func() time.Time
}

func newServer(nodeModules string, topOrigins []string) (*server, error) {
	s := &server{store: newStore(), nodeModules: nodeModules, topOrigins: topOrigins, mux: http.NewServeMux(), now: time.Now}
	pages, err := fs.Sub(pagesFS, "pages")
	if err != nil {
		return nil, fmt.Errorf("embedded pages: %w", err)
	}
	s.mux.Handle("GET /", noStore(http.FileServerFS(pages)))
	s.mux.HandleFunc("GET /vendor/", s.serveVendor)
	s.mux.HandleFunc("GET /api/state", s.handleState)
	s.mux.HandleFunc("POST /api/reset", s.handleReset)
	s.mux.HandleFunc("POST /api/webauthn/register/begin", s.handleWebAuthnRegisterBegin)
	s.mux.HandleFunc("POST /api/webauthn/register/finish", s.handleWebAuthnRegisterFinish)
	s.mux.HandleFunc("POST /api/webauthn/login/begin", s.handleWebAuthnLoginBegin)
	s.mux.HandleFunc("POST /api/webauthn/login/finish", s.handleWebAuthnLoginFinish)
	s.mux.HandleFunc("POST /api/u2f/register/begin", s.handleU2FRegisterBegin)
	s.mux.HandleFunc("POST /api/u2f/register/finish", s.handleU2FRegisterFinish)
	s.mux.HandleFunc("POST /api/u2f/sign/begin", s.handleU2FSignBegin)
	s.mux.HandleFunc("POST /api/u2f/sign/finish", s.handleU2FSignFinish)
	return s, nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// noStore keeps the browser from caching pages, so a rebuilt RP is always what the tests see.
func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func (s *server) serveVendor(w http.ResponseWriter, r *http.Request) {
	rel, ok := vendorFiles[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	http.ServeFile(w, r, filepath.Join(s.nodeModules, filepath.FromSlash(rel)))
}

// requestOrigin is the origin of the page that called the API: the scheme of the listener and the Host the
// browser asked for (W3C HTML "origin" serialisation: scheme://host[:port]).
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// requestHostname is the host of requestOrigin without its port: the default RP ID.
func requestHostname(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.Host); err == nil {
		return host
	}
	return r.Host
}

// apiError is the body of every refusal.
type apiError struct {
	OK    bool      `json:"ok"`
	Code  errorCode `json:"code"`
	Error string    `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code errorCode, err error) {
	writeJSON(w, status, apiError{OK: false, Code: code, Error: describeError(err)})
}

// describeError renders err with go-webauthn's debugging details, which its Error() leaves out.
func describeError(err error) string {
	var perr *protocol.Error
	if errors.As(err, &perr) && perr.DevInfo != "" {
		return fmt.Sprintf("%v (%s)", err, perr.DevInfo)
	}
	return err.Error()
}

// decodeBody reads a JSON request body of at most maxRequestBodySize bytes into v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBodySize))
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode request body: %w", err)
	}
	return nil
}

// errMissingUsername refuses a begin call without a user name.
var errMissingUsername = errors.New("username is required")

// decodeBeginRequest decodes the body of a begin call into req, whose user name field is username.
func decodeBeginRequest(w http.ResponseWriter, r *http.Request, req any, username *string) error {
	if err := decodeBody(w, r, req); err != nil {
		return err
	}
	if *username == "" {
		return errMissingUsername
	}
	return nil
}

func (s *server) handleState(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.store.snapshot(r.URL.Query().Get("user")))
}

func (s *server) handleReset(w http.ResponseWriter, r *http.Request) {
	s.store.reset()
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
