package client

import (
	"context"
	"crypto/sha256"

	"github.com/twinkey/twinkey/core"
	"github.com/twinkey/twinkey/core/counter"
	"github.com/twinkey/twinkey/core/rules"
	"github.com/twinkey/twinkey/core/webauthn"
)

// CreatePlan is a validated navigator.credentials.create() request.
type CreatePlan struct {
	Caller       Caller
	Options      *rules.CreationOptions
	RPID         string
	ExcludeAppID string
	Handler      Handler
	Reason       string
}

// PrepareCreate applies the create() client rules (WebAuthn L3 §5.1.3) to untrusted options.
func PrepareCreate(caller Caller, untrustedOptions []byte) (*CreatePlan, error) {
	opts, err := rules.ParseCreationOptions(untrustedOptions)
	if err != nil {
		return nil, err
	}
	rpID, err := rules.EffectiveRPID(caller.Origin, opts.RP.ID)
	if err != nil {
		return nil, err
	}
	plan := &CreatePlan{Caller: caller, Options: opts, RPID: rpID, Handler: HandlerTwinkey}
	if err := opts.SupportsES256(); err != nil {
		// No ES256: the software key cannot answer; a USB key or the browser's own authenticators may.
		plan.Handler, plan.Reason = HandlerPlatform, string(rules.ReasonOf(err))
	}
	if opts.Extensions.HasAppIDExclude {
		if plan.ExcludeAppID, err = rules.EffectiveAppID(caller.Origin, opts.Extensions.AppIDExclude); err != nil {
			return nil, err
		}
	}
	if plan.Handler != HandlerTwinkey {
		return plan, nil
	}
	if err := opts.CheckAuthenticatorFit(); err != nil {
		// A discoverable credential or a platform authenticator is asked for: deterministic keys cannot keep
		// discoverable credentials, so the browser's own authenticators get the request.
		if re, ok := err.(*rules.Error); ok && re.Reason != "" {
			plan.Handler, plan.Reason = HandlerPlatform, string(re.Reason)
			return plan, nil
		}
		return nil, err
	}
	return plan, nil
}

// ExcludeIDs lists the excludeCredentials IDs.
func (p *CreatePlan) ExcludeIDs() [][]byte { return descriptorIDs(p.Options.ExcludeCredentials) }

// Excluded reports whether an excludeCredentials entry is this authenticator's (for the prompt's wording; the
// page learns it only after consent).
func (p *CreatePlan) Excluded(a *core.Authenticator) bool {
	for _, app := range []string{p.RPID, p.ExcludeAppID} {
		if app == "" {
			continue
		}
		if _, _, err := a.FindCredential(app, "", p.ExcludeIDs()); err == nil {
			return true
		}
	}
	return false
}

func descriptorIDs(ds []rules.CredentialDescriptor) [][]byte {
	ids := make([][]byte, 0, len(ds))
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return ids
}

// attestationFormat picks the format for the RP's conveyance preference (WebAuthn L3 §5.4.7, §5.1.3 step 22):
// "none" (the default) gives fmt none; otherwise packed self attestation, or fido-u2f when the RP lists it first
// in attestationFormats.
func attestationFormat(o *rules.CreationOptions) webauthn.AttestationFormat {
	if o.Attestation == "" || o.Attestation == "none" {
		return webauthn.FormatNone
	}
	for _, f := range o.AttestationFormats {
		switch webauthn.AttestationFormat(f) {
		case webauthn.FormatPacked, webauthn.FormatFIDOU2F, webauthn.FormatNone:
			return webauthn.AttestationFormat(f)
		}
	}
	return webauthn.FormatPacked
}

// checkUserVerification enforces userVerification "required" (WebAuthn L3 §5.1.3 step 20): the passphrase must have
// been entered for this request.
func checkUserVerification(requirement string, ap core.Approval) error {
	if requirement == rules.RequirementRequired && !ap.UserVerified {
		return rules.Errorf(rules.KindDenied, "this site requires your passphrase for this request")
	}
	return nil
}

// Create runs an approved create() and returns RegistrationResponseJSON.
func Create(ctx context.Context, a *core.Authenticator, p *CreatePlan, ap core.Approval) (*webauthn.RegistrationResponseJSON, error) {
	if p.Handler != HandlerTwinkey {
		return nil, rules.Errorf(rules.KindNotAllowed, "this request is not for Twinkey (%s)", p.Reason)
	}
	if err := checkUserVerification(p.Options.UserVerification, ap); err != nil {
		return nil, err
	}
	cdj := p.clientData(webauthn.ClientDataCreate, p.Options.Challenge)
	cred, err := a.MakeCredential(ctx, core.MakeCredentialRequest{
		RPID: p.RPID, ClientDataHash: sha256.Sum256(cdj), Format: attestationFormat(p.Options),
		ExcludeList: p.ExcludeIDs(), ExcludeAppID: p.ExcludeAppID, Approval: ap,
	})
	if err != nil {
		return nil, MapError(err)
	}
	ext := map[string]any{}
	if p.Options.Extensions.CredProps {
		ext["credProps"] = map[string]bool{"rk": false} // WebAuthn L3 §10.1.3: never discoverable
	}
	if p.Options.Extensions.HasAppIDExclude {
		ext["appidExclude"] = true // §10.1.2: the extension was processed
	}
	resp, err := webauthn.NewRegistrationResponse(cdj, cred.ID, cred.AuthData, cred.AttestationObject, cred.PublicKey, ext)
	if err != nil {
		return nil, MapError(err)
	}
	return resp, nil
}

func (p *CreatePlan) clientData(typ string, challenge []byte) []byte {
	return webauthn.ClientData{Type: typ, Challenge: challenge, Origin: p.Caller.Origin.String(),
		CrossOrigin: p.Caller.CrossOrigin, TopOrigin: p.Caller.TopOrigin}.JSON()
}

// GetPlan is a validated navigator.credentials.get() request.
type GetPlan struct {
	Caller  Caller
	Options *rules.RequestOptions
	RPID    string
	AppID   string // the validated appid extension input, if any
	Handler Handler
	Reason  string
}

// PrepareGet applies the get() client rules (WebAuthn L3 §5.1.4). Routing by credential needs the device secret:
// call Route once the vault is open.
func PrepareGet(caller Caller, untrustedOptions []byte) (*GetPlan, error) {
	opts, err := rules.ParseRequestOptions(untrustedOptions)
	if err != nil {
		return nil, err
	}
	rpID, err := rules.EffectiveRPID(caller.Origin, opts.RPID)
	if err != nil {
		return nil, err
	}
	plan := &GetPlan{Caller: caller, Options: opts, RPID: rpID, Handler: HandlerTwinkey}
	if opts.Extensions.HasAppID {
		if plan.AppID, err = rules.EffectiveAppID(caller.Origin, opts.Extensions.AppID); err != nil {
			return nil, err
		}
	}
	if len(opts.AllowCredentials) == 0 {
		plan.Handler, plan.Reason = HandlerPlatform, ReasonDiscoverable
	}
	return plan, nil
}

// Route decides, with the device secret, whether any allowed credential is Twinkey's.
func (p *GetPlan) Route(a *core.Authenticator) {
	if p.Handler != HandlerTwinkey {
		return
	}
	if _, _, err := a.FindCredential(p.RPID, p.AppID, descriptorIDs(p.Options.AllowCredentials)); err != nil {
		p.Handler, p.Reason = HandlerPlatform, ReasonNoTwinkeyCredential
	}
}

// Get runs an approved get() and returns AuthenticationResponseJSON.
func Get(ctx context.Context, a *core.Authenticator, p *GetPlan, ap core.Approval, policy counter.Policy) (*webauthn.AuthenticationResponseJSON, error) {
	if p.Handler != HandlerTwinkey {
		return nil, rules.Errorf(rules.KindNotAllowed, "this request is not for Twinkey (%s)", p.Reason)
	}
	if err := checkUserVerification(p.Options.UserVerification, ap); err != nil {
		return nil, err
	}
	cdj := webauthn.ClientData{Type: webauthn.ClientDataGet, Challenge: p.Options.Challenge, Origin: p.Caller.Origin.String(),
		CrossOrigin: p.Caller.CrossOrigin, TopOrigin: p.Caller.TopOrigin}.JSON()
	as, err := a.GetAssertion(ctx, core.GetAssertionRequest{
		RPID: p.RPID, AppID: p.AppID, ClientDataHash: sha256.Sum256(cdj),
		AllowList: descriptorIDs(p.Options.AllowCredentials), Approval: ap, Policy: policy,
	})
	if err != nil {
		return nil, MapError(err)
	}
	ext := map[string]any{}
	if p.Options.Extensions.HasAppID {
		ext["appid"] = as.UsedAppID // WebAuthn L3 §10.1.1 output
	}
	return webauthn.NewAuthenticationResponse(cdj, as.CredentialID, as.AuthData, as.Signature, ext), nil
}
