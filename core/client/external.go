package client

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"github.com/twinkey/twinkey/core/rules"
	"github.com/twinkey/twinkey/core/webauthn"
)

// External authenticators: a USB security key reached through the native messaging host
// (nativehost/PROTOCOL.md). The client's half of a ceremony stays here, so that the software key and the USB key
// get the very same client data: this file builds the host's request (with the SHA-256 of the client data the
// plan serialises) and turns the host's result into the page's response, with the same client data bytes.

// Host request types (nativehost/PROTOCOL.md "Messages").
const (
	HostWebAuthnCreate = "webauthn.create"
	HostWebAuthnGet    = "webauthn.get"
	HostU2FRegister    = "u2f.register"
	HostU2FSign        = "u2f.sign"
)

// HostRequest is a native-host request without its id: the service worker adds the id and sends it.
type HostRequest struct {
	Type   string `json:"type"`
	Params any    `json:"params"`
}

// hostUser is the user member of the host's webauthn.create params.
type hostUser struct {
	ID          webauthn.B64 `json:"id"`
	Name        string       `json:"name,omitempty"`
	DisplayName string       `json:"displayName,omitempty"`
}

type hostCreateParams struct {
	RPID               string         `json:"rpId"`
	RPName             string         `json:"rpName,omitempty"`
	ClientDataHash     webauthn.B64   `json:"clientDataHash"`
	User               hostUser       `json:"user"`
	Algorithms         []int          `json:"algorithms"`
	ExcludeCredentials []webauthn.B64 `json:"excludeCredentials,omitempty"`
	ResidentKey        string         `json:"residentKey,omitempty"`
	UserVerification   string         `json:"userVerification,omitempty"`
	AppIDExclude       string         `json:"appidExclude,omitempty"`
	TimeoutMs          uint32         `json:"timeoutMs,omitempty"`
}

type hostGetParams struct {
	RPID             string         `json:"rpId"`
	ClientDataHash   webauthn.B64   `json:"clientDataHash"`
	AllowCredentials []webauthn.B64 `json:"allowCredentials,omitempty"`
	UserVerification string         `json:"userVerification,omitempty"`
	AppID            string         `json:"appid,omitempty"`
	TimeoutMs        uint32         `json:"timeoutMs,omitempty"`
}

type hostU2FKey struct {
	AppID     string       `json:"appId"`
	KeyHandle webauthn.B64 `json:"keyHandle"`
}

type hostU2FRegisterParams struct {
	AppID          string       `json:"appId"`
	ClientDataHash webauthn.B64 `json:"clientDataHash"`
	RegisteredKeys []hostU2FKey `json:"registeredKeys,omitempty"`
	TimeoutMs      int          `json:"timeoutMs,omitempty"`
}

type hostU2FSignParams struct {
	ClientDataHash webauthn.B64 `json:"clientDataHash"`
	Keys           []hostU2FKey `json:"keys"`
	TimeoutMs      int          `json:"timeoutMs,omitempty"`
}

func hash(b []byte) webauthn.B64 {
	h := sha256.Sum256(b)
	return h[:]
}

func b64IDs(ids [][]byte) []webauthn.B64 {
	out := make([]webauthn.B64, 0, len(ids))
	for _, id := range ids {
		out = append(out, id)
	}
	return out
}

// ClientDataJSON is the create() client data (WebAuthn L3 §5.1.3 step 9, serialised per §5.8.1.1).
func (p *CreatePlan) ClientDataJSON() []byte {
	return p.clientData(webauthn.ClientDataCreate, p.Options.Challenge)
}

// HostRequest is the native host's webauthn.create for this plan. Every algorithm the page listed is passed on:
// the key picks, and the response reports what it picked.
func (p *CreatePlan) HostRequest() HostRequest {
	o := p.Options
	algs := make([]int, 0, len(o.PubKeyCredParams))
	for _, c := range o.PubKeyCredParams {
		if c.Type == rules.CredentialTypePublicKey {
			algs = append(algs, c.Alg)
		}
	}
	return HostRequest{Type: HostWebAuthnCreate, Params: hostCreateParams{
		RPID: p.RPID, RPName: o.RP.Name, ClientDataHash: hash(p.ClientDataJSON()),
		User:       hostUser{ID: o.User.ID, Name: o.User.Name, DisplayName: o.User.DisplayName},
		Algorithms: algs, ExcludeCredentials: b64IDs(p.ExcludeIDs()), ResidentKey: o.ResidentKey,
		UserVerification: o.UserVerification, AppIDExclude: p.ExcludeAppID, TimeoutMs: o.TimeoutMs,
	}}
}

// ClientDataJSON is the get() client data (WebAuthn L3 §5.1.4.1 step 8).
func (p *GetPlan) ClientDataJSON() []byte {
	return webauthn.ClientData{Type: webauthn.ClientDataGet, Challenge: p.Options.Challenge, Origin: p.Caller.Origin.String(),
		CrossOrigin: p.Caller.CrossOrigin, TopOrigin: p.Caller.TopOrigin}.JSON()
}

// HostRequest is the native host's webauthn.get for this plan.
func (p *GetPlan) HostRequest() HostRequest {
	return HostRequest{Type: HostWebAuthnGet, Params: hostGetParams{
		RPID: p.RPID, ClientDataHash: hash(p.ClientDataJSON()), AllowCredentials: b64IDs(descriptorIDs(p.Options.AllowCredentials)),
		UserVerification: p.Options.UserVerification, AppID: p.AppID, TimeoutMs: p.Options.TimeoutMs,
	}}
}

// ClientData is the U2F register ClientData (U2F JS API v1.1 §7.1).
func (p *U2FRegisterPlan) ClientData() []byte {
	return u2fClientData(u2fTypRegister, p.Challenge, p.Caller.Origin.String())
}

// HostRequest is the native host's u2f.register: registered keys with their validated AppIDs are excluded.
func (p *U2FRegisterPlan) HostRequest() HostRequest {
	var keys []hostU2FKey
	for _, k := range p.Request.RegisteredKeys {
		app := p.AppID
		if k.AppID != "" {
			var err error
			if app, err = rules.EffectiveAppID(p.Caller.Origin, k.AppID); err != nil {
				continue // CryptoToken ignored keys whose AppID the caller may not use
			}
		}
		keys = append(keys, hostU2FKey{AppID: app, KeyHandle: k.KeyHandle})
	}
	return HostRequest{Type: HostU2FRegister, Params: hostU2FRegisterParams{
		AppID: p.AppID, ClientDataHash: hash(p.ClientData()), RegisteredKeys: keys,
		TimeoutMs: p.Request.TimeoutSeconds * 1000,
	}}
}

// ClientData is the U2F sign ClientData (U2F JS API v1.1 §7.1), the same for every registered key, as the
// software key signs it.
func (p *U2FSignPlan) ClientData() []byte {
	return u2fClientData(u2fTypSign, p.Request.Challenge, p.Caller.Origin.String())
}

// HostRequest is the native host's u2f.sign over every registered key whose AppID the caller may use.
func (p *U2FSignPlan) HostRequest() HostRequest {
	keys := make([]hostU2FKey, 0, len(p.candidates))
	for _, c := range p.candidates {
		keys = append(keys, hostU2FKey{AppID: c.appID, KeyHandle: c.handle})
	}
	return HostRequest{Type: HostU2FSign, Params: hostU2FSignParams{
		ClientDataHash: hash(p.ClientData()), Keys: keys, TimeoutMs: p.Request.TimeoutSeconds * 1000,
	}}
}

// ErrHostResult: the host's result does not fit the request (a host bug or a misbehaving key).
var ErrHostResult = errors.New("client: malformed security key result")

// HostBytes is a binary member of a host result: base64url without padding (nativehost/PROTOCOL.md "Framing").
type HostBytes []byte

func (b *HostBytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	out, err := b64u.Strict().DecodeString(s)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrHostResult, err)
	}
	*b = out
	return nil
}

// HostCreateResult is the host's webauthn.create result (nativehost/PROTOCOL.md).
type HostCreateResult struct {
	CredentialID      HostBytes `json:"credentialId"`
	AttestationObject HostBytes `json:"attestationObject"`
	AuthenticatorData HostBytes `json:"authenticatorData"`
	Transports        []string  `json:"transports"`
}

// HostGetResult is the host's webauthn.get result.
type HostGetResult struct {
	CredentialID      HostBytes `json:"credentialId"`
	AuthenticatorData HostBytes `json:"authenticatorData"`
	Signature         HostBytes `json:"signature"`
	UserHandle        HostBytes `json:"userHandle"`
	AppID             bool      `json:"appid"`
}

// HostU2FRegisterResult is the host's u2f.register result.
type HostU2FRegisterResult struct {
	RegistrationData HostBytes `json:"registrationData"`
}

// HostU2FSignResult is the host's u2f.sign result.
type HostU2FSignResult struct {
	KeyHandle     HostBytes `json:"keyHandle"`
	SignatureData HostBytes `json:"signatureData"`
}

// attestedKey extracts the credential public key (COSE_Key bytes) from authenticator data with attested
// credential data (WebAuthn L3 §6.1, §6.5.1), checking that the credential ID is the one reported.
func attestedKey(authData, credID []byte) ([]byte, error) {
	const fixed = 32 + 1 + 4 + 16 // rpIdHash, flags, signCount, aaguid
	if len(authData) < fixed+2 || webauthn.AuthenticatorFlags(authData[32])&webauthn.FlagAttestedCredentialData == 0 {
		return nil, fmt.Errorf("%w: no attested credential data", ErrHostResult)
	}
	n := int(binary.BigEndian.Uint16(authData[fixed:]))
	rest := authData[fixed+2:]
	if len(rest) < n || !bytes.Equal(rest[:n], credID) {
		return nil, fmt.Errorf("%w: credential ID differs from authenticator data", ErrHostResult)
	}
	var key cbor.RawMessage
	if _, err := cbor.UnmarshalFirst(rest[n:], &key); err != nil {
		return nil, fmt.Errorf("%w: credential public key: %v", ErrHostResult, err)
	}
	return key, nil
}

// coseAlg reads label 3 (alg) of a COSE_Key (RFC 9052 §7.1).
func coseAlg(key []byte) (int, error) {
	var m map[int]cbor.RawMessage
	if err := cbor.Unmarshal(key, &m); err != nil {
		return 0, fmt.Errorf("%w: COSE key: %v", ErrHostResult, err)
	}
	var alg int
	if err := cbor.Unmarshal(m[3], &alg); err != nil {
		return 0, fmt.Errorf("%w: COSE key alg: %v", ErrHostResult, err)
	}
	return alg, nil
}

// RegistrationFromHost builds RegistrationResponseJSON from the USB key's result, with this plan's client data.
// publicKey (getPublicKey(), §5.2.1.1) is given for ES256 keys; for other algorithms it is omitted, as the
// specification allows for algorithms the client does not know how to encode.
func (p *CreatePlan) RegistrationFromHost(r *HostCreateResult) (*webauthn.RegistrationResponseJSON, error) {
	if len(r.CredentialID) == 0 || len(r.AttestationObject) == 0 {
		return nil, fmt.Errorf("%w: empty credential", ErrHostResult)
	}
	key, err := attestedKey(r.AuthenticatorData, r.CredentialID)
	if err != nil {
		return nil, err
	}
	alg, err := coseAlg(key)
	if err != nil {
		return nil, err
	}
	var spki []byte
	if alg == webauthn.COSEAlgES256 {
		point, err := webauthn.ParseCOSEKey(key)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrHostResult, err)
		}
		if spki, err = webauthn.SubjectPublicKeyInfo(point); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrHostResult, err)
		}
	}
	ext := map[string]any{}
	if p.Options.Extensions.CredProps {
		ext["credProps"] = map[string]bool{"rk": p.Options.ResidentKey == rules.RequirementRequired}
	}
	if p.Options.Extensions.HasAppIDExclude {
		ext["appidExclude"] = true
	}
	transports := r.Transports
	if len(transports) == 0 {
		transports = []string{webauthn.TransportUSB}
	}
	return &webauthn.RegistrationResponseJSON{
		ID: b64u.EncodeToString(r.CredentialID), RawID: webauthn.B64(r.CredentialID), Type: webauthn.CredentialTypePublicKey,
		AuthenticatorAttachment: webauthn.AttachmentCrossPlatform, ClientExtensionResults: ext,
		Response: webauthn.AuthenticatorAttestationResponse{
			ClientDataJSON: p.ClientDataJSON(), AttestationObject: webauthn.B64(r.AttestationObject), AuthenticatorData: webauthn.B64(r.AuthenticatorData),
			Transports: transports, PublicKey: spki, PublicKeyAlgorithm: alg,
		},
	}, nil
}

// AssertionFromHost builds AuthenticationResponseJSON from the USB key's result, with this plan's client data.
func (p *GetPlan) AssertionFromHost(r *HostGetResult) (*webauthn.AuthenticationResponseJSON, error) {
	if len(r.CredentialID) == 0 || len(r.AuthenticatorData) < 37 || len(r.Signature) == 0 {
		return nil, fmt.Errorf("%w: incomplete assertion", ErrHostResult)
	}
	ext := map[string]any{}
	if p.Options.Extensions.HasAppID {
		ext["appid"] = r.AppID
	}
	resp := webauthn.NewAuthenticationResponse(p.ClientDataJSON(), r.CredentialID, r.AuthenticatorData, r.Signature, ext)
	resp.Response.UserHandle = webauthn.B64(r.UserHandle)
	return resp, nil
}

// RegisterFromHost builds the U2F RegisterResponse from the USB key's REGISTER response.
func (p *U2FRegisterPlan) RegisterFromHost(r *HostU2FRegisterResult) (*U2FRegisterResponse, error) {
	if len(r.RegistrationData) < 67 || r.RegistrationData[0] != 0x05 {
		return nil, fmt.Errorf("%w: registration data", ErrHostResult)
	}
	return &U2FRegisterResponse{Version: rules.U2FVersionV2, RegistrationData: b64u.EncodeToString(r.RegistrationData),
		ClientData: b64u.EncodeToString(p.ClientData()), Challenge: p.Challenge, AppID: p.AppID}, nil
}

// SignFromHost builds the U2F SignResponse from the USB key's result; keyHandle echoes the page's own string for
// the key that signed (servers look keys up by that string).
func (p *U2FSignPlan) SignFromHost(r *HostU2FSignResult) (*U2FSignResponse, error) {
	if len(r.SignatureData) < 6 {
		return nil, fmt.Errorf("%w: signature data", ErrHostResult)
	}
	for _, c := range p.candidates {
		if bytes.Equal(c.handle, r.KeyHandle) {
			return &U2FSignResponse{KeyHandle: c.handleText, SignatureData: b64u.EncodeToString(r.SignatureData),
				ClientData: b64u.EncodeToString(p.ClientData())}, nil
		}
	}
	return nil, fmt.Errorf("%w: the key signed with a handle that was not asked for", ErrHostResult)
}
