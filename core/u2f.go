package core

import (
	"context"
	"errors"

	"github.com/twinkey/twinkey/core/counter"
	"github.com/twinkey/twinkey/core/ctap1"
	"github.com/twinkey/twinkey/core/keys"
)

// U2FRegister answers a U2F REGISTER (U2F raw messages v1.2 §4) and returns the response data (the U2F JS API's
// registrationData). The attestation certificate is self-signed by the new credential key (ctap1.SelfSignedCertificate).
func (a *Authenticator) U2FRegister(ctx context.Context, req ctap1.RegisterRequest, ap Approval) ([]byte, error) {
	if !ap.UserPresent {
		return nil, ErrNotApproved
	}
	handle, priv, err := a.device.NewCredential(a.rand, req.Application)
	if err != nil {
		return nil, err
	}
	point, err := keys.PublicKeyBytes(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	cert, err := ctap1.SelfSignedCertificate(&priv.PublicKey, signer(priv))
	if err != nil {
		return nil, err
	}
	sig, err := keys.Sign(priv, ctap1.RegisterSignedData(req.Application, req.Challenge, handle, point))
	if err != nil {
		return nil, err
	}
	if len(point) != 65 {
		return nil, errors.New("core: public key is not a 65-byte point")
	}
	return ctap1.RegisterResponse{PublicKey: [65]byte(point), KeyHandle: handle, AttestationCert: cert, Signature: sig}.Encode()
}

// U2FAuthenticate answers a U2F AUTHENTICATE (U2F raw messages v1.2 §5) and returns the response data (the U2F JS
// API's signatureData). Errors are ctap1 status words: SWWrongData for a handle that is not this key's for the
// application, SWConditionsNotSatisfied for check-only on a valid handle and for a missing approval.
func (a *Authenticator) U2FAuthenticate(ctx context.Context, req ctap1.AuthenticateRequest, ap Approval, policy counter.Policy) ([]byte, error) {
	priv, err := a.device.Open(req.KeyHandle, req.Application)
	if errors.Is(err, keys.ErrNotMine) {
		return nil, ctap1.SWWrongData
	} else if err != nil {
		return nil, err
	}
	var presence byte
	switch req.Control {
	case ctap1.ControlCheckOnly:
		return nil, ctap1.SWConditionsNotSatisfied // "this handle is valid" (U2F raw messages v1.2 §5.1)
	case ctap1.ControlEnforceUserPresence:
		if !ap.UserPresent {
			return nil, ctap1.SWConditionsNotSatisfied
		}
		presence = ctap1.UserPresenceFlag
	case ctap1.ControlDontEnforceUserPresence:
		if ap.UserPresent {
			presence = ctap1.UserPresenceFlag
		}
	default:
		return nil, ctap1.SWWrongData
	}
	count, err := a.nextCounter(ctx, policy)
	if err != nil {
		return nil, err
	}
	sig, err := keys.Sign(priv, ctap1.AuthenticateSignedData(req.Application, presence, count, req.Challenge))
	if err != nil {
		return nil, err
	}
	return ctap1.AuthenticateResponse{UserPresence: presence, Counter: count, Signature: sig}.Encode(), nil
}

// HandleAPDU answers one U2F command APDU with response data || SW1 SW2. Approval stands for the touch of a
// hardware key: REGISTER and AUTHENTICATE 0x03 answer 6985 until it is given. Internal failures answer 6F00
// (ISO 7816-4 "no precise diagnosis"); the error is not echoed.
func (a *Authenticator) HandleAPDU(ctx context.Context, apdu []byte, ap Approval, policy counter.Policy) []byte {
	data, err := a.handleAPDU(ctx, apdu, ap, policy)
	var sw ctap1.StatusWord
	switch {
	case err == nil:
		return ctap1.EncodeResponse(data, ctap1.SWNoError)
	case errors.As(err, &sw):
		return sw.Bytes()
	case errors.Is(err, ErrNotApproved):
		return ctap1.SWConditionsNotSatisfied.Bytes()
	}
	return ctap1.SWNoPreciseDiagnosis.Bytes()
}

func (a *Authenticator) handleAPDU(ctx context.Context, apdu []byte, ap Approval, policy counter.Policy) ([]byte, error) {
	cmd, err := ctap1.ParseCommand(apdu)
	if err != nil {
		return nil, err
	}
	switch cmd.INS {
	case ctap1.InsRegister:
		req, err := ctap1.ParseRegisterRequest(cmd.Data)
		if err != nil {
			return nil, err
		}
		return a.U2FRegister(ctx, req, ap)
	case ctap1.InsAuthenticate:
		req, err := ctap1.ParseAuthenticateRequest(cmd.P1, cmd.Data)
		if err != nil {
			return nil, err
		}
		return a.U2FAuthenticate(ctx, req, ap, policy)
	case ctap1.InsVersion:
		if len(cmd.Data) != 0 {
			return nil, ctap1.SWWrongLength
		}
		return []byte(ctap1.Version), nil
	}
	return nil, ctap1.SWInsNotSupported
}
