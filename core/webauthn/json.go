package webauthn

import "encoding/base64"

// B64 is a byte string that marshals as base64url without padding, the encoding of WebAuthn L3 JSON (§5.1.x toJSON).
type B64 []byte

func (b B64) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, base64.RawURLEncoding.EncodedLen(len(b))+2)
	out = append(out, '"')
	out = base64.RawURLEncoding.AppendEncode(out, b)
	return append(out, '"'), nil
}

// RegistrationResponseJSON is PublicKeyCredential.toJSON() for a registration (WebAuthn L3 §5.1.8).
type RegistrationResponseJSON struct {
	ID                      string                           `json:"id"`
	RawID                   B64                              `json:"rawId"`
	Type                    string                           `json:"type"`
	AuthenticatorAttachment string                           `json:"authenticatorAttachment,omitempty"`
	ClientExtensionResults  map[string]any                   `json:"clientExtensionResults"`
	Response                AuthenticatorAttestationResponse `json:"response"`
}

// AuthenticatorAttestationResponse is AuthenticatorAttestationResponseJSON (WebAuthn L3 §5.2.1).
type AuthenticatorAttestationResponse struct {
	ClientDataJSON     B64      `json:"clientDataJSON"`
	AttestationObject  B64      `json:"attestationObject"`
	AuthenticatorData  B64      `json:"authenticatorData"`
	Transports         []string `json:"transports"`
	PublicKey          B64      `json:"publicKey,omitempty"`
	PublicKeyAlgorithm int      `json:"publicKeyAlgorithm"`
}

// AuthenticationResponseJSON is PublicKeyCredential.toJSON() for an assertion (WebAuthn L3 §5.1.8).
type AuthenticationResponseJSON struct {
	ID                      string                         `json:"id"`
	RawID                   B64                            `json:"rawId"`
	Type                    string                         `json:"type"`
	AuthenticatorAttachment string                         `json:"authenticatorAttachment,omitempty"`
	ClientExtensionResults  map[string]any                 `json:"clientExtensionResults"`
	Response                AuthenticatorAssertionResponse `json:"response"`
}

// AuthenticatorAssertionResponse is AuthenticatorAssertionResponseJSON (WebAuthn L3 §5.2.2).
type AuthenticatorAssertionResponse struct {
	ClientDataJSON    B64 `json:"clientDataJSON"`
	AuthenticatorData B64 `json:"authenticatorData"`
	Signature         B64 `json:"signature"`
	UserHandle        B64 `json:"userHandle,omitempty"`
}

// Twinkey presents itself as a roaming authenticator reached over USB: that is what a security key is, and it is
// the transport RPs expect for the credentials' twin on paper.
const (
	AttachmentCrossPlatform = "cross-platform"
	TransportUSB            = "usb"
	CredentialTypePublicKey = "public-key"
)

// NewRegistrationResponse assembles the registration JSON from a new credential.
func NewRegistrationResponse(clientDataJSON, credentialID, authData, attestationObject, publicKey []byte, ext map[string]any) (*RegistrationResponseJSON, error) {
	spki, err := SubjectPublicKeyInfo(publicKey)
	if err != nil {
		return nil, err
	}
	if ext == nil {
		ext = map[string]any{}
	}
	return &RegistrationResponseJSON{
		ID: base64.RawURLEncoding.EncodeToString(credentialID), RawID: credentialID, Type: CredentialTypePublicKey,
		AuthenticatorAttachment: AttachmentCrossPlatform, ClientExtensionResults: ext,
		Response: AuthenticatorAttestationResponse{
			ClientDataJSON: clientDataJSON, AttestationObject: attestationObject, AuthenticatorData: authData,
			Transports: []string{TransportUSB}, PublicKey: spki, PublicKeyAlgorithm: COSEAlgES256,
		},
	}, nil
}

// NewAuthenticationResponse assembles the assertion JSON.
func NewAuthenticationResponse(clientDataJSON, credentialID, authData, signature []byte, ext map[string]any) *AuthenticationResponseJSON {
	if ext == nil {
		ext = map[string]any{}
	}
	return &AuthenticationResponseJSON{
		ID: base64.RawURLEncoding.EncodeToString(credentialID), RawID: credentialID, Type: CredentialTypePublicKey,
		AuthenticatorAttachment: AttachmentCrossPlatform, ClientExtensionResults: ext,
		Response: AuthenticatorAssertionResponse{ClientDataJSON: clientDataJSON, AuthenticatorData: authData, Signature: signature},
	}
}
