package bridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/twinkey/twinkey/core/rules"
	"github.com/twinkey/twinkey/core/vault"
)

// Error is the one error shape of every route (bridge/PROTOCOL.md):
//
//	{"error": {"name": "NotAllowedError", "u2fCode": 1, "message": "…"}}
type Error struct {
	Status  int    `json:"-"`
	Name    string `json:"name"`
	U2FCode int    `json:"u2fCode"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Name + ": " + e.Message }

// Vault error names (bridge/PROTOCOL.md); they never reach a web page.
var (
	errVaultMissing = &Error{Status: http.StatusConflict, Name: "VaultMissing", U2FCode: 1, Message: "Twinkey has no vault yet: create or restore one first."}
	errVaultLocked  = &Error{Status: http.StatusForbidden, Name: "VaultLocked", U2FCode: 1, Message: "Twinkey is locked: enter your passphrase."}
	errVaultExists  = &Error{Status: http.StatusConflict, Name: "VaultExists", U2FCode: 1, Message: "A vault exists already: erase it first."}
)

// toError is the one mapping from Go errors to the bridge's error shape.
func toError(err error) *Error {
	var be *Error
	var re *rules.Error
	var uw *vault.UnknownWordError
	switch {
	case errors.As(err, &be):
		return be
	case errors.As(err, &re):
		return &Error{Status: http.StatusBadRequest, Name: re.Kind.DOMExceptionName(), U2FCode: re.Kind.U2FErrorCode(false), Message: re.Message}
	case errors.Is(err, vault.ErrWrongPassphrase):
		return &Error{Status: http.StatusForbidden, Name: "WrongPassphrase", U2FCode: 1, Message: "That passphrase is not right."}
	case errors.As(err, &uw), errors.Is(err, vault.ErrWordCount), errors.Is(err, vault.ErrChecksum):
		return &Error{Status: http.StatusBadRequest, Name: "BadPhrase", U2FCode: 1, Message: err.Error()}
	case errors.Is(err, vault.ErrWeakPassphrase):
		return &Error{Status: http.StatusBadRequest, Name: "WeakPassphrase", U2FCode: 1, Message: err.Error()}
	}
	// Internal failures: the detail is for the developer console of the extension, never a secret.
	return &Error{Status: http.StatusInternalServerError, Name: "NotReadableError", U2FCode: 1, Message: "Twinkey failed: " + err.Error()}
}

func writeError(w http.ResponseWriter, err error) {
	e := toError(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(struct {
		Error *Error `json:"error"`
	}{e})
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
