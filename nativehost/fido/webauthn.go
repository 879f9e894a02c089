package fido

import (
	"context"
	"errors"
	"fmt"
	"slices"

	u2fmsg "github.com/twinkey/twinkey/core/ctap1"
	"github.com/twinkey/twinkey/core/webauthn"
	"github.com/twinkey/twinkey/nativehost/ctap2"
)

// MakeCredentialParams are the inputs of navigator.credentials.create() that reach the key.
type MakeCredentialParams struct {
	RPID           string
	RPName         string
	ClientDataHash []byte // SHA-256 of clientDataJSON, 32 bytes
	User           ctap2.UserEntity
	Algorithms     []int64  // pubKeyCredParams algorithms, in the RP's order
	ExcludeList    [][]byte // credential IDs
	ResidentKey    bool     // residentKey "required"
	UV             UserVerification
	AppIDExclude   string // appidExclude extension input, "" if absent
}

// Registration is the result of MakeCredential.
type Registration struct {
	CredentialID      []byte
	AttestationObject []byte // text keys, CTAP2 canonical CBOR
	AuthenticatorData []byte
	Transports        []string
	Protocol          string // "ctap2" or "ctap1"
}

// Assertion is the result of GetAssertion.
type Assertion struct {
	CredentialID      []byte
	AuthenticatorData []byte
	Signature         []byte
	UserHandle        []byte // only for discoverable credentials
	AppIDUsed         bool   // the appid extension output
	Protocol          string
}

// GetAssertionParams are the inputs of navigator.credentials.get() that reach the key.
type GetAssertionParams struct {
	RPID           string
	ClientDataHash []byte
	AllowList      [][]byte // empty: discoverable credentials (CTAP2 only)
	UV             UserVerification
	AppID          string // appid extension input, "" if absent
}

func checkClientDataHash(h []byte) error {
	if len(h) != 32 {
		return fmt.Errorf("%w: clientDataHash must be 32 bytes, got %d", ErrNotSupported, len(h))
	}
	return nil
}

// u2fConvertibleCreate reports whether a create() request can run as a U2F REGISTER (CTAP 2.1 §10.2; Chromium
// IsConvertibleToU2fRegisterCommand).
func u2fConvertibleCreate(p *MakeCredentialParams) bool {
	return !p.ResidentKey && p.UV != UVRequired && slices.Contains(p.Algorithms, ctap2.AlgES256)
}

// MakeCredential registers a credential (WebAuthn create) on CTAP2 or, when that is impossible or would need a PIN the
// request does not require, on U2F (CTAP 2.1 §10.2; Chromium make_credential_task.cc routes PIN-protected CTAP2 keys
// to U2F when UV is not required).
func (a *Authenticator) MakeCredential(ctx context.Context, p *MakeCredentialParams, ui Prompter) (*Registration, error) {
	if err := checkClientDataHash(p.ClientDataHash); err != nil {
		return nil, err
	}
	useU2F := a.ctap2 == nil || (a.pinState() == PINSet && p.UV != UVRequired && a.u2f != nil && u2fConvertibleCreate(p))
	var (
		reg *Registration
		err error
	)
	if useU2F {
		if a.u2f == nil || !u2fConvertibleCreate(p) {
			return nil, fmt.Errorf("%w: the key only speaks U2F (no resident keys, no user verification, ES256 only)", ErrNotSupported)
		}
		reg, err = a.makeCredentialU2F(ctx, p, ui)
	} else {
		reg, err = a.makeCredentialCTAP2(ctx, p, ui)
	}
	return reg, finish(ui, err)
}

func (a *Authenticator) makeCredentialCTAP2(ctx context.Context, p *MakeCredentialParams, ui Prompter) (*Registration, error) {
	if p.AppIDExclude != "" && len(p.ExcludeList) > 0 {
		// §6.8: credentials registered through U2F live under SHA-256(AppID): probe silently with rpId = AppID.
		found, err := a.probeCTAP2(ctx, p.AppIDExclude, p.ExcludeList)
		if err != nil {
			return nil, err
		}
		if found != nil {
			a.waitForTouch(ctx, ui)
			return nil, ErrCredentialExcluded
		}
	}
	algs := make([]ctap2.CredentialParameter, 0, len(p.Algorithms))
	for _, alg := range p.Algorithms {
		algs = append(algs, ctap2.CredentialParameter{Type: "public-key", Alg: alg})
	}
	exclude := a.descriptors(p.ExcludeList)
	if limit := a.info.MaxCredentialCountInList; limit > 0 && uint64(len(exclude)) > limit {
		// Too many for one request (CTAP 2.1 §6.4): find the excluded credential, if any, with silent probes and send
		// only that one, so that the key still collects a touch before answering CREDENTIAL_EXCLUDED.
		found, err := a.probeCTAP2(ctx, p.RPID, p.ExcludeList)
		if err != nil {
			return nil, err
		}
		exclude = nil
		if found != nil {
			exclude = []ctap2.CredentialDescriptor{{Type: "public-key", ID: found}}
		}
	}
	req := &ctap2.MakeCredentialRequest{
		ClientDataHash:   p.ClientDataHash,
		RP:               ctap2.RPEntity{ID: p.RPID, Name: p.RPName},
		User:             p.User,
		PubKeyCredParams: algs,
		ExcludeList:      exclude,
	}
	if p.ResidentKey {
		req.Options = map[string]bool{"rk": true}
	}
	if err := a.authorize(ctx, ui, p.UV, ctap2.PermissionMakeCredential, p.RPID, p.ClientDataHash,
		func(param []byte, proto ctap2.PINProtocol) {
			req.PinUvAuthParam, req.PinUvAuthProtocol = param, uint64(proto)
		}); err != nil {
		return nil, err
	}
	if len(req.ExcludeList) > 1 && !a.ctap2.Fits(ctap2.CmdMakeCredential, req) {
		// A key that does not report maxCredentialCountInList still bounds the request by maxMsgSize: find the
		// excluded credential with silent pre-flight getAssertions (up=false, one credential each; CTAP 2.1
		// §6.1.2 step 7, "pre-flight") and send only that one, or none.
		found, err := a.probeCTAP2(ctx, p.RPID, p.ExcludeList)
		if err != nil {
			return nil, err
		}
		req.ExcludeList = nil
		if found != nil {
			req.ExcludeList = []ctap2.CredentialDescriptor{{Type: "public-key", ID: found}}
		}
	}
	n := &touchNotifier{p: ui}
	resp, err := a.ctap2.MakeCredential(ctx, req, n.keepalive)
	if errors.Is(err, ctap2.StatusPUATRequired) && req.PinUvAuthParam == nil && a.pinState() == PINSet {
		// CTAP 2.0 keys with a PIN refuse makeCredential without one even when UV is not required.
		if err := a.authorize(ctx, ui, UVRequired, ctap2.PermissionMakeCredential, p.RPID, p.ClientDataHash,
			func(param []byte, proto ctap2.PINProtocol) {
				req.PinUvAuthParam, req.PinUvAuthProtocol = param, uint64(proto)
			}); err != nil {
			return nil, err
		}
		resp, err = a.ctap2.MakeCredential(ctx, req, n.keepalive)
	}
	if err != nil {
		return nil, err
	}
	ad, err := webauthn.ParseAuthenticatorData(resp.AuthData)
	if err != nil {
		return nil, err
	}
	if ad.AttestedCredential == nil || ad.RPIDHash != appParam(p.RPID) {
		return nil, fmt.Errorf("%w: makeCredential authData lacks a credential for this RP", ctap2.ErrMalformedResponse)
	}
	attObj, err := resp.AttestationObject()
	if err != nil {
		return nil, err
	}
	return &Registration{CredentialID: ad.AttestedCredential.CredentialID, AttestationObject: attObj, AuthenticatorData: resp.AuthData,
		Transports: a.transports(), Protocol: "ctap2"}, nil
}

// authorize obtains a pinUvAuthParam when the request needs user verification: UV required, or preferred and
// the key has a PIN. set receives the parameter and protocol. UV required on a key without a PIN is refused.
func (a *Authenticator) authorize(ctx context.Context, ui Prompter, uv UserVerification, perm ctap2.Permission,
	rpID string, clientDataHash []byte, set func([]byte, ctap2.PINProtocol)) error {
	state := a.pinState()
	switch {
	case uv == UVRequired && state != PINSet:
		if state == PINNotSet {
			return ErrPINNotSet
		}
		return fmt.Errorf("%w: user verification required but the key has no PIN support", ErrNotSupported)
	case uv == UVDiscouraged, state != PINSet:
		return nil
	}
	token, proto, err := a.pinToken(ctx, ui, perm, rpID)
	if err != nil {
		return err
	}
	set(ctap2.Authenticate(proto, token, clientDataHash), proto)
	return nil
}

// descriptors builds a CTAP2 credential list, dropping IDs longer than the key's maxCredentialIdLength (CTAP 2.1
// §6.4).
func (a *Authenticator) descriptors(ids [][]byte) []ctap2.CredentialDescriptor {
	var out []ctap2.CredentialDescriptor
	for _, id := range ids {
		if a.info != nil && a.info.MaxCredentialIDLength > 0 && uint64(len(id)) > a.info.MaxCredentialIDLength {
			continue
		}
		out = append(out, ctap2.CredentialDescriptor{Type: "public-key", ID: id})
	}
	return out
}

func (a *Authenticator) transports() []string {
	if a.info != nil && len(a.info.Transports) > 0 {
		return a.info.Transports
	}
	return []string{"usb"}
}

// probeCTAP2 finds which of ids the key holds for rpID with silent getAssertions (up=false, dummy
// clientDataHash), in chunks of maxCredentialCountInList (1 when the key does not say; CTAP 2.1 §6.4).
// It returns nil when none matches.
func (a *Authenticator) probeCTAP2(ctx context.Context, rpID string, ids [][]byte) ([]byte, error) {
	chunk := 1
	if a.info.MaxCredentialCountInList > 0 {
		chunk = int(min(a.info.MaxCredentialCountInList, 64))
	}
	list := a.descriptors(ids)
	dummy := make([]byte, 32)
	for len(list) > 0 {
		part := list[:min(chunk, len(list))]
		list = list[len(part):]
		resp, err := a.ctap2.GetAssertion(ctx, &ctap2.GetAssertionRequest{RPID: rpID, ClientDataHash: dummy,
			AllowList: part, Options: map[string]bool{"up": false}}, nil)
		switch {
		case err == nil:
			if resp.Credential != nil {
				return resp.Credential.ID, nil
			}
			if len(part) == 1 {
				return part[0].ID, nil
			}
			return nil, fmt.Errorf("%w: assertion without credential for a multi-entry allow list", ctap2.ErrMalformedResponse)
		case errors.Is(err, ctap2.StatusNoCredentials), errors.Is(err, ctap2.StatusInvalidCredential):
			continue
		default:
			return nil, err
		}
	}
	return nil, nil
}

// makeCredentialU2F is CTAP 2.1 §10.2 (makeCredential on a U2F key): exclude-list checks, REGISTER, fido-u2f
// attestation.
func (a *Authenticator) makeCredentialU2F(ctx context.Context, p *MakeCredentialParams, ui Prompter) (*Registration, error) {
	n := &touchNotifier{p: ui}
	app := appParam(p.RPID)
	apps := [][32]byte{app}
	if p.AppIDExclude != "" {
		apps = append(apps, appParam(p.AppIDExclude))
	}
	for _, id := range p.ExcludeList {
		for _, ap := range apps {
			if len(id) > 255 {
				continue
			}
			mine, err := a.u2f.CheckKeyHandle(ctx, ap, id)
			if err != nil {
				return nil, err
			}
			if mine {
				if err := a.u2f.WaitForTouch(ctx, n.touch); err != nil {
					return nil, err
				}
				return nil, ErrCredentialExcluded
			}
		}
	}
	reg, err := a.u2f.Register(ctx, [32]byte(p.ClientDataHash), app, n.touch)
	if err != nil {
		return nil, err
	}
	authData, attObj, err := FIDOU2FAttestation(app, reg)
	if err != nil {
		return nil, err
	}
	return &Registration{CredentialID: reg.KeyHandle, AttestationObject: attObj, AuthenticatorData: authData,
		Transports: []string{"usb"}, Protocol: "ctap1"}, nil
}

// FIDOU2FAttestation converts a U2F REGISTER response into WebAuthn authenticatorData and a "fido-u2f"
// attestationObject (WebAuthn L3 §8.6, CTAP 2.1 §10.2):
//
//	authData = app[32] | flags UP|AT | counter 00000000 | aaguid 16x00 | L[2] | keyHandle | COSE_Key
//	attStmt  = {sig: registration signature, x5c: [attestation certificate]}
func FIDOU2FAttestation(app [32]byte, reg *u2fmsg.RegisterResponse) (authData, attestationObject []byte, err error) {
	key, err := webauthn.EncodeCOSEKey(reg.PublicKey[:])
	if err != nil {
		return nil, nil, err
	}
	authData, err = webauthn.AuthenticatorData{RPIDHash: app, Flags: webauthn.FlagUserPresent,
		AttestedCredential: &webauthn.AttestedCredentialData{CredentialID: reg.KeyHandle, CredentialPublicKey: key}}.Encode()
	if err != nil {
		return nil, nil, err
	}
	attestationObject, err = webauthn.EncodeAttestationStatement(webauthn.FormatFIDOU2F,
		map[string]any{"sig": reg.Signature, "x5c": [][]byte{reg.AttestationCert}}, authData)
	if err != nil {
		return nil, nil, err
	}
	return authData, attestationObject, nil
}

// GetAssertion signs in (WebAuthn get) on CTAP2, or on U2F for U2F-only keys (CTAP 2.1 §10.3), with the appid
// extension on both (W3C WebAuthn L3 §10.1.1).
func (a *Authenticator) GetAssertion(ctx context.Context, p *GetAssertionParams, ui Prompter) (*Assertion, error) {
	if err := checkClientDataHash(p.ClientDataHash); err != nil {
		return nil, err
	}
	var (
		as  *Assertion
		err error
	)
	if a.ctap2 != nil {
		as, err = a.getAssertionCTAP2(ctx, p, ui)
		if errors.Is(err, ErrNoCredentials) && a.u2f != nil && len(p.AllowList) > 0 && p.UV != UVRequired {
			// Credentials registered over U2F should be visible to CTAP2 too, but not on every key (virtual-fido
			// keeps them apart): ask over U2F before giving up.
			as, err = a.getAssertionU2F(ctx, p, ui)
		}
	} else {
		as, err = a.getAssertionU2F(ctx, p, ui)
	}
	return as, finish(ui, err)
}

func (a *Authenticator) getAssertionCTAP2(ctx context.Context, p *GetAssertionParams, ui Prompter) (*Assertion, error) {
	rpID := p.RPID
	var allow []ctap2.CredentialDescriptor
	appIDUsed := false
	if len(p.AllowList) == 1 && p.AppID == "" && len(a.descriptors(p.AllowList)) == 1 {
		allow = a.descriptors(p.AllowList) // one candidate: the real request itself tells whether the key has it
	} else if len(p.AllowList) > 0 {
		// Find the credential first (silent probes), under the RP ID and then, for the appid extension, under the
		// AppID; the real request then names exactly that credential.
		found, err := a.probeCTAP2(ctx, p.RPID, p.AllowList)
		if err != nil {
			return nil, err
		}
		if found == nil && p.AppID != "" {
			if found, err = a.probeCTAP2(ctx, p.AppID, p.AllowList); err != nil {
				return nil, err
			}
			if found != nil {
				rpID, appIDUsed = p.AppID, true
			}
		}
		if found == nil {
			if a.u2f == nil || p.UV == UVRequired { // otherwise GetAssertion asks over U2F next, which collects the touch
				a.waitForTouch(ctx, ui)
			}
			return nil, ErrNoCredentials
		}
		allow = []ctap2.CredentialDescriptor{{Type: "public-key", ID: found}}
	}
	// "up" is sent explicitly: virtual-fido treats an absent "up" as false (CTAP says it defaults to true).
	req := &ctap2.GetAssertionRequest{RPID: rpID, ClientDataHash: p.ClientDataHash, AllowList: allow,
		Options: map[string]bool{"up": true}}
	if err := a.authorize(ctx, ui, p.UV, ctap2.PermissionGetAssertion, rpID, p.ClientDataHash,
		func(param []byte, proto ctap2.PINProtocol) {
			req.PinUvAuthParam, req.PinUvAuthProtocol = param, uint64(proto)
		}); err != nil {
		return nil, err
	}
	n := &touchNotifier{p: ui}
	resp, err := a.ctap2.GetAssertion(ctx, req, n.keepalive)
	if err != nil {
		return nil, err
	}
	if len(allow) == 0 && resp.NumberOfCredentials > 1 {
		if resp, err = a.chooseAccount(ctx, ui, resp); err != nil {
			return nil, err
		}
	}
	ad, err := webauthn.ParseAuthenticatorData(resp.AuthData)
	if err != nil {
		return nil, err
	}
	if ad.RPIDHash != appParam(rpID) {
		return nil, fmt.Errorf("%w: assertion for another RP ID", ctap2.ErrMalformedResponse)
	}
	as := &Assertion{AuthenticatorData: resp.AuthData, Signature: resp.Signature, AppIDUsed: appIDUsed, Protocol: "ctap2"}
	switch {
	case resp.Credential != nil:
		as.CredentialID = resp.Credential.ID
	case len(allow) == 1:
		as.CredentialID = allow[0].ID
	default:
		return nil, fmt.Errorf("%w: assertion without a credential ID", ctap2.ErrMalformedResponse)
	}
	if len(allow) == 1 && string(as.CredentialID) != string(allow[0].ID) {
		return nil, fmt.Errorf("%w: assertion for a credential we did not ask for", ctap2.ErrMalformedResponse)
	}
	if resp.User != nil {
		as.UserHandle = resp.User.ID
	}
	return as, nil
}

// maxAccounts bounds how many discoverable credentials are fetched for the account choice.
const maxAccounts = 32

// chooseAccount fetches the other discoverable credentials' assertions with getNextAssertion (CTAP 2.1 §6.3)
// and lets the user pick one, as a platform does for several credentials on one RP (WebAuthn §6.3.3 step 7).
// The key has already been touched once; the assertions not chosen are dropped.
func (a *Authenticator) chooseAccount(ctx context.Context, ui Prompter, first *ctap2.GetAssertionResponse) (*ctap2.GetAssertionResponse, error) {
	all := []*ctap2.GetAssertionResponse{first}
	for len(all) < int(min(first.NumberOfCredentials, maxAccounts)) {
		next, err := a.ctap2.GetNextAssertion(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, next)
	}
	accounts := make([]Account, len(all))
	for i, r := range all {
		if r.User == nil || len(r.User.ID) == 0 {
			return nil, fmt.Errorf("%w: a discoverable credential's assertion without its user", ctap2.ErrMalformedResponse)
		}
		accounts[i] = Account{UserID: r.User.ID, Name: r.User.Name, DisplayName: r.User.DisplayName}
	}
	i, err := ui.ChooseAccount(ctx, accounts)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(all) {
		return nil, fmt.Errorf("fido: the prompter chose account %d of %d", i, len(all))
	}
	return all[i], nil
}

// getAssertionU2F is §6.7 "getAssertion → U2F" with §6.8's order: for each key handle the AppID first, then the
// RP ID; check-only probes find the pair, then AUTHENTICATE polls for the touch.
func (a *Authenticator) getAssertionU2F(ctx context.Context, p *GetAssertionParams, ui Prompter) (*Assertion, error) {
	if len(p.AllowList) == 0 || p.UV == UVRequired {
		return nil, fmt.Errorf("%w: U2F keys have no discoverable credentials and no user verification", ErrNotSupported)
	}
	type candidate struct {
		app   [32]byte
		appID bool
	}
	cands := []candidate{{appParam(p.RPID), false}}
	if p.AppID != "" {
		cands = []candidate{{appParam(p.AppID), true}, cands[0]}
	}
	n := &touchNotifier{p: ui}
	for _, id := range p.AllowList {
		if len(id) > 255 {
			continue
		}
		for _, c := range cands {
			mine, err := a.u2f.CheckKeyHandle(ctx, c.app, id)
			if err != nil {
				return nil, err
			}
			if !mine {
				continue
			}
			resp, err := a.u2f.Authenticate(ctx, [32]byte(p.ClientDataHash), c.app, id, n.touch)
			if err != nil {
				return nil, err
			}
			authData, err := webauthn.AuthenticatorData{RPIDHash: c.app, SignCount: resp.Counter,
				Flags: webauthn.AuthenticatorFlags(resp.UserPresence) & webauthn.FlagUserPresent}.Encode()
			if err != nil {
				return nil, err
			}
			return &Assertion{CredentialID: id, AuthenticatorData: authData, Signature: resp.Signature,
				AppIDUsed: c.appID, Protocol: "ctap1"}, nil
		}
	}
	if err := a.u2f.WaitForTouch(ctx, n.touch); err != nil {
		return nil, err
	}
	return nil, ErrNoCredentials
}

// waitForTouch collects a touch before a negative answer, so that "not registered" and "already registered"
// are not revealed without the user acting (W3C §6.3.2 step 3, §6.3.3 step 7): authenticatorSelection on CTAP
// 2.1 keys, a throw-away U2F REGISTER on keys that speak U2F. CTAP 2.0-only keys answer without a touch. Errors
// are ignored: the negative answer follows anyway.
func (a *Authenticator) waitForTouch(ctx context.Context, ui Prompter) {
	n := &touchNotifier{p: ui}
	switch {
	case a.info != nil && a.info.HasVersion("FIDO_2_1"):
		_ = a.ctap2.Selection(ctx, n.keepalive)
	case a.u2f != nil:
		_ = a.u2f.WaitForTouch(ctx, n.touch)
	}
}
