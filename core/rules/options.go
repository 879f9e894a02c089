package rules

import "fmt"

// Client limits and defaults.
const (
	// MinTimeoutMs and MaxTimeoutMs bound a ceremony's timeout. W3C §5.1.3/§5.1.4 let the client clamp
	// options.timeout to "a reasonable range"; we use Chromium's range, [10 s, 10 min] (authenticator_common
	// AdjustTimeout), so a page cannot give the user less than 10 s to read the consent prompt.
	MinTimeoutMs = 10_000
	MaxTimeoutMs = 600_000
	// DefaultTimeoutMs applies when options.timeout is absent: W3C §15.1 "Recommended Range for Ceremony Timeouts"
	// recommends 300 000 ms (Chromium uses its maximum instead, AdjustTimeout).
	DefaultTimeoutMs = 300_000
	// MaxCredentialDescriptors bounds excludeCredentials / allowCredentials (and U2F registeredKeys): Chromium
	// refuses longer lists with a "RangeError" DOMException (Blink IsCredentialDescriptorListBelowSizeLimit,
	// kPublicKeyCredentialDescriptorListMaxSize = 64) to stop sites from probing authenticators at scale.
	MaxCredentialDescriptors = 64
	// MinUserIDLength and MaxUserIDLength bound user.id (W3C §5.1.3 "If the length of pkOptions.user.id is not
	// between 1 and 64 bytes (inclusive) then throw a TypeError").
	MinUserIDLength = 1
	MaxUserIDLength = 64
)

// Credential types and COSE algorithm identifiers (W3C §5.8.2, §5.8.5; IANA COSE Algorithms).
const (
	CredentialTypePublicKey = "public-key"
	COSEAlgES256            = -7
	COSEAlgRS256            = -257
)

// Enumerated option strings (W3C §5.4.4-§5.4.7, §5.8.4, §5.8.6, §5.8.7). Unknown values of these DOMString
// members are ignored as the spec requires ("client platforms MUST ignore unknown values").
const (
	RequirementRequired    = "required"    // ResidentKeyRequirement, UserVerificationRequirement
	RequirementPreferred   = "preferred"   // ResidentKeyRequirement, UserVerificationRequirement
	RequirementDiscouraged = "discouraged" // ResidentKeyRequirement, UserVerificationRequirement

	AttachmentPlatform      = "platform"
	AttachmentCrossPlatform = "cross-platform"

	AttestationNone       = "none"
	AttestationIndirect   = "indirect"
	AttestationDirect     = "direct"
	AttestationEnterprise = "enterprise"

	HintSecurityKey  = "security-key"
	HintClientDevice = "client-device"
	HintHybrid       = "hybrid"
)

// knownTransports are the AuthenticatorTransport values (W3C §5.8.4); others are dropped. Immutable.
var knownTransports = [...]string{"usb", "nfc", "ble", "smart-card", "hybrid", "internal"}

// CredParam is one PublicKeyCredentialParameters entry (W3C §5.3), as the page gave it.
type CredParam struct {
	Type string
	Alg  int
}

// CredentialDescriptor is one PublicKeyCredentialDescriptor (W3C §5.8.3) with its id decoded. Descriptors whose
// type is not "public-key" have been dropped ("client platforms MUST ignore any PublicKeyCredentialDescriptor
// with an unknown type"), as have unknown transports.
type CredentialDescriptor struct {
	Type       string
	ID         []byte
	Transports []string
}

// CreationExtensions are the client extension inputs of create() that Twinkey acts on (W3C §9, §10.1.2,
// §10.1.3); all other extension identifiers are ignored (W3C §5.1.3 "If the client does not support an
// extension, ... continue").
type CreationExtensions struct {
	CredProps bool
	// AppIDExclude is the appidExclude input, to be validated with EffectiveAppID. HasAppIDExclude separates an
	// explicit "" (which means the caller's own origin, as in Chromium) from an absent input.
	AppIDExclude    string
	HasAppIDExclude bool
}

// RequestExtensions are the client extension inputs of get() that Twinkey acts on (W3C §10.1.1).
type RequestExtensions struct {
	// AppID is the appid input, to be validated with EffectiveAppID; HasAppID as for AppIDExclude.
	AppID    string
	HasAppID bool
}

// CreationOptions is a validated PublicKeyCredentialCreationOptionsJSON (W3C §5.4 and its JSON form,
// #dictdef-publickeycredentialcreationoptionsjson) with binary members decoded and enumerations resolved.
type CreationOptions struct {
	RP   struct{ ID, Name string } // ID "" = absent (use the caller's effective domain)
	User struct {
		ID                []byte // 1..64 bytes
		Name, DisplayName string
	}
	Challenge          []byte
	PubKeyCredParams   []CredParam // as given; see SupportsES256
	TimeoutMs          uint32      // clamped to [MinTimeoutMs, MaxTimeoutMs], DefaultTimeoutMs when absent
	ExcludeCredentials []CredentialDescriptor
	// AuthenticatorAttachment is "platform", "cross-platform" or "" (absent or unknown).
	AuthenticatorAttachment string
	// ResidentKey is resolved (W3C §5.4.4): residentKey when known, else "required" if requireResidentKey is
	// true, else "discouraged".
	ResidentKey string
	// UserVerification is "required", "preferred" or "discouraged" (default and unknown: "preferred").
	UserVerification string
	// Attestation is "none", "indirect", "direct" or "enterprise" (default and unknown: "none", W3C §5.4).
	Attestation        string
	AttestationFormats []string
	Hints              []string // known PublicKeyCredentialHint values only, in the page's order
	Extensions         CreationExtensions
}

// RequestOptions is a validated PublicKeyCredentialRequestOptionsJSON (W3C §5.5).
type RequestOptions struct {
	Challenge        []byte
	TimeoutMs        uint32 // as CreationOptions.TimeoutMs
	RPID             string // "" = absent
	AllowCredentials []CredentialDescriptor
	UserVerification string // "required", "preferred" or "discouraged" (default and unknown: "preferred")
	Hints            []string
	Extensions       RequestExtensions
}

// ParseCreationOptions parses a PublicKeyCredentialCreationOptionsJSON from untrusted JSON: the bare options
// object, not wrapped in {"publicKey": ...}. It follows what Chrome's parseCreationOptionsFromJSON and create()
// do before any authenticator is involved, in this order:
//
//   - dictionary conversion: invalid JSON, a non-object, a missing required member (rp, rp.name, user, user.id,
//     user.name, user.displayName, challenge, pubKeyCredParams and each entry's type and alg, each descriptor's
//     type and id) or a member of the wrong JSON type is KindType (TypeError);
//   - base64url decoding of user.id, challenge and excludeCredentials[].id (unpadded; see decodeBase64URL):
//     KindEncoding (EncodingError, #sctn-parseCreationOptionsFromJSON);
//   - more than MaxCredentialDescriptors excludeCredentials: KindRange;
//   - user.id not 1..64 bytes: KindType (W3C §5.1.3);
//   - rp.id present but empty: KindSecurity (it is not a valid domain, W3C §5.1.3 step 8).
//
// The challenge's length is not checked: W3C §13.4.3 asks Relying Parties for at least 16 random bytes, but no
// client step refuses a shorter one, and neither does Chromium. On error the result is nil.
func ParseCreationOptions(untrustedJSON []byte) (*CreationOptions, error) {
	top, err := parseJSONObject(untrustedJSON, "options")
	if err != nil {
		return nil, err
	}
	var o CreationOptions
	var raw struct {
		userID, challenge string
		exclude           []rawDescriptor
		rpIDPresent       bool
	}

	rp, _, err := top.object("rp", "rp", true)
	if err != nil {
		return nil, err
	}
	if o.RP.Name, _, err = rp.str("name", "rp.name", true); err != nil {
		return nil, err
	}
	if o.RP.ID, raw.rpIDPresent, err = rp.str("id", "rp.id", false); err != nil {
		return nil, err
	}

	user, _, err := top.object("user", "user", true)
	if err != nil {
		return nil, err
	}
	if raw.userID, _, err = user.str("id", "user.id", true); err != nil {
		return nil, err
	}
	if o.User.Name, _, err = user.str("name", "user.name", true); err != nil {
		return nil, err
	}
	if o.User.DisplayName, _, err = user.str("displayName", "user.displayName", true); err != nil {
		return nil, err
	}

	if raw.challenge, _, err = top.str("challenge", "challenge", true); err != nil {
		return nil, err
	}
	if o.PubKeyCredParams, err = parseCredParams(top); err != nil {
		return nil, err
	}
	if o.TimeoutMs, err = parseTimeout(top); err != nil {
		return nil, err
	}
	if raw.exclude, err = parseRawDescriptors(top, "excludeCredentials"); err != nil {
		return nil, err
	}
	if err = parseAuthenticatorSelection(top, &o); err != nil {
		return nil, err
	}
	if o.Hints, err = parseHints(top); err != nil {
		return nil, err
	}
	att, _, err := top.str("attestation", "attestation", false)
	if err != nil {
		return nil, err
	}
	o.Attestation = oneOf(att, AttestationNone, AttestationNone, AttestationIndirect, AttestationDirect, AttestationEnterprise)
	formats, _, err := top.strings("attestationFormats", "attestationFormats")
	if err != nil {
		return nil, err
	}
	o.AttestationFormats = nonNil(formats)
	if ext, ok, err := top.object("extensions", "extensions", false); err != nil {
		return nil, err
	} else if ok {
		if o.Extensions.CredProps, _, err = ext.boolean("credProps", "extensions.credProps"); err != nil {
			return nil, err
		}
		if o.Extensions.AppIDExclude, o.Extensions.HasAppIDExclude, err = ext.str("appidExclude", "extensions.appidExclude", false); err != nil {
			return nil, err
		}
	}

	// Base64url decoding, in Chromium's order (json.cc PublicKeyCredentialCreationOptionsFromJSON).
	var ok bool
	if o.User.ID, ok = decodeBase64URL(raw.userID); !ok {
		return nil, Errorf(KindEncoding, "user.id contains invalid base64url data")
	}
	if o.Challenge, ok = decodeBase64URL(raw.challenge); !ok {
		return nil, Errorf(KindEncoding, "challenge contains invalid base64url data")
	}
	if o.ExcludeCredentials, err = decodeDescriptors(raw.exclude, "excludeCredentials"); err != nil {
		return nil, err
	}

	if n := len(o.User.ID); n < MinUserIDLength || n > MaxUserIDLength {
		return nil, Errorf(KindType, "user.id must be between %d and %d bytes long, not %d", MinUserIDLength, MaxUserIDLength, n)
	}
	if raw.rpIDPresent && o.RP.ID == "" {
		return nil, Errorf(KindSecurity, "rp.id is present but empty, which is not a valid domain")
	}
	return &o, nil
}

// ParseRequestOptions parses a PublicKeyCredentialRequestOptionsJSON from untrusted JSON (the bare options),
// with the same error classes as ParseCreationOptions: KindType for structure (challenge is the only required
// member), KindEncoding for base64url (challenge, allowCredentials[].id), KindRange for more than
// MaxCredentialDescriptors allowCredentials, KindSecurity for a present but empty rpId. On error the result is nil.
func ParseRequestOptions(untrustedJSON []byte) (*RequestOptions, error) {
	top, err := parseJSONObject(untrustedJSON, "options")
	if err != nil {
		return nil, err
	}
	var o RequestOptions
	challenge, _, err := top.str("challenge", "challenge", true)
	if err != nil {
		return nil, err
	}
	if o.TimeoutMs, err = parseTimeout(top); err != nil {
		return nil, err
	}
	rpID, rpIDPresent, err := top.str("rpId", "rpId", false)
	if err != nil {
		return nil, err
	}
	o.RPID = rpID
	allow, err := parseRawDescriptors(top, "allowCredentials")
	if err != nil {
		return nil, err
	}
	uv, _, err := top.str("userVerification", "userVerification", false)
	if err != nil {
		return nil, err
	}
	o.UserVerification = oneOf(uv, RequirementPreferred, RequirementRequired, RequirementPreferred, RequirementDiscouraged)
	if o.Hints, err = parseHints(top); err != nil {
		return nil, err
	}
	if ext, ok, err := top.object("extensions", "extensions", false); err != nil {
		return nil, err
	} else if ok {
		if o.Extensions.AppID, o.Extensions.HasAppID, err = ext.str("appid", "extensions.appid", false); err != nil {
			return nil, err
		}
	}

	var ok bool
	if o.Challenge, ok = decodeBase64URL(challenge); !ok {
		return nil, Errorf(KindEncoding, "challenge contains invalid base64url data")
	}
	if o.AllowCredentials, err = decodeDescriptors(allow, "allowCredentials"); err != nil {
		return nil, err
	}
	if rpIDPresent && rpID == "" {
		return nil, Errorf(KindSecurity, "rpId is present but empty, which is not a valid domain")
	}
	return &o, nil
}

// SupportsES256 applies W3C §5.1.3 steps 10-11 for an authenticator that only makes ES256 (P-256, COSE -7)
// credentials: an empty pubKeyCredParams means the default [ES256, RS256], which includes ES256; otherwise
// entries whose type is not "public-key" are skipped, and if no remaining entry asks for -7 the result is
// KindNotSupported (NotSupportedError). Which of our algorithms to use is then always ES256.
func (o *CreationOptions) SupportsES256() error {
	if len(o.PubKeyCredParams) == 0 {
		return nil
	}
	for _, p := range o.PubKeyCredParams {
		if p.Type == CredentialTypePublicKey && p.Alg == COSEAlgES256 {
			return nil
		}
	}
	return Errorf(KindNotSupported, "none of the requested public key algorithms is supported (only ES256, COSE -7)").withReason(ReasonAlgorithm)
}

// CheckAuthenticatorFit applies the per-authenticator filters of W3C §5.1.3 ("For each authenticator that
// becomes available") to Twinkey, a cross-platform authenticator that cannot store discoverable credentials
// (its credential IDs are key handles, nothing is stored per site) and can verify the user (passphrase):
//
//   - authenticatorAttachment "platform" -> Reason ReasonPlatformAttachment;
//   - residentKey "required" (including requireResidentKey: true) -> Reason ReasonResidentKeyRequired;
//   - userVerification "required" fits.
//
// In the spec such an authenticator is skipped ("continue"), and with no other authenticator the ceremony ends in
// NotAllowedError when the user cancels or the timer expires. So the Kind is KindNotAllowed, not KindConstraint:
// ConstraintError is the authenticator operation's internal code (W3C §6.3.2 steps 3-4), which the client never
// surfaces (W3C §5.1.3 removes an authenticator that returns any error other than InvalidStateError); §5.1.3 throws
// ConstraintError itself for conditional create only. The Reason lets the caller hand the request to the browser's own
// authenticators instead of refusing it (bridge "handler": "platform").
func (o *CreationOptions) CheckAuthenticatorFit() error {
	if o.AuthenticatorAttachment == AttachmentPlatform {
		return Errorf(KindNotAllowed, "the site asks for a platform authenticator; Twinkey is a cross-platform security key").withReason(ReasonPlatformAttachment)
	}
	if o.ResidentKey == RequirementRequired {
		return Errorf(KindNotAllowed, "the site asks for a discoverable credential (passkey), which Twinkey does not store").withReason(ReasonResidentKeyRequired)
	}
	return nil
}

// rawDescriptor is a PublicKeyCredentialDescriptorJSON before base64url decoding.
type rawDescriptor struct {
	typ, id    string
	transports []string
}

func parseRawDescriptors(top jsonObject, name string) ([]rawDescriptor, error) {
	elems, _, err := top.array(name, name, false)
	if err != nil {
		return nil, err
	}
	out := make([]rawDescriptor, 0, len(elems))
	for i, raw := range elems {
		path := fmt.Sprintf("%s[%d]", name, i)
		d, err := asObject(raw, path)
		if err != nil {
			return nil, err
		}
		var r rawDescriptor
		if r.typ, _, err = d.str("type", path+".type", true); err != nil {
			return nil, err
		}
		if r.id, _, err = d.str("id", path+".id", true); err != nil {
			return nil, err
		}
		if r.transports, _, err = d.strings("transports", path+".transports"); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// decodeDescriptors decodes every id (EncodingError on any failure, as Chromium does for the whole list), then
// enforces MaxCredentialDescriptors on the list as given and drops descriptors of unknown type.
func decodeDescriptors(raw []rawDescriptor, name string) ([]CredentialDescriptor, error) {
	out := make([]CredentialDescriptor, 0, len(raw))
	for i, r := range raw {
		id, ok := decodeBase64URL(r.id)
		if !ok {
			return nil, Errorf(KindEncoding, "%s[%d].id contains invalid base64url data", name, i)
		}
		if r.typ != CredentialTypePublicKey {
			continue
		}
		out = append(out, CredentialDescriptor{Type: r.typ, ID: id, Transports: filterKnown(r.transports, knownTransports[:])})
	}
	if len(raw) > MaxCredentialDescriptors {
		return nil, Errorf(KindRange, "%s has %d entries, more than the maximum of %d", name, len(raw), MaxCredentialDescriptors)
	}
	return out, nil
}

func parseCredParams(top jsonObject) ([]CredParam, error) {
	elems, _, err := top.array("pubKeyCredParams", "pubKeyCredParams", true)
	if err != nil {
		return nil, err
	}
	out := make([]CredParam, 0, len(elems))
	for i, raw := range elems {
		path := fmt.Sprintf("pubKeyCredParams[%d]", i)
		p, err := asObject(raw, path)
		if err != nil {
			return nil, err
		}
		typ, _, err := p.str("type", path+".type", true)
		if err != nil {
			return nil, err
		}
		alg, _, err := p.number("alg", path+".alg", true)
		if err != nil {
			return nil, err
		}
		out = append(out, CredParam{Type: typ, Alg: int(webidlLong(alg))})
	}
	return out, nil
}

// parseTimeout reads the optional timeout (WebIDL unsigned long) and clamps it (W3C §5.1.3 step 4 / §5.1.4.1:
// "If pkOptions.timeout is present, check if its value lies within a reasonable range as defined by the client
// and if not, correct it to the closest value lying within that range").
func parseTimeout(top jsonObject) (uint32, error) {
	f, ok, err := top.number("timeout", "timeout", false)
	if err != nil {
		return 0, err
	}
	if !ok {
		return DefaultTimeoutMs, nil
	}
	return ClampTimeoutMs(webidlUnsignedLong(f)), nil
}

// ClampTimeoutMs clamps a page-supplied timeout to [MinTimeoutMs, MaxTimeoutMs].
func ClampTimeoutMs(ms uint32) uint32 {
	return min(max(ms, MinTimeoutMs), MaxTimeoutMs)
}

func parseAuthenticatorSelection(top jsonObject, o *CreationOptions) error {
	o.ResidentKey = RequirementDiscouraged
	o.UserVerification = RequirementPreferred
	sel, ok, err := top.object("authenticatorSelection", "authenticatorSelection", false)
	if err != nil || !ok {
		return err
	}
	att, _, err := sel.str("authenticatorAttachment", "authenticatorSelection.authenticatorAttachment", false)
	if err != nil {
		return err
	}
	o.AuthenticatorAttachment = oneOf(att, "", AttachmentPlatform, AttachmentCrossPlatform)
	rk, _, err := sel.str("residentKey", "authenticatorSelection.residentKey", false)
	if err != nil {
		return err
	}
	requireRK, _, err := sel.boolean("requireResidentKey", "authenticatorSelection.requireResidentKey")
	if err != nil {
		return err
	}
	fallback := RequirementDiscouraged
	if requireRK {
		fallback = RequirementRequired
	}
	o.ResidentKey = oneOf(rk, fallback, RequirementRequired, RequirementPreferred, RequirementDiscouraged)
	uv, _, err := sel.str("userVerification", "authenticatorSelection.userVerification", false)
	if err != nil {
		return err
	}
	o.UserVerification = oneOf(uv, RequirementPreferred, RequirementRequired, RequirementPreferred, RequirementDiscouraged)
	return nil
}

// knownHints are the PublicKeyCredentialHint values (W3C §5.8.7). Immutable.
var knownHints = [...]string{HintSecurityKey, HintClientDevice, HintHybrid}

func parseHints(top jsonObject) ([]string, error) {
	hints, _, err := top.strings("hints", "hints")
	if err != nil {
		return nil, err
	}
	return filterKnown(hints, knownHints[:]), nil
}

// oneOf returns v if it is one of known, else def (W3C: unknown enumeration values are ignored).
func oneOf(v, def string, known ...string) string {
	for _, k := range known {
		if v == k {
			return v
		}
	}
	return def
}

// filterKnown keeps the values of vs that are in known, in order; never nil.
func filterKnown(vs []string, known []string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if oneOf(v, "", known...) != "" {
			out = append(out, v)
		}
	}
	return out
}

func nonNil(vs []string) []string {
	if vs == nil {
		return []string{}
	}
	return vs
}
