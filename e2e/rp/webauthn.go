package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// rpDisplayName is the rp.name every ceremony carries.
const rpDisplayName = "Twinkey test RP"

// newRelyingParty configures go-webauthn for one ceremony: RP ID rpID, the calling page's origin, and the RP's
// own origins as acceptable top-level origins of a cross-origin iframe.
func (s *server) newRelyingParty(rpID, origin string) (*webauthn.WebAuthn, error) {
	rp, err := webauthn.New(&webauthn.Config{
		RPID:                        rpID,
		RPDisplayName:               rpDisplayName,
		RPOrigins:                   []string{origin},
		RPTopOrigins:                s.topOrigins,
		RPTopOriginVerificationMode: protocol.TopOriginExplicitVerificationMode,
		RPAllowCrossOrigin:          true,
	})
	if err != nil {
		return nil, fmt.Errorf("configure relying party %q for %s: %w", rpID, origin, err)
	}
	return rp, nil
}

// registerBeginRequest is the body of POST /api/webauthn/register/begin. Empty fields take the defaults.
type registerBeginRequest struct {
	Username         string `json:"username"`
	Attestation      string `json:"attestation"`      // none (default), indirect, direct, enterprise
	RPID             string `json:"rpId"`             // default: the page's host name
	UserVerification string `json:"userVerification"` // required, preferred, discouraged (default)
	ResidentKey      string `json:"residentKey"`      // required, preferred, discouraged (default)
	Attachment       string `json:"authenticatorAttachment"`
	NoExclude        bool   `json:"noExclude"` // leave the user's credentials out of excludeCredentials
	Timeout          int    `json:"timeout"`   // milliseconds; 0: go-webauthn's default
}

// ceremonyResponse answers a begin call: the ceremony ID to finish with, and the options for the browser API
// ({"publicKey": {...}} for WebAuthn, the U2F request for U2F).
type ceremonyResponse struct {
	OK       bool   `json:"ok"`
	Ceremony string `json:"ceremony"`
	Options  any    `json:"options"`
}

// credentialResultJSON answers a successful finish.
type credentialResultJSON struct {
	OK         bool           `json:"ok"`
	User       string         `json:"user"`
	Credential credentialJSON `json:"credential"`
	AppIDUsed  bool           `json:"appidUsed,omitempty"`
}

func (s *server) handleWebAuthnRegisterBegin(w http.ResponseWriter, r *http.Request) {
	var req registerBeginRequest
	if err := decodeBeginRequest(w, r, &req, &req.Username); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err)
		return
	}
	origin := requestOrigin(r)
	rpID := req.RPID
	if rpID == "" {
		rpID = requestHostname(r)
	}
	rp, err := s.newRelyingParty(rpID, origin)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err)
		return
	}
	selection := protocol.AuthenticatorSelection{
		AuthenticatorAttachment: protocol.AuthenticatorAttachment(req.Attachment),
		ResidentKey:             protocol.ResidentKeyRequirement(orDefault(req.ResidentKey, string(protocol.ResidentKeyRequirementDiscouraged))),
		UserVerification:        protocol.UserVerificationRequirement(orDefault(req.UserVerification, string(protocol.VerificationDiscouraged))),
	}
	if selection.ResidentKey == protocol.ResidentKeyRequirementRequired {
		selection.RequireResidentKey = protocol.ResidentKeyRequired()
	}
	opts := []webauthn.RegistrationOption{
		webauthn.WithConveyancePreference(protocol.ConveyancePreference(orDefault(req.Attestation, string(protocol.PreferNoAttestation)))),
		webauthn.WithAuthenticatorSelection(selection),
	}

	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	u, err := s.store.userLocked(req.Username, true)
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, err)
		return
	}
	if !req.NoExclude {
		var exclude []protocol.CredentialDescriptor
		for _, c := range u.Credentials {
			if c.Source == sourceWebAuthn && c.RPID == rpID {
				exclude = append(exclude, c.Credential.Descriptor())
			}
		}
		opts = append(opts, webauthn.WithExclusions(exclude))
	}
	if req.Timeout > 0 {
		opts = append(opts, withRegistrationTimeout(req.Timeout))
	}
	creation, session, err := rp.BeginRegistration(webauthnAccount{user: u}, opts...)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Errorf("begin registration: %w", err))
		return
	}
	id, err := s.store.beginLocked(&ceremony{Kind: ceremonyWebAuthnRegister, User: u.Name, Origin: origin, RP: rp, Session: session}, s.now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyResponse{OK: true, Ceremony: id, Options: creation})
}

func withRegistrationTimeout(ms int) webauthn.RegistrationOption {
	return func(o *protocol.PublicKeyCredentialCreationOptions) error {
		o.Timeout = ms
		return nil
	}
}

func withLoginTimeout(ms int) webauthn.LoginOption {
	return func(o *protocol.PublicKeyCredentialRequestOptions) error {
		o.Timeout = ms
		return nil
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// handleWebAuthnRegisterFinish verifies a registration response (the PublicKeyCredential as JSON, W3C WebAuthn
// Level 3 §5.1.3 toJSON) for the ceremony named by ?ceremony=.
func (s *server) handleWebAuthnRegisterFinish(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBodySize)
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	c, err := s.store.takeLocked(r.URL.Query().Get("ceremony"), ceremonyWebAuthnRegister, s.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, codeCeremony, err)
		return
	}
	ev := event{Time: s.now(), Op: c.Kind, User: c.User, Origin: requestOrigin(r), RPID: c.Session.RelyingPartyID}
	u, err := s.store.userLocked(c.User, false)
	if err != nil {
		s.refuse(w, ev, http.StatusBadRequest, codeUnknownUser, err)
		return
	}
	cred, err := c.RP.FinishRegistration(webauthnAccount{user: u}, *c.Session, r)
	if err != nil {
		s.refuse(w, ev, http.StatusBadRequest, codeVerification, fmt.Errorf("verify registration: %w", err))
		return
	}
	rec := &credentialRecord{
		Source: sourceWebAuthn, RPID: c.Session.RelyingPartyID, Origin: ev.Origin, Credential: *cred, Created: s.now(),
	}
	u.Credentials = append(u.Credentials, rec)
	ev.OK, ev.CredentialID, ev.SignCount, ev.Format = true, rec.toJSON().ID, cred.Authenticator.SignCount, cred.AttestationFormat
	s.store.recordLocked(ev)
	writeJSON(w, http.StatusOK, credentialResultJSON{OK: true, User: u.Name, Credential: rec.toJSON()})
}

// loginBeginRequest is the body of POST /api/webauthn/login/begin.
type loginBeginRequest struct {
	Username         string `json:"username"`
	RPID             string `json:"rpId"`             // default: the page's host name
	UserVerification string `json:"userVerification"` // default: discouraged
	// AppID asks for the appid extension (W3C WebAuthn Level 3 §10.1.1) so that credentials registered through the
	// U2F API are offered too. Its value is the AppID to send; "origin" or true means the page's origin, which is
	// the AppID a U2F site uses by default.
	AppID   any `json:"appid"`
	Timeout int `json:"timeout"`
	// Discoverable asks for a username-less login (W3C WebAuthn Level 3 §7.2, allowCredentials empty): the
	// authenticator offers its discoverable credentials and the user handle names the account. Username is
	// ignored.
	Discoverable bool `json:"discoverable"`
}

func (s *server) handleWebAuthnLoginBegin(w http.ResponseWriter, r *http.Request) {
	var req loginBeginRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err)
		return
	}
	if req.Discoverable {
		s.beginDiscoverableLogin(w, r, req)
		return
	}
	if req.Username == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, errMissingUsername)
		return
	}
	origin := requestOrigin(r)
	rpID := orDefault(req.RPID, requestHostname(r))
	appID := ""
	switch v := req.AppID.(type) {
	case bool:
		if v {
			appID = origin
		}
	case string:
		appID = v
		if v == "origin" {
			appID = origin
		}
	}
	rp, err := s.newRelyingParty(rpID, origin)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err)
		return
	}

	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	u, err := s.store.userLocked(req.Username, false)
	if err != nil {
		writeError(w, http.StatusNotFound, codeUnknownUser, err)
		return
	}
	allowed := loginCandidates(u, rpID, appID)
	if len(allowed) == 0 {
		writeError(w, http.StatusNotFound, codeNoCredentials, fmt.Errorf("user %q has no credential for RP ID %q (appid %q)", u.Name, rpID, appID))
		return
	}
	opts := []webauthn.LoginOption{
		webauthn.WithUserVerification(protocol.UserVerificationRequirement(orDefault(req.UserVerification, string(protocol.VerificationDiscouraged)))),
	}
	if appID != "" {
		opts = append(opts, webauthn.WithAssertionExtensions(webauthn.WithExtensionAppID(appID)))
	}
	if req.Timeout > 0 {
		opts = append(opts, withLoginTimeout(req.Timeout))
	}
	assertion, session, err := rp.BeginLogin(accountOf(u, allowed), opts...)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Errorf("begin login: %w", err))
		return
	}
	id, err := s.store.beginLocked(&ceremony{
		Kind: ceremonyWebAuthnLogin, User: u.Name, Origin: origin, RP: rp, Session: session, AppID: appID, Allowed: allowed,
	}, s.now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyResponse{OK: true, Ceremony: id, Options: assertion})
}

// beginDiscoverableLogin starts a login without allowCredentials; the finish step finds the user by handle.
func (s *server) beginDiscoverableLogin(w http.ResponseWriter, r *http.Request, req loginBeginRequest) {
	origin := requestOrigin(r)
	rp, err := s.newRelyingParty(orDefault(req.RPID, requestHostname(r)), origin)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err)
		return
	}
	opts := []webauthn.LoginOption{
		webauthn.WithUserVerification(protocol.UserVerificationRequirement(orDefault(req.UserVerification, string(protocol.VerificationPreferred)))),
	}
	if req.Timeout > 0 {
		opts = append(opts, withLoginTimeout(req.Timeout))
	}
	assertion, session, err := rp.BeginDiscoverableLogin(opts...)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Errorf("begin discoverable login: %w", err))
		return
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	id, err := s.store.beginLocked(&ceremony{Kind: ceremonyWebAuthnLogin, Origin: origin, RP: rp, Session: session,
		Discoverable: true}, s.now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyResponse{OK: true, Ceremony: id, Options: assertion})
}

// loginCandidates lists the user's credentials a login at rpID may use: WebAuthn credentials of that RP ID and,
// when appID is set, U2F registrations made under that AppID.
func loginCandidates(u *user, rpID, appID string) []*credentialRecord {
	var out []*credentialRecord
	for _, c := range u.Credentials {
		switch {
		case c.Source == sourceWebAuthn && c.RPID == rpID:
			out = append(out, c)
		case c.Source == sourceU2F && appID != "" && c.AppID == appID:
			out = append(out, c)
		}
	}
	return out
}

func accountOf(u *user, records []*credentialRecord) webauthnAccount {
	a := webauthnAccount{user: u}
	for _, c := range records {
		a.credentials = append(a.credentials, c.Credential)
	}
	return a
}

// handleWebAuthnLoginFinish verifies an assertion for the ceremony named by ?ceremony=, then applies the counter
// rule: go-webauthn flags a counter that did not increase with CloneWarning (W3C WebAuthn Level 3 §7.2 step 22);
// this RP refuses such a login and keeps the stored counter, and stores the new counter otherwise.
func (s *server) handleWebAuthnLoginFinish(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBodySize)
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	c, err := s.store.takeLocked(r.URL.Query().Get("ceremony"), ceremonyWebAuthnLogin, s.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, codeCeremony, err)
		return
	}
	ev := event{Time: s.now(), Op: c.Kind, User: c.User, Origin: requestOrigin(r), RPID: c.Session.RelyingPartyID, AppID: c.AppID}
	var u *user
	if !c.Discoverable {
		if u, err = s.store.userLocked(c.User, false); err != nil {
			s.refuse(w, ev, http.StatusBadRequest, codeUnknownUser, err)
			return
		}
	}
	parsed, err := protocol.ParseCredentialRequestResponse(r)
	if err != nil {
		s.refuse(w, ev, http.StatusBadRequest, codeVerification, fmt.Errorf("parse assertion: %w", err))
		return
	}
	ev.CredentialID = parsed.ID
	var verified *webauthn.Credential
	if c.Discoverable {
		// The user handle names the account (W3C WebAuthn Level 3 §7.2 step 6).
		byHandle := func(_, userHandle []byte) (webauthn.User, error) {
			u = s.store.userByHandleLocked(userHandle)
			if u == nil {
				return nil, fmt.Errorf("%w: no user has handle %x", errUnknownUser, userHandle)
			}
			ev.User, c.Allowed = u.Name, loginCandidates(u, c.Session.RelyingPartyID, "")
			return accountOf(u, c.Allowed), nil
		}
		verified, err = c.RP.ValidateDiscoverableLogin(byHandle, *c.Session, parsed)
	} else {
		verified, err = c.RP.ValidateLogin(accountOf(u, c.Allowed), *c.Session, parsed)
	}
	if err != nil {
		s.refuse(w, ev, http.StatusBadRequest, codeVerification, fmt.Errorf("verify assertion: %w", err))
		return
	}
	rec := findRecord(c.Allowed, verified.ID)
	if rec == nil { // go-webauthn found it among the same records
		s.refuse(w, ev, http.StatusInternalServerError, codeInternal, errors.New("verified credential is not in the store"))
		return
	}
	ev.SignCount = parsed.Response.AuthenticatorData.Counter
	if verified.Authenticator.CloneWarning {
		rec.Refusals++
		s.refuse(w, ev, http.StatusForbidden, codePossibleClone,
			fmt.Errorf("%w: stored %d, received %d", errPossibleClone, rec.Credential.Authenticator.SignCount, ev.SignCount))
		return
	}
	rec.Credential.Authenticator.SignCount = verified.Authenticator.SignCount
	rec.Credential.Flags = verified.Flags
	rec.Logins++
	appIDUsed := parsed.ClientExtensionResults.AppID != nil && *parsed.ClientExtensionResults.AppID
	ev.OK, ev.Format = true, rec.Credential.AttestationFormat
	s.store.recordLocked(ev)
	writeJSON(w, http.StatusOK, credentialResultJSON{OK: true, User: u.Name, Credential: rec.toJSON(), AppIDUsed: appIDUsed})
}

func findRecord(records []*credentialRecord, id []byte) *credentialRecord {
	for _, c := range records {
		if bytes.Equal(c.Credential.ID, id) {
			return c
		}
	}
	return nil
}

// refuse records a failed ceremony and answers it. The caller holds s.store.mu.
func (s *server) refuse(w http.ResponseWriter, ev event, status int, code errorCode, err error) {
	ev.OK, ev.Code, ev.Error = false, code, describeError(err)
	s.store.recordLocked(ev)
	writeError(w, status, code, err)
}
