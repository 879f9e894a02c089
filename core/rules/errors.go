package rules

import (
	"errors"
	"fmt"
)

// Kind is the class of a refusal. Each Kind maps to exactly one DOMException name (what a WebAuthn caller sees)
// and one U2F JS API ErrorCode per U2F operation (what a window.u2f caller sees). kindTable is the one place
// where every page-visible name and code lives: the service worker and the page script carry what it says and
// map nothing themselves (bridge/PROTOCOL.md quotes it).
type Kind int

// Refusal classes, in kindTable's order.
const (
	// KindNotAllowed: a client rule refuses the caller before any person is asked (opaque origin, Permissions
	// Policy, a cross-origin create() without user activation, a page without focus, repeated requests after a
	// denial). DOMException NotAllowedError (W3C §5.1.3/§5.1.4 catch-all). U2F: CryptoToken answered a request its
	// permission checks refused with BAD_REQUEST for register (enroller.js checkU2fApiPermission_) and
	// DEVICE_INELIGIBLE for sign (signer.js canMakeU2fApiRequest).
	KindNotAllowed Kind = iota + 1
	// KindSecurity: the caller may not claim this RP ID / AppID, or its origin is not a secure context or not a
	// valid domain. DOMException SecurityError (W3C §5.1.3 steps 7-8, §5.1.4, §10.1.1). U2F: 2 BAD_REQUEST.
	KindSecurity
	// KindType: malformed options (missing required member, wrong JSON type, user.id length). TypeError (W3C
	// §5.1.3 "If the length of pkOptions.user.id is not between 1 and 64 bytes"; WebIDL dictionary conversion).
	// U2F: 2 BAD_REQUEST.
	KindType
	// KindNotSupported: no usable pubKeyCredParams entry (W3C §5.1.3 step 11). NotSupportedError.
	// U2F: 3 CONFIGURATION_UNSUPPORTED.
	KindNotSupported
	// KindInvalidState: an excludeCredentials entry (or a U2F registeredKey) lives on this authenticator and the
	// user consented (W3C §5.1.3, §6.3.2 step 3). InvalidStateError. U2F: 4 DEVICE_INELIGIBLE.
	KindInvalidState
	// KindConstraint: a requirement the authenticator cannot meet, reported by the authenticator operation
	// (W3C §6.3.2 "equivalent to ConstraintError"; conditional create with UV required). ConstraintError.
	// U2F: 3 CONFIGURATION_UNSUPPORTED.
	KindConstraint
	// KindEncoding: bad base64url in a *FromJSON dictionary (W3C #sctn-parseCreationOptionsFromJSON and
	// #sctn-parseRequestOptionsFromJSON; Chromium's Blink json.cc throws EncodingError). EncodingError.
	// U2F (bad websafe base64): 2 BAD_REQUEST.
	KindEncoding
	// KindAbort: the default abort reason (W3C §5.6). AbortError. U2F has no abort: 1 OTHER_ERROR.
	KindAbort
	// KindTimeout: the ceremony timer expired (W3C §5.1.3 "lifetimeTimer expires"). NotAllowedError.
	// U2F: 5 TIMEOUT.
	KindTimeout
	// KindIneligible: none of the listed credentials / key handles lives on this authenticator, known after a
	// person acted. NotAllowedError for WebAuthn (W3C §5.1.4). U2F: 4 DEVICE_INELIGIBLE (U2F JS API v1.1 §3.2.4
	// "sign: ... none of the key handles were recognised").
	KindIneligible
	// KindUnknown: anything unexpected, including every error that is not an *Error. NotReadableError, the name
	// Chromium gives an unknown internal failure (Blink CredentialManagerErrorToDOMException). U2F: 1 OTHER_ERROR.
	KindUnknown
	// KindRange: a list longer than a client accepts (more than MaxCredentialDescriptors entries). Chromium
	// rejects those with a DOMException named "RangeError" (Blink IsCredentialDescriptorListBelowSizeLimit).
	// U2F: 2 BAD_REQUEST.
	KindRange
	// KindDenied: the person denied or closed the prompt, or did not give what the site required (the passphrase
	// for userVerification "required"). NotAllowedError (W3C §5.1.3 "the user cancels"). U2F: Chrome's
	// CryptoToken, which by then proxied U2F to WebAuthn, turned a NotAllowedError into TIMEOUT (5) for register
	// (enroller.js onWebAuthnError_) and DEVICE_INELIGIBLE (4) for sign (signer.js handleWebAuthnError_), so the
	// legacy sites still in use have been tested against exactly those codes; we keep them.
	KindDenied
	// KindPending: another request of the same tab is still waiting. Chromium answers a second request while one
	// is pending with OperationError ("A request is already pending.", Blink AuthenticatorStatusToDOMException
	// PENDING_REQUEST). U2F: 1 OTHER_ERROR.
	KindPending
	// KindDevice: a USB security key (or the way to it) failed or refused: removed mid-ceremony, held by another
	// program, no OS permission, a PIN problem, a CTAP error. NotAllowedError, as Chromium reports an
	// authenticator's failure to a page; U2F: 1 OTHER_ERROR.
	KindDevice
)

// U2FErrorCode values (U2F JS API v1.1 §3.2.4 ErrorCode).
const (
	U2FOK                       = 0
	U2FOtherError               = 1
	U2FBadRequest               = 2
	U2FConfigurationUnsupported = 3
	U2FDeviceIneligible         = 4
	U2FTimeout                  = 5
)

// kindTable is the one mapping of Kind to page-visible names and codes. Immutable.
var kindTable = [...]struct {
	name        string // Go-side name of the Kind, for String()
	dom         string // DOMException name (or "TypeError"/"RangeError")
	u2fRegister int    // U2F ErrorCode for u2f.register
	u2fSign     int    // U2F ErrorCode for u2f.sign
}{
	KindNotAllowed:   {"NotAllowed", "NotAllowedError", U2FBadRequest, U2FDeviceIneligible},
	KindSecurity:     {"Security", "SecurityError", U2FBadRequest, U2FBadRequest},
	KindType:         {"Type", "TypeError", U2FBadRequest, U2FBadRequest},
	KindNotSupported: {"NotSupported", "NotSupportedError", U2FConfigurationUnsupported, U2FConfigurationUnsupported},
	KindInvalidState: {"InvalidState", "InvalidStateError", U2FDeviceIneligible, U2FDeviceIneligible},
	KindConstraint:   {"Constraint", "ConstraintError", U2FConfigurationUnsupported, U2FConfigurationUnsupported},
	KindEncoding:     {"Encoding", "EncodingError", U2FBadRequest, U2FBadRequest},
	KindAbort:        {"Abort", "AbortError", U2FOtherError, U2FOtherError},
	KindTimeout:      {"Timeout", "NotAllowedError", U2FTimeout, U2FTimeout},
	KindIneligible:   {"Ineligible", "NotAllowedError", U2FDeviceIneligible, U2FDeviceIneligible},
	KindUnknown:      {"Unknown", "NotReadableError", U2FOtherError, U2FOtherError},
	KindRange:        {"Range", "RangeError", U2FBadRequest, U2FBadRequest},
	KindDenied:       {"Denied", "NotAllowedError", U2FTimeout, U2FDeviceIneligible},
	KindPending:      {"Pending", "OperationError", U2FOtherError, U2FOtherError},
	KindDevice:       {"Device", "NotAllowedError", U2FOtherError, U2FOtherError},
}

// valid reports whether k is one of the declared Kinds.
func (k Kind) valid() bool { return k >= KindNotAllowed && int(k) < len(kindTable) }

// String returns the Kind's Go-side name ("Security", "Type", ...); unknown values print as Kind(n).
func (k Kind) String() string {
	if !k.valid() {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindTable[k].name
}

// DOMExceptionName is the name of the DOMException (or simple exception) a page sees for this Kind.
// Undeclared Kinds map like KindUnknown.
func (k Kind) DOMExceptionName() string {
	if !k.valid() {
		k = KindUnknown
	}
	return kindTable[k].dom
}

// U2FErrorCode is the U2F JS API ErrorCode a window.u2f caller sees for this Kind: for u2f.register when
// register is true, for u2f.sign otherwise. Undeclared Kinds map like KindUnknown.
func (k Kind) U2FErrorCode(register bool) int {
	if !k.valid() {
		k = KindUnknown
	}
	if register {
		return kindTable[k].u2fRegister
	}
	return kindTable[k].u2fSign
}

// Reason is an optional machine-readable detail of a refusal that a caller may route on (for example, hand the
// request to the browser's own authenticator instead of refusing it). Most refusals carry no Reason.
type Reason string

// Reasons set by this package.
const (
	// ReasonResidentKeyRequired: residentKey "required" (or requireResidentKey true); Twinkey's key handles are
	// not discoverable credentials.
	ReasonResidentKeyRequired Reason = "resident-key-required"
	// ReasonPlatformAttachment: authenticatorAttachment "platform"; Twinkey presents itself as cross-platform.
	ReasonPlatformAttachment Reason = "platform-attachment"
	// ReasonRelatedOrigin: the RP ID is a valid domain but not a registrable suffix of the caller's; only a
	// related origin request (W3C §5.11) could allow it.
	ReasonRelatedOrigin Reason = "related-origin"
	// ReasonAlgorithm: no requested algorithm is ES256, the only one Twinkey makes.
	ReasonAlgorithm Reason = "algorithm"
)

// Error is a refusal of this package (and of the layers above it that reuse Kind). Message is for a person and
// never contains secrets; Reason is optional.
type Error struct {
	Kind    Kind
	Message string
	Reason  Reason
	cause   error // wrapped with %w by Errorf, reachable through errors.Unwrap
}

// Error returns "<DOMException name>: <message>".
func (e *Error) Error() string {
	return e.Kind.DOMExceptionName() + ": " + e.Message
}

// Unwrap returns the error wrapped with %w in Errorf, if any.
func (e *Error) Unwrap() error { return e.cause }

// Errorf builds an *Error of Kind k. The format follows fmt.Errorf: a %w operand stays reachable with
// errors.Is/As through the returned error.
func Errorf(k Kind, format string, args ...any) *Error {
	w := fmt.Errorf(format, args...)
	return &Error{Kind: k, Message: w.Error(), cause: errors.Unwrap(w)}
}

// withReason returns e with its Reason set.
func (e *Error) withReason(r Reason) *Error {
	e.Reason = r
	return e
}

// KindOf returns the Kind of the outermost *Error in err's chain, KindUnknown when there is none, and 0 for nil.
func KindOf(err error) Kind {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) && e.Kind.valid() {
		return e.Kind
	}
	return KindUnknown
}

// ReasonOf returns the Reason of the outermost *Error in err's chain ("" when there is none).
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// DOMExceptionName is the one mapping of an error to the DOMException name a WebAuthn caller sees
// ("" for nil). Errors that are not *Error anywhere in their chain map to KindUnknown's name.
func DOMExceptionName(err error) string {
	if err == nil {
		return ""
	}
	return KindOf(err).DOMExceptionName()
}

// U2FErrorCode is the one mapping of an error to the U2F JS API ErrorCode of u2f.sign (0 OK for nil); see
// Kind.U2FErrorCode for register. Errors that are not *Error anywhere in their chain map to KindUnknown's code.
func U2FErrorCode(err error) int {
	if err == nil {
		return U2FOK
	}
	return KindOf(err).U2FErrorCode(false)
}

// maxQuoted bounds how much of a page-supplied string an error message repeats.
const maxQuoted = 80

// clip returns s, or its first maxQuoted bytes followed by "…", for quoting page-supplied strings in messages.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return s[:maxQuoted] + "…"
}
