package main

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/tstranex/u2f"
)

// u2fBeginRequest is the body of POST /api/u2f/register/begin and /api/u2f/sign/begin.
type u2fBeginRequest struct {
	Username string `json:"username"`
	// AppID defaults to the page's origin, the AppID a U2F site uses for itself (FIDO AppID and Facet v1.2 §3.1.2
	// step 2). The page's origin is the only trusted facet.
	AppID string `json:"appId"`
}

// u2fRegisterOptions is what the page passes to u2f.register(appId, registerRequests, registeredKeys, callback).
type u2fRegisterOptions struct {
	AppID            string                `json:"appId"`
	RegisterRequests []u2f.RegisterRequest `json:"registerRequests"`
	RegisteredKeys   []u2f.RegisteredKey   `json:"registeredKeys"`
}

// u2fRegistrationsLocked lists the user's U2F registrations under appID. The caller holds s.store.mu.
func u2fRegistrationsLocked(u *user, appID string) (records []*credentialRecord, regs []u2f.Registration) {
	for _, c := range u.Credentials {
		if c.Source == sourceU2F && c.AppID == appID {
			records = append(records, c)
			regs = append(regs, *c.U2F)
		}
	}
	return records, regs
}

func (s *server) handleU2FRegisterBegin(w http.ResponseWriter, r *http.Request) {
	var req u2fBeginRequest
	if err := decodeBeginRequest(w, r, &req, &req.Username); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err)
		return
	}
	origin := requestOrigin(r)
	appID := orDefault(req.AppID, origin)
	challenge, err := u2f.NewChallenge(appID, []string{origin})
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, fmt.Errorf("u2f challenge: %w", err))
		return
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	u, err := s.store.userLocked(req.Username, true)
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, err)
		return
	}
	_, regs := u2fRegistrationsLocked(u, appID)
	web := u2f.NewWebRegisterRequest(challenge, regs)
	opts := u2fRegisterOptions{AppID: web.AppID, RegisterRequests: web.RegisterRequests, RegisteredKeys: web.RegisteredKeys}
	if opts.RegisteredKeys == nil {
		opts.RegisteredKeys = []u2f.RegisteredKey{}
	}
	id, err := s.store.beginLocked(&ceremony{Kind: ceremonyU2FRegister, User: u.Name, Origin: origin, AppID: appID, U2F: challenge}, s.now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyResponse{OK: true, Ceremony: id, Options: opts})
}

// handleU2FRegisterFinish verifies a RegisterResponse (FIDO U2F JavaScript API v1.1 §3.2) with tstranex/u2f. The
// attestation certificate is recorded, not checked against a root: software keys attest with their own.
func (s *server) handleU2FRegisterFinish(w http.ResponseWriter, r *http.Request) {
	var resp u2f.RegisterResponse
	decodeErr := decodeBody(w, r, &resp)
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	c, err := s.store.takeLocked(r.URL.Query().Get("ceremony"), ceremonyU2FRegister, s.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, codeCeremony, err)
		return
	}
	ev := event{Time: s.now(), Op: c.Kind, User: c.User, Origin: requestOrigin(r), AppID: c.AppID}
	if decodeErr != nil {
		s.refuse(w, ev, http.StatusBadRequest, codeBadRequest, decodeErr)
		return
	}
	u, err := s.store.userLocked(c.User, false)
	if err != nil {
		s.refuse(w, ev, http.StatusBadRequest, codeUnknownUser, err)
		return
	}
	reg, err := u2f.Register(resp, *c.U2F, &u2f.Config{SkipAttestationVerify: true})
	if err != nil {
		s.refuse(w, ev, http.StatusBadRequest, codeVerification, fmt.Errorf("verify u2f registration: %w", err))
		return
	}
	cred, err := credentialFromU2F(reg)
	if err != nil {
		s.refuse(w, ev, http.StatusBadRequest, codeVerification, err)
		return
	}
	rec := &credentialRecord{Source: sourceU2F, AppID: c.AppID, Origin: ev.Origin, Credential: cred, U2F: reg, Created: s.now()}
	if reg.AttestationCert != nil {
		rec.AttestationSubject = reg.AttestationCert.Subject.String()
	}
	u.Credentials = append(u.Credentials, rec)
	ev.OK, ev.CredentialID, ev.Format = true, rec.toJSON().ID, cred.AttestationFormat
	s.store.recordLocked(ev)
	writeJSON(w, http.StatusOK, credentialResultJSON{OK: true, User: u.Name, Credential: rec.toJSON()})
}

// credentialFromU2F turns a U2F registration into the credential record go-webauthn verifies an appid assertion
// against (W3C WebAuthn Level 3 §10.1.1): the key handle is the credential ID, the public key is the raw
// uncompressed point (go-webauthn parses it with webauthncose.ParseFIDOPublicKey when the appid extension was
// used), the attestation format is fido-u2f, and the counter starts at zero since a U2F registration reports none.
func credentialFromU2F(reg *u2f.Registration) (webauthn.Credential, error) {
	point, err := reg.PubKey.ECDH()
	if err != nil {
		return webauthn.Credential{}, fmt.Errorf("u2f registration public key: %w", err)
	}
	return webauthn.Credential{
		ID:                reg.KeyHandle,
		PublicKey:         point.Bytes(),
		AttestationType:   "basic_full",
		AttestationFormat: string(protocol.AttestationFormatFIDOUniversalSecondFactor),
		Transport:         []protocol.AuthenticatorTransport{protocol.USB},
	}, nil
}

// u2fSignOptions is what the page passes to u2f.sign(appId, challenge, registeredKeys, callback).
type u2fSignOptions = u2f.WebSignRequest

func (s *server) handleU2FSignBegin(w http.ResponseWriter, r *http.Request) {
	var req u2fBeginRequest
	if err := decodeBeginRequest(w, r, &req, &req.Username); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err)
		return
	}
	origin := requestOrigin(r)
	appID := orDefault(req.AppID, origin)
	challenge, err := u2f.NewChallenge(appID, []string{origin})
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, fmt.Errorf("u2f challenge: %w", err))
		return
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	u, err := s.store.userLocked(req.Username, false)
	if err != nil {
		writeError(w, http.StatusNotFound, codeUnknownUser, err)
		return
	}
	records, regs := u2fRegistrationsLocked(u, appID)
	if len(regs) == 0 {
		writeError(w, http.StatusNotFound, codeNoCredentials, fmt.Errorf("user %q has no U2F registration for AppID %q", u.Name, appID))
		return
	}
	opts := challenge.SignRequest(regs)
	id, err := s.store.beginLocked(&ceremony{Kind: ceremonyU2FSign, User: u.Name, Origin: origin, AppID: appID, U2F: challenge, Allowed: records}, s.now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyResponse{OK: true, Ceremony: id, Options: u2fSignOptions(*opts)})
}

// handleU2FSignFinish verifies a SignResponse (FIDO U2F JavaScript API v1.1 §3.3) with tstranex/u2f and applies
// the counter rule. tstranex/u2f refuses only a counter below the stored one (u2f.ErrCounterTooLow); this RP also
// refuses an equal one, the rule go-webauthn applies (both zero excepted), so both APIs judge counters alike.
func (s *server) handleU2FSignFinish(w http.ResponseWriter, r *http.Request) {
	var resp u2f.SignResponse
	decodeErr := decodeBody(w, r, &resp)
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	c, err := s.store.takeLocked(r.URL.Query().Get("ceremony"), ceremonyU2FSign, s.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, codeCeremony, err)
		return
	}
	ev := event{Time: s.now(), Op: c.Kind, User: c.User, Origin: requestOrigin(r), AppID: c.AppID, CredentialID: resp.KeyHandle}
	if decodeErr != nil {
		s.refuse(w, ev, http.StatusBadRequest, codeBadRequest, decodeErr)
		return
	}
	rec := findU2FRecord(c.Allowed, resp.KeyHandle)
	if rec == nil {
		s.refuse(w, ev, http.StatusBadRequest, codeVerification, fmt.Errorf("u2f sign: key handle %q was not offered", resp.KeyHandle))
		return
	}
	stored := rec.Credential.Authenticator.SignCount
	counter, err := rec.U2F.Authenticate(resp, *c.U2F, stored)
	switch {
	case errors.Is(err, u2f.ErrCounterTooLow):
		rec.Refusals++
		s.refuse(w, ev, http.StatusForbidden, codePossibleClone, fmt.Errorf("%w: stored %d (%v)", errPossibleClone, stored, err))
		return
	case err != nil:
		s.refuse(w, ev, http.StatusBadRequest, codeVerification, fmt.Errorf("verify u2f signature: %w", err))
		return
	case counter <= stored && (counter != 0 || stored != 0):
		rec.Refusals++
		ev.SignCount = counter
		s.refuse(w, ev, http.StatusForbidden, codePossibleClone, fmt.Errorf("%w: stored %d, received %d", errPossibleClone, stored, counter))
		return
	}
	rec.Credential.Authenticator.SignCount = counter
	rec.Logins++
	ev.OK, ev.SignCount, ev.Format = true, counter, rec.Credential.AttestationFormat
	s.store.recordLocked(ev)
	writeJSON(w, http.StatusOK, credentialResultJSON{OK: true, User: c.User, Credential: rec.toJSON()})
}

// findU2FRecord finds the record whose key handle is keyHandle (base64url, the form the U2F API uses).
func findU2FRecord(records []*credentialRecord, keyHandle string) *credentialRecord {
	kh, err := base64.RawURLEncoding.DecodeString(trimPadding(keyHandle))
	if err != nil {
		return nil
	}
	for _, c := range records {
		if subtle.ConstantTimeCompare(c.Credential.ID, kh) == 1 {
			return c
		}
	}
	return nil
}

func trimPadding(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}
