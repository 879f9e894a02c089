package client

import (
	"context"
	"crypto/sha256"
	"encoding/base64"

	"github.com/twinkey/twinkey/core"
	"github.com/twinkey/twinkey/core/counter"
	"github.com/twinkey/twinkey/core/ctap1"
	"github.com/twinkey/twinkey/core/rules"
	"github.com/twinkey/twinkey/core/webauthn"
)

// U2F client data types (FIDO U2F JavaScript API v1.1 §7.1 "typ").
const (
	u2fTypRegister = "navigator.id.finishEnrollment"
	u2fTypSign     = "navigator.id.getAssertion"
)

// u2fClientData is the U2F ClientData JSON (U2F JS API v1.1 §7.1): typ, challenge (verbatim), origin (the FacetID),
// and cid_pubkey "unused" (no TLS channel ID). Relying parties hash the exact bytes returned, so member order is
// free; this order is the historical one.
func u2fClientData(typ, challenge, facetID string) []byte {
	return []byte(`{"typ":` + webauthn.CCDToString(typ) + `,"challenge":` + webauthn.CCDToString(challenge) +
		`,"origin":` + webauthn.CCDToString(facetID) + `,"cid_pubkey":"unused"}`)
}

var b64u = base64.RawURLEncoding

// U2FRegisterPlan is a validated u2f.register() request.
type U2FRegisterPlan struct {
	Caller    Caller
	Request   *rules.U2FRegisterRequest
	AppID     string
	Challenge string // of the U2F_V2 register request that will be answered
	Handler   Handler
}

// PrepareU2FRegister applies the U2F JS API rules (v1.1 §4.1, AppID & Facets v1.2 §3).
func PrepareU2FRegister(caller Caller, untrustedRequest []byte) (*U2FRegisterPlan, error) {
	req, err := rules.ParseU2FRegister(untrustedRequest)
	if err != nil {
		return nil, err
	}
	appID, err := rules.EffectiveAppID(caller.Origin, req.AppID)
	if err != nil {
		return nil, err
	}
	p := &U2FRegisterPlan{Caller: caller, Request: req, AppID: appID, Handler: HandlerTwinkey}
	for _, r := range req.RegisterRequests {
		if r.Version == ctap1.Version {
			p.Challenge = r.Challenge
			break
		}
	}
	if p.Challenge == "" {
		return nil, rules.Errorf(rules.KindNotSupported, "no %s register request", ctap1.Version)
	}
	return p, nil
}

// Excluded reports whether a registeredKey is already this authenticator's for its AppID (U2F JS API v1.1
// §4.1.1: then the answer is DEVICE_INELIGIBLE, after the user touched the key).
func (p *U2FRegisterPlan) Excluded(a *core.Authenticator) bool {
	for _, k := range p.Request.RegisteredKeys {
		app := p.AppID
		if k.AppID != "" {
			var err error
			if app, err = rules.EffectiveAppID(p.Caller.Origin, k.AppID); err != nil {
				continue
			}
		}
		if a.IsMine(k.KeyHandle, sha256.Sum256([]byte(app))) {
			return true
		}
	}
	return false
}

// U2FRegisterResponse is the U2F JS API v1.1 RegisterResponse, plus the echoed request fields CryptoToken sent.
type U2FRegisterResponse struct {
	Version          string `json:"version"`
	RegistrationData string `json:"registrationData"`
	ClientData       string `json:"clientData"`
	Challenge        string `json:"challenge"`
	AppID            string `json:"appId"`
}

// U2FRegister runs an approved u2f.register().
func U2FRegister(ctx context.Context, a *core.Authenticator, p *U2FRegisterPlan, ap core.Approval) (*U2FRegisterResponse, error) {
	if !ap.UserPresent {
		return nil, MapError(core.ErrNotApproved)
	}
	if p.Excluded(a) {
		return nil, MapError(core.ErrExcluded)
	}
	clientData := u2fClientData(u2fTypRegister, p.Challenge, p.Caller.Origin.String())
	data, err := a.U2FRegister(ctx, ctap1.RegisterRequest{
		Challenge: sha256.Sum256(clientData), Application: sha256.Sum256([]byte(p.AppID)),
	}, ap)
	if err != nil {
		return nil, MapError(err)
	}
	return &U2FRegisterResponse{Version: ctap1.Version, RegistrationData: b64u.EncodeToString(data),
		ClientData: b64u.EncodeToString(clientData), Challenge: p.Challenge, AppID: p.AppID}, nil
}

// U2FSignPlan is a validated u2f.sign() request.
type U2FSignPlan struct {
	Caller  Caller
	Request *rules.U2FSignRequest
	AppID   string
	Handler Handler
	// candidates pairs each registered key with its validated AppID.
	candidates []u2fCandidate
}

type u2fCandidate struct {
	handle     []byte
	handleText string // the page's string, echoed verbatim in SignResponse.keyHandle
	appID      string
}

// PrepareU2FSign applies the U2F JS API rules (v1.1 §4.2). A registered key whose own appId is not authorised for
// the caller is dropped, as CryptoToken did; if none remains the request is refused.
func PrepareU2FSign(caller Caller, untrustedRequest []byte) (*U2FSignPlan, error) {
	req, err := rules.ParseU2FSign(untrustedRequest)
	if err != nil {
		return nil, err
	}
	appID, err := rules.EffectiveAppID(caller.Origin, req.AppID)
	if err != nil {
		return nil, err
	}
	p := &U2FSignPlan{Caller: caller, Request: req, AppID: appID, Handler: HandlerTwinkey}
	var lastErr error
	for _, k := range req.RegisteredKeys {
		app := appID
		if k.AppID != "" {
			if app, err = rules.EffectiveAppID(caller.Origin, k.AppID); err != nil {
				lastErr = err
				continue
			}
		}
		p.candidates = append(p.candidates, u2fCandidate{handle: k.KeyHandle, handleText: k.KeyHandleText, appID: app})
	}
	if len(p.candidates) == 0 {
		if lastErr != nil {
			return nil, lastErr
		}
		return nil, rules.Errorf(rules.KindIneligible, "no registered keys")
	}
	return p, nil
}

// KeyHandles returns the registered key handles that are this authenticator's.
func (p *U2FSignPlan) KeyHandles(a *core.Authenticator) [][]byte {
	var out [][]byte
	for _, c := range p.candidates {
		if a.IsMine(c.handle, sha256.Sum256([]byte(c.appID))) {
			out = append(out, c.handle)
		}
	}
	return out
}

// Route decides, with the device secret, whether any registered key is Twinkey's.
func (p *U2FSignPlan) Route(a *core.Authenticator) {
	if len(p.KeyHandles(a)) == 0 {
		p.Handler = HandlerPlatform
	}
}

// U2FSignResponse is the U2F JS API v1.1 SignResponse.
type U2FSignResponse struct {
	KeyHandle     string `json:"keyHandle"`
	SignatureData string `json:"signatureData"`
	ClientData    string `json:"clientData"`
}

// U2FSign runs an approved u2f.sign() with the first registered key that is this authenticator's.
func U2FSign(ctx context.Context, a *core.Authenticator, p *U2FSignPlan, ap core.Approval, policy counter.Policy) (*U2FSignResponse, error) {
	clientData := u2fClientData(u2fTypSign, p.Request.Challenge, p.Caller.Origin.String())
	for _, c := range p.candidates {
		app := sha256.Sum256([]byte(c.appID))
		if !a.IsMine(c.handle, app) {
			continue
		}
		if !ap.UserPresent {
			return nil, MapError(core.ErrNotApproved)
		}
		data, err := a.U2FAuthenticate(ctx, ctap1.AuthenticateRequest{
			Control: ctap1.ControlEnforceUserPresence, Challenge: sha256.Sum256(clientData), Application: app, KeyHandle: c.handle,
		}, ap, policy)
		if err != nil {
			return nil, MapError(err)
		}
		return &U2FSignResponse{KeyHandle: c.handleText, SignatureData: b64u.EncodeToString(data),
			ClientData: b64u.EncodeToString(clientData)}, nil
	}
	return nil, MapError(core.ErrNoCredential)
}
