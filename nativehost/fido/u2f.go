package fido

import (
	"context"
	"fmt"
)

// U2FKey is one registered key of a U2F request (U2F JS API 1.1 RegisteredKey): its key handle and the AppID it
// was registered under (the request's AppID when the page gave none).
type U2FKey struct {
	AppID     string
	KeyHandle []byte
}

// U2FRegisterParams are the inputs of u2f.register() that reach the key: the AppID, SHA-256 of the U2F
// ClientData of the chosen U2F_V2 register request, and the keys already registered (excluded).
type U2FRegisterParams struct {
	AppID          string
	ClientDataHash []byte
	Exclude        []U2FKey
}

// U2FSignParams are the inputs of u2f.sign(): SHA-256 of the U2F ClientData and the candidate keys.
type U2FSignParams struct {
	ClientDataHash []byte
	Keys           []U2FKey
}

// U2FRegistration carries registrationData: the raw REGISTER response without status word.
type U2FRegistration struct {
	RegistrationData []byte
}

// U2FSignature carries signatureData (UP || counter || signature) and the key that produced it.
type U2FSignature struct {
	Key           U2FKey
	SignatureData []byte
}

func (a *Authenticator) needU2F() error {
	if a.u2f == nil {
		return fmt.Errorf("%w: the key does not implement U2F (CTAPHID_MSG)", ErrNotSupported)
	}
	return nil
}

// U2FRegister runs a legacy U2F registration. A key that already holds one of Exclude gives
// ErrCredentialExcluded after a touch (U2F error DEVICE_INELIGIBLE).
func (a *Authenticator) U2FRegister(ctx context.Context, p *U2FRegisterParams, ui Prompter) (*U2FRegistration, error) {
	if err := a.needU2F(); err != nil {
		return nil, err
	}
	if err := checkClientDataHash(p.ClientDataHash); err != nil {
		return nil, err
	}
	n := &touchNotifier{p: ui}
	for _, k := range p.Exclude {
		if len(k.KeyHandle) > 255 {
			continue
		}
		mine, err := a.u2f.CheckKeyHandle(ctx, appParam(k.AppID), k.KeyHandle)
		if err != nil {
			return nil, finish(ui, err)
		}
		if mine {
			if err := a.u2f.WaitForTouch(ctx, n.touch); err != nil {
				return nil, finish(ui, err)
			}
			return nil, ErrCredentialExcluded
		}
	}
	reg, err := a.u2f.Register(ctx, [32]byte(p.ClientDataHash), appParam(p.AppID), n.touch)
	if err != nil {
		return nil, finish(ui, err)
	}
	return &U2FRegistration{RegistrationData: reg.Raw}, nil
}

// U2FSign signs with the first of Keys this key owns. None owned gives ErrNoCredentials after a touch (U2F error
// DEVICE_INELIGIBLE).
func (a *Authenticator) U2FSign(ctx context.Context, p *U2FSignParams, ui Prompter) (*U2FSignature, error) {
	if err := a.needU2F(); err != nil {
		return nil, err
	}
	if err := checkClientDataHash(p.ClientDataHash); err != nil {
		return nil, err
	}
	n := &touchNotifier{p: ui}
	for _, k := range p.Keys {
		if len(k.KeyHandle) > 255 {
			continue
		}
		app := appParam(k.AppID)
		mine, err := a.u2f.CheckKeyHandle(ctx, app, k.KeyHandle)
		if err != nil {
			return nil, finish(ui, err)
		}
		if !mine {
			continue
		}
		resp, err := a.u2f.Authenticate(ctx, [32]byte(p.ClientDataHash), app, k.KeyHandle, n.touch)
		if err != nil {
			return nil, finish(ui, err)
		}
		return &U2FSignature{Key: k, SignatureData: resp.Raw}, nil
	}
	if err := a.u2f.WaitForTouch(ctx, n.touch); err != nil {
		return nil, finish(ui, err)
	}
	return nil, ErrNoCredentials
}
