package rules

// Frame is what the browser reported about the frame that called, as the service worker collected it:
//
//   - Origin, TabOrigin, FrameID and TabActive come from chrome.runtime.MessageSender (the browser process);
//   - AncestorOrigins, the Permissions Policy answers, UserActivation and Visible were read by the relay content
//     script in its isolated world (location.ancestorOrigins, document.permissionsPolicy.allowsFeature,
//     navigator.userActivation.isActive, document.visibilityState). Page scripts cannot patch the isolated
//     world's built-ins; these facts are only ever used to refuse more, never to widen what the sender allows.
type Frame struct {
	Origin          string   `json:"origin"`
	TabOrigin       string   `json:"tabOrigin"` // "" when the browser did not say (no tab)
	FrameID         int      `json:"frameId"`   // 0 for the top-level frame
	TabActive       bool     `json:"tabActive"`
	AncestorOrigins []string `json:"ancestorOrigins"`
	AllowsCreate    bool     `json:"allowsCreate"` // publickey-credentials-create
	AllowsGet       bool     `json:"allowsGet"`    // publickey-credentials-get
	UserActivation  bool     `json:"userActivation"`
	Visible         bool     `json:"visible"`
}

// FrameUse is what a caller asks a frame to do: make a credential (WebAuthn create, U2F register) or use one
// (WebAuthn get, U2F sign).
type FrameUse int

const (
	UseCreate FrameUse = iota + 1
	UseGet
)

// maxAncestors bounds the relay's ancestor list; Chromium limits frame tree depth far below this.
const maxAncestors = 64

// Caller is who asks, as the browser reports it: never taken from the page.
type Caller struct {
	Origin      Origin
	CrossOrigin bool
	TopOrigin   string // the top-level origin, when CrossOrigin
}

// Messages of the frame rules, as Chromium words them (Blink authentication_credentials_container.cc and
// AuthenticatorStatusToDOMException), so a page sees the same text with and without Twinkey.
const (
	msgNotFocused           = "The operation is not allowed at this time because the page does not have focus."
	msgActivationRequired   = "A user activation is required to create a credential in a cross-origin iframe."
	msgCreateNotEnabled     = "The 'publickey-credentials-create' feature is not enabled in this document. Permissions Policy may be used to delegate Web Authentication capabilities to cross-origin child frames."
	msgGetNotEnabled        = "The 'publickey-credentials-get' feature is not enabled in this document. Permissions Policy may be used to delegate Web Authentication capabilities to cross-origin child frames."
	msgAncestryInconsistent = "The frame's position in the page could not be established."
)

// CheckFrame applies the client rules about who may call, in Chromium's order, and answers the Caller:
//
//  1. an opaque origin is KindNotAllowed (W3C §5.1.3 step 5, §5.1.4.1 step 4); an origin that is not potentially
//     trustworthy, or an ancestor that is not, is KindSecurity ([SecureContext], W3C Secure Contexts §3.1);
//  2. the frame's ancestry must end at the tab's origin (a top frame has none): otherwise KindNotAllowed — the
//     browser and the relay disagree about the frame, so nothing is answered;
//  3. Permissions Policy (W3C §5.9, §5.10): a feature the document reports off is KindNotAllowed; a
//     cross-origin frame needs it delegated explicitly (the default allowlist is 'self');
//  4. create() in a cross-origin frame needs transient user activation (W3C §5.1.3 step 2; Chromium refuses with
//     NotAllowedError and consumes the activation — an extension can only observe it);
//  5. create() needs a page with focus: the tab is the active one of its window and the document is visible
//     (Chromium AuthenticatorCommonImpl::MakeCredential answers NOT_FOCUSED, NotAllowedError). get() has no such
//     check in Chromium; its dialog is tab-modal and shows when the tab comes to the front, so core/client has
//     the prompt of a background tab's get() wait for its tab (Prompt.WaitForTab).
func CheckFrame(f Frame, use FrameUse) (Caller, error) {
	origin, err := ParseOrigin(f.Origin)
	if err != nil {
		return Caller{}, err
	}
	if !origin.IsPotentiallyTrustworthy() {
		return Caller{}, Errorf(KindSecurity, "The origin of the document is not a secure context: %s", origin)
	}
	if len(f.AncestorOrigins) > maxAncestors {
		return Caller{}, Errorf(KindNotAllowed, "%s", msgAncestryInconsistent)
	}
	c := Caller{Origin: origin}
	if f.FrameID == 0 {
		if len(f.AncestorOrigins) != 0 || (f.TabOrigin != "" && f.TabOrigin != origin.String()) {
			return Caller{}, Errorf(KindNotAllowed, "%s", msgAncestryInconsistent)
		}
	} else {
		n := len(f.AncestorOrigins)
		if f.FrameID < 0 || f.TabOrigin == "" || n == 0 || f.AncestorOrigins[n-1] != f.TabOrigin {
			return Caller{}, Errorf(KindNotAllowed, "%s", msgAncestryInconsistent)
		}
		for _, a := range f.AncestorOrigins {
			ao, err := ParseOrigin(a)
			if err != nil || !ao.IsPotentiallyTrustworthy() {
				return Caller{}, Errorf(KindSecurity, "An ancestor of the frame is not a secure context.")
			}
			if ao != origin {
				c.CrossOrigin = true
			}
		}
		if c.CrossOrigin {
			top, _ := ParseOrigin(f.TabOrigin) // checked above as the last ancestor
			c.TopOrigin = top.String()
		}
	}
	allowed, msg := f.AllowsGet, msgGetNotEnabled
	if use == UseCreate {
		allowed, msg = f.AllowsCreate, msgCreateNotEnabled
	}
	if !allowed {
		// The relay answers false when the document says the feature is off, and a cross-origin frame without an
		// explicit delegation is off (allowsFeature answers for this document's own origin).
		return Caller{}, Errorf(KindNotAllowed, "%s", msg)
	}
	if use == UseCreate && c.CrossOrigin && !f.UserActivation {
		return Caller{}, Errorf(KindNotAllowed, "%s", msgActivationRequired)
	}
	if use == UseCreate && (!f.TabActive || !f.Visible) {
		return Caller{}, Errorf(KindNotAllowed, "%s", msgNotFocused)
	}
	return c, nil
}
