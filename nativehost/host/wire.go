package host

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// Bytes is binary data carried in JSON as base64url without padding (RFC 4648 §5), the encoding WebAuthn's
// JSON forms and the U2F JS API use. Padding or the standard alphabet is refused.
type Bytes []byte

// MarshalJSON encodes b as an unpadded base64url string.
func (b Bytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(base64.RawURLEncoding.EncodeToString(b))
}

// UnmarshalJSON decodes an unpadded base64url string.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("want a base64url string: %w", err)
	}
	out, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return fmt.Errorf("not unpadded base64url: %w", err)
	}
	*b = out
	return nil
}

// Message params and results; one JSON example of each is in nativehost/PROTOCOL.md.

// UserJSON is the WebAuthn user entity.
type UserJSON struct {
	ID          Bytes  `json:"id"`
	Name        string `json:"name,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// CreateParams are the params of "webauthn.create".
type CreateParams struct {
	RPID               string   `json:"rpId"`
	RPName             string   `json:"rpName,omitempty"`
	ClientDataHash     Bytes    `json:"clientDataHash"`
	User               UserJSON `json:"user"`
	Algorithms         []int64  `json:"algorithms"`
	ExcludeCredentials []Bytes  `json:"excludeCredentials,omitempty"`
	ResidentKey        string   `json:"residentKey,omitempty"`      // "required" | "preferred" | "discouraged"
	UserVerification   string   `json:"userVerification,omitempty"` // "required" | "preferred" | "discouraged"
	AppIDExclude       string   `json:"appidExclude,omitempty"`
	TimeoutMs          int64    `json:"timeoutMs,omitempty"`
	Device             string   `json:"device,omitempty"` // a path from "devices"; default: the first key
}

// CreateResult is the result of "webauthn.create".
type CreateResult struct {
	CredentialID      Bytes    `json:"credentialId"`
	AttestationObject Bytes    `json:"attestationObject"`
	AuthenticatorData Bytes    `json:"authenticatorData"`
	Transports        []string `json:"transports"`
	Protocol          string   `json:"protocol"`
}

// GetParams are the params of "webauthn.get".
type GetParams struct {
	RPID             string  `json:"rpId"`
	ClientDataHash   Bytes   `json:"clientDataHash"`
	AllowCredentials []Bytes `json:"allowCredentials,omitempty"`
	UserVerification string  `json:"userVerification,omitempty"`
	AppID            string  `json:"appid,omitempty"`
	TimeoutMs        int64   `json:"timeoutMs,omitempty"`
	Device           string  `json:"device,omitempty"`
}

// GetResult is the result of "webauthn.get".
type GetResult struct {
	CredentialID      Bytes  `json:"credentialId"`
	AuthenticatorData Bytes  `json:"authenticatorData"`
	Signature         Bytes  `json:"signature"`
	UserHandle        Bytes  `json:"userHandle,omitempty"`
	AppID             bool   `json:"appid"`
	Protocol          string `json:"protocol"`
}

// U2FKeyJSON is a registered U2F key.
type U2FKeyJSON struct {
	AppID     string `json:"appId"`
	KeyHandle Bytes  `json:"keyHandle"`
}

// U2FRegisterParams are the params of "u2f.register".
type U2FRegisterParams struct {
	AppID          string       `json:"appId"`
	ClientDataHash Bytes        `json:"clientDataHash"`
	RegisteredKeys []U2FKeyJSON `json:"registeredKeys,omitempty"`
	TimeoutMs      int64        `json:"timeoutMs,omitempty"`
	Device         string       `json:"device,omitempty"`
}

// U2FRegisterResult is the result of "u2f.register".
type U2FRegisterResult struct {
	Version          string `json:"version"`
	RegistrationData Bytes  `json:"registrationData"`
}

// U2FSignParams are the params of "u2f.sign".
type U2FSignParams struct {
	ClientDataHash Bytes        `json:"clientDataHash"`
	Keys           []U2FKeyJSON `json:"keys"`
	TimeoutMs      int64        `json:"timeoutMs,omitempty"`
	Device         string       `json:"device,omitempty"`
}

// U2FSignResult is the result of "u2f.sign".
type U2FSignResult struct {
	AppID         string `json:"appId"`
	KeyHandle     Bytes  `json:"keyHandle"`
	SignatureData Bytes  `json:"signatureData"`
}

// EventChooseAccount is the progress event asking which of several discoverable credentials to use.
const EventChooseAccount = "choose-account"

// AccountAnswer is the params of the "choose" message.
type AccountAnswer struct {
	Target string `json:"target"`
	Index  *int   `json:"index"`
}

// PINAnswer is the params of the "pin" message.
type PINAnswer struct {
	Target string `json:"target"`
	PIN    string `json:"pin"`
}

// HelloResult is the result of "hello".
type HelloResult struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Protocol  int    `json:"protocol"`
	OS        string `json:"os"`
	Simulated bool   `json:"simulated"`
}

// DeviceJSON describes one key in the "devices" result.
type DeviceJSON struct {
	Path         string   `json:"path"`
	VendorID     uint16   `json:"vendorId,omitempty"`
	ProductID    uint16   `json:"productId,omitempty"`
	Manufacturer string   `json:"manufacturer,omitempty"`
	Product      string   `json:"product,omitempty"`
	CTAP2        bool     `json:"ctap2"`
	U2F          bool     `json:"u2f"`
	PIN          string   `json:"pin,omitempty"`
	Versions     []string `json:"versions,omitempty"`
	Error        string   `json:"error,omitempty"` // the key is listed but could not be asked (busy, permissions)
}

// DevicesResult is the result of "devices".
type DevicesResult struct {
	Devices []DeviceJSON `json:"devices"`
}
