package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/tstranex/u2f"
)

// credentialSource names the API a credential was registered through.
type credentialSource string

const (
	sourceWebAuthn credentialSource = "webauthn" // navigator.credentials.create
	sourceU2F      credentialSource = "u2f"      // window.u2f.register (FIDO U2F JavaScript API v1.1)
)

// credentialRecord is one registered credential and its stored signature counter.
//
// For a U2F registration, Credential is derived from it (key handle as credential ID, the raw uncompressed P-256
// point as public key, attestation format fido-u2f), which is the record go-webauthn expects for an assertion made
// with the appid extension (W3C WebAuthn Level 3 §10.1.1). Both paths read and write Credential.Authenticator.SignCount.
type credentialRecord struct {
	Source     credentialSource
	RPID       string // WebAuthn RP ID; empty for a U2F registration
	AppID      string // U2F AppID; empty for a WebAuthn credential
	Origin     string // origin of the page that registered it
	Credential webauthn.Credential
	U2F        *u2f.Registration // nil for a WebAuthn credential
	// AttestationSubject is the subject of the attestation certificate, empty without one.
	AttestationSubject string
	Logins             int // accepted logins
	Refusals           int // logins refused for a counter that did not increase
	Created            time.Time
}

// user is an account of the RP; WebAuthn and U2F credentials hang off it.
type user struct {
	Name        string
	ID          []byte // WebAuthn user handle: 16 random bytes
	Credentials []*credentialRecord
}

// webauthnAccount presents a user with a chosen subset of its credentials to go-webauthn.
type webauthnAccount struct {
	user        *user
	credentials []webauthn.Credential
}

func (a webauthnAccount) WebAuthnID() []byte                         { return a.user.ID }
func (a webauthnAccount) WebAuthnName() string                       { return a.user.Name }
func (a webauthnAccount) WebAuthnDisplayName() string                { return a.user.Name }
func (a webauthnAccount) WebAuthnCredentials() []webauthn.Credential { return a.credentials }

// ceremonyKind names the four ceremonies the RP runs.
type ceremonyKind string

const (
	ceremonyWebAuthnRegister ceremonyKind = "webauthn.register"
	ceremonyWebAuthnLogin    ceremonyKind = "webauthn.login"
	ceremonyU2FRegister      ceremonyKind = "u2f.register"
	ceremonyU2FSign          ceremonyKind = "u2f.sign"
)

// ceremony is the server half of a begun registration or login, found again by its ID at the finish step.
type ceremony struct {
	Kind    ceremonyKind
	User    string
	Origin  string
	RP      *webauthn.WebAuthn    // WebAuthn ceremonies
	Session *webauthn.SessionData // WebAuthn ceremonies
	AppID   string                // appid extension (WebAuthn login) or U2F AppID
	U2F     *u2f.Challenge        // U2F ceremonies
	Allowed []*credentialRecord   // credentials offered at begin (login ceremonies); discoverable: the user's, at finish
	// Discoverable: a username-less login; User is empty until the user handle names the account.
	Discoverable bool
	Expires      time.Time
}

// event is one finished ceremony, kept for GET /api/state.
type event struct {
	Time         time.Time    `json:"time"`
	Op           ceremonyKind `json:"op"`
	User         string       `json:"user"`
	Origin       string       `json:"origin"`
	RPID         string       `json:"rpId,omitempty"`
	AppID        string       `json:"appId,omitempty"`
	OK           bool         `json:"ok"`
	Code         errorCode    `json:"code,omitempty"`
	Error        string       `json:"error,omitempty"`
	CredentialID string       `json:"credentialId,omitempty"`
	SignCount    uint32       `json:"signCount"`
	Format       string       `json:"format,omitempty"`
}

// maxEvents bounds the event log.
const maxEvents = 200

// ceremonyLifetime bounds how long a begun ceremony can be finished.
const ceremonyLifetime = 5 * time.Minute

var (
	errUnknownCeremony = errors.New("unknown or expired ceremony")
	errUnknownUser     = errors.New("unknown user")
)

// store holds every user, pending ceremony and event. All access goes through its mutex.
type store struct {
	mu         sync.Mutex
	users      map[string]*user
	ceremonies map[string]*ceremony
	events     []event
}

func newStore() *store {
	return &store{users: map[string]*user{}, ceremonies: map[string]*ceremony{}}
}

// userLocked returns the named user, creating it when create is set. The caller holds s.mu.
// userByHandleLocked finds a user by WebAuthn user handle, or returns nil.
func (s *store) userByHandleLocked(handle []byte) *user {
	for _, u := range s.users {
		if bytes.Equal(u.ID, handle) {
			return u
		}
	}
	return nil
}

func (s *store) userLocked(name string, create bool) (*user, error) {
	if u, ok := s.users[name]; ok {
		return u, nil
	}
	if !create {
		return nil, fmt.Errorf("%w %q", errUnknownUser, name)
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("user handle: %w", err)
	}
	u := &user{Name: name, ID: id}
	s.users[name] = u
	return u, nil
}

// beginLocked stores c and returns its ID. The caller holds s.mu.
func (s *store) beginLocked(c *ceremony, now time.Time) (string, error) {
	for id, old := range s.ceremonies {
		if now.After(old.Expires) {
			delete(s.ceremonies, id)
		}
	}
	raw := make([]byte, 18)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("ceremony id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(raw)
	c.Expires = now.Add(ceremonyLifetime)
	s.ceremonies[id] = c
	return id, nil
}

// takeLocked removes and returns the ceremony id of the given kind: each ceremony finishes once.
func (s *store) takeLocked(id string, kind ceremonyKind, now time.Time) (*ceremony, error) {
	c, ok := s.ceremonies[id]
	if !ok || c.Kind != kind || now.After(c.Expires) {
		return nil, fmt.Errorf("%w (%s)", errUnknownCeremony, kind)
	}
	delete(s.ceremonies, id)
	return c, nil
}

func (s *store) recordLocked(e event) {
	s.events = append(s.events, e)
	if len(s.events) > maxEvents {
		s.events = s.events[len(s.events)-maxEvents:]
	}
}

// stateJSON is the body of GET /api/state.
type stateJSON struct {
	Users      []userJSON `json:"users"`
	Events     []event    `json:"events"`
	LastResult *event     `json:"lastResult"`
}

type userJSON struct {
	Name        string           `json:"name"`
	ID          string           `json:"id"`
	Credentials []credentialJSON `json:"credentials"`
}

type credentialJSON struct {
	ID                 string           `json:"id"` // base64url, no padding
	Source             credentialSource `json:"source"`
	RPID               string           `json:"rpId,omitempty"`
	AppID              string           `json:"appId,omitempty"`
	Origin             string           `json:"origin"`
	Format             string           `json:"format"`
	AttestationType    string           `json:"attestationType"`
	AttestationSubject string           `json:"attestationSubject,omitempty"`
	AAGUID             string           `json:"aaguid,omitempty"` // hex
	PublicKey          string           `json:"publicKey"`        // base64url: COSE key, or raw point for U2F
	SignCount          uint32           `json:"signCount"`
	Logins             int              `json:"logins"`
	Refusals           int              `json:"refusals"`
	BackupEligible     bool             `json:"backupEligible"`
	UserVerified       bool             `json:"userVerified"`
}

func (r *credentialRecord) toJSON() credentialJSON {
	return credentialJSON{
		ID:                 base64.RawURLEncoding.EncodeToString(r.Credential.ID),
		Source:             r.Source,
		RPID:               r.RPID,
		AppID:              r.AppID,
		Origin:             r.Origin,
		Format:             r.Credential.AttestationFormat,
		AttestationType:    r.Credential.AttestationType,
		AttestationSubject: r.AttestationSubject,
		AAGUID:             fmt.Sprintf("%x", r.Credential.Authenticator.AAGUID),
		PublicKey:          base64.RawURLEncoding.EncodeToString(r.Credential.PublicKey),
		SignCount:          r.Credential.Authenticator.SignCount,
		Logins:             r.Logins,
		Refusals:           r.Refusals,
		BackupEligible:     r.Credential.Flags.BackupEligible,
		UserVerified:       r.Credential.Flags.UserVerified,
	}
}

// snapshot returns the state, restricted to one user when name is not empty.
func (s *store) snapshot(name string) stateJSON {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := stateJSON{Users: []userJSON{}, Events: []event{}}
	for _, u := range s.users {
		if name != "" && u.Name != name {
			continue
		}
		uj := userJSON{Name: u.Name, ID: base64.RawURLEncoding.EncodeToString(u.ID), Credentials: []credentialJSON{}}
		for _, r := range u.Credentials {
			uj.Credentials = append(uj.Credentials, r.toJSON())
		}
		st.Users = append(st.Users, uj)
	}
	for _, e := range s.events {
		if name == "" || e.User == name {
			st.Events = append(st.Events, e)
		}
	}
	if n := len(st.Events); n > 0 {
		last := st.Events[n-1]
		st.LastResult = &last
	}
	return st
}

// reset forgets every user, ceremony and event.
func (s *store) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = map[string]*user{}
	s.ceremonies = map[string]*ceremony{}
	s.events = nil
}
