package client

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/twinkey/twinkey/core"
	"github.com/twinkey/twinkey/core/counter"
	"github.com/twinkey/twinkey/core/rules"
	"github.com/twinkey/twinkey/core/settings"
)

// Op is a page operation (extension/MESSAGES.md §1 "op").
type Op string

const (
	OpCreate      Op = "webauthn.create"
	OpGet         Op = "webauthn.get"
	OpU2FRegister Op = "u2f.register"
	OpU2FSign     Op = "u2f.sign"
)

func (o Op) valid() bool {
	return o == OpCreate || o == OpGet || o == OpU2FRegister || o == OpU2FSign
}

// U2F reports whether o is a legacy window.u2f operation.
func (o Op) U2F() bool { return o == OpU2FRegister || o == OpU2FSign }

func (o Op) use() rules.FrameUse {
	if o == OpCreate || o == OpU2FRegister {
		return rules.UseCreate
	}
	return rules.UseGet
}

// DecisionType is who answers a page's request.
type DecisionType string

const (
	// DecidePrompt: the software key, after a person acts in the consent prompt (Prompt says what it shows).
	DecidePrompt DecisionType = "prompt"
	// DecideUSB: a USB security key through the native host, after a person approves in the same prompt. The
	// service worker checks that the host is installed; if not, it asks for NoHost's decision instead.
	DecideUSB DecisionType = "usb"
	// DecideBrowser: the browser's own WebAuthn, given the options the page script already converted.
	DecideBrowser DecisionType = "browser"
	// DecideRefuse: the page gets Error now, with no prompt.
	DecideRefuse DecisionType = "refuse"
)

// InputDelay is how long the consent prompt ignores Approve after it became visible and focused (and again after
// it regains focus): a click or key press already on its way when the window appeared must not approve. Chromium's
// permission prompts use the same protection (InputEventActivationProtector, 500 ms).
const InputDelay = 500 * time.Millisecond

// PageError is what a page sees for a refusal: the DOMException name (or "TypeError" / "RangeError"), the U2F
// ErrorCode of the operation, and a message for a person.
type PageError struct {
	Name    string `json:"name"`
	U2FCode int    `json:"u2fCode"`
	Message string `json:"message"`
}

// ToPageError is the one mapping of an error to what a page sees for op (rules.Kind's table).
func ToPageError(err error, op Op) *PageError {
	var re *rules.Error
	if !errors.As(MapError(err), &re) {
		re = rules.Errorf(rules.KindUnknown, "Twinkey failed.")
	}
	k := rules.KindOf(re)
	return &PageError{Name: k.DOMExceptionName(), U2FCode: k.U2FErrorCode(op == OpU2FRegister), Message: re.Message}
}

// Chromium's message for a NotAllowedError from the authenticator (Blink AuthenticatorStatusToDOMException
// NOT_ALLOWED_ERROR). It is the same for a denial and a timeout, as W3C §14.5.2 asks, so a site cannot tell them
// apart (U2F callers get CryptoToken's codes, which did tell them apart).
const msgNotAllowed = "The operation either timed out or was not allowed. See: https://www.w3.org/TR/webauthn-2/#sctn-privacy-considerations-client."

// Refusals of the client, each a rules.Error of one Kind (ToPageError maps them).
var (
	ErrDenied    = rules.Errorf(rules.KindDenied, "%s", msgNotAllowed)
	ErrTimedOut  = rules.Errorf(rules.KindTimeout, "%s", msgNotAllowed)
	ErrPending   = rules.Errorf(rules.KindPending, "A request is already pending.")
	ErrBackoff   = rules.Errorf(rules.KindNotAllowed, "%s", msgNotAllowed)
	ErrNoHost    = rules.Errorf(rules.KindDenied, "This site uses your USB security key only, and Twinkey's USB helper is not installed: run twinkey-host install.")
	ErrNotOurs   = rules.Errorf(rules.KindIneligible, "No security key can answer this request.")
	ErrExcluded  = rules.Errorf(rules.KindInvalidState, "The user attempted to register an authenticator that contains one of the credentials already registered with the relying party.")
	ErrForgotten = rules.Errorf(rules.KindUnknown, "Twinkey restarted and no longer knows this request: try again.")
	ErrNotMine   = rules.Errorf(rules.KindIneligible, "This security key is not registered with this site.")
)

// VaultState is the vault as the bridge found it.
type VaultState int

const (
	VaultMissing VaultState = iota
	VaultLocked
	VaultUnlocked
)

// Facts is everything a decision depends on. Frame and the page's request are as the service worker received
// them; the rest is the bridge's own state.
type Facts struct {
	Op        Op
	Frame     rules.Frame
	TabBusy   bool            // another request of the same tab is pending
	Untrusted json.RawMessage // the page's payload (extension/MESSAGES.md §1)
	Settings  settings.Settings
	Vault     VaultState
	Auth      *core.Authenticator // when Vault is VaultUnlocked
	Now       time.Time
	UVAt      time.Time // when the passphrase was last entered in this browser session (zero: not yet)
	// BackoffUntil: the person denied a request of this caller origin recently; until then it gets ErrBackoff.
	BackoffUntil time.Time
}

// Prompt is what the consent prompt shows (extension/MESSAGES.md §3 consent.get). Page-supplied text (User,
// UserDisplayName) is shown as text only.
type Prompt struct {
	Op              Op     `json:"op"`
	Origin          string `json:"origin"`
	CrossOrigin     bool   `json:"crossOrigin"`
	TopOrigin       string `json:"topOrigin,omitempty"`
	RPID            string `json:"rpId,omitempty"`
	AppID           string `json:"appId,omitempty"`
	User            string `json:"user,omitempty"`
	UserDisplayName string `json:"userDisplayName,omitempty"`
	Locked          bool   `json:"locked"`
	// Passphrase is "required" (the vault is locked, or the site requires user verification) or "none".
	Passphrase string `json:"passphrase"`
	// RecentPassphraseMinutes > 0: user verification is reported from a passphrase entered within that many
	// minutes (the opt-in setting); the prompt says so.
	RecentPassphraseMinutes int `json:"recentPassphraseMinutes,omitempty"`
	// Hardware: a USB key answers; Status "ready" or "not-installed" (the host is missing: Close only).
	Hardware *HardwarePrompt `json:"hardware,omitempty"`
	// NotRegistered: no key here can answer (a foreign U2F handle and no USB helper); the prompt says so and
	// offers Close, after which the page gets ErrNotMine, as a real key answers only after a touch.
	NotRegistered bool `json:"notRegistered,omitempty"`
	InputDelayMs  int  `json:"inputDelayMs"`
	// WaitForTab: the calling tab is not the one in front (a get(), which Chromium does not refuse for that); the
	// prompt opens once the person brings the tab to the front, as Chromium's tab-modal dialog is shown then, and
	// never over the tab the person is looking at. The ceremony's timer runs meanwhile.
	WaitForTab bool `json:"waitForTab,omitempty"`
}

// HardwarePrompt is the prompt's USB key part.
type HardwarePrompt struct {
	Status string `json:"status"` // "ready" | "not-installed"
}

// Decision is the answer to one page request.
type Decision struct {
	Type      DecisionType `json:"decision"`
	Error     *PageError   `json:"error,omitempty"`     // DecideRefuse
	Prompt    *Prompt      `json:"prompt,omitempty"`    // DecidePrompt, DecideUSB
	TimeoutMs uint32       `json:"timeoutMs,omitempty"` // the ceremony's timer, for prompt and usb
	Site      string       `json:"site,omitempty"`      // RP ID or AppID host, for the activity log
	// Ceremony is the validated request behind a prompt or usb decision, kept by the caller until it ends.
	Ceremony *Ceremony `json:"-"`
}

// route is where an open ceremony goes on approval.
type route int

const (
	routeSoftware      route = iota + 1 // the software key signs
	routeLocked                         // unlock first, then decide between the software key and the USB key
	routeUSB                            // the USB key
	routeNoHostRefusal                  // hardware-only site without the USB helper: Close answers ErrNoHost
	routeNotRegistered                  // foreign U2F handle, no USB helper: Close answers ErrNotMine
)

// Ceremony is a validated request between its decision and its answer. The untrusted request was parsed once,
// into exactly one of the plans.
type Ceremony struct {
	Op            Op
	Caller        Caller
	Site          string
	CounterPolicy counter.Policy
	HardwareOnly  bool
	UV            string // the WebAuthn userVerification requirement ("discouraged" for U2F)
	// UVFromWindow: UV may be reported from a recent passphrase (opt-in window, userVerification "preferred").
	UVFromWindow bool
	TimeoutMs    uint32

	create     *CreatePlan
	get        *GetPlan
	reg        *U2FRegisterPlan
	sign       *U2FSignPlan
	route      route
	prompt     Prompt
	waitForTab bool
	// softwareCannot says why the software key cannot answer (a rules.Reason or Reason* of this package) when a
	// USB key could: such a request goes to the USB key on hardware-only sites and to the browser elsewhere.
	softwareCannot string
}

func refuse(err error, op Op) Decision {
	return Decision{Type: DecideRefuse, Error: ToPageError(err, op)}
}

var browser = Decision{Type: DecideBrowser}

// webAuthnPayload is the page script's WebAuthn payload: options as WebAuthn L3 JSON, and mediation.
type webAuthnPayload struct {
	Options   json.RawMessage `json:"options"`
	Mediation string          `json:"mediation"`
}

// Decide answers one page request. The order is Chromium's where Chromium has one, with Twinkey's own checks
// placed so that a request Twinkey would not answer reaches the browser untouched:
//
//  1. a second request of the same tab: ErrPending (Chromium serves one request per frame at a time);
//  2. an unparsable or opaque caller origin: refused (the browser reported it; nothing else can answer it);
//  3. Twinkey switched off for the site, or no vault yet: the browser (WebAuthn), the USB key (legacy U2F, when a
//     registered key names one), or for U2F without either ErrNotOurs — hardware-only sites still go to the USB key;
//  4. the page's request is parsed (once): malformed requests get the browser's own error; requests only the
//     browser can serve (no ES256, a related-origin RP ID, a discoverable credential, a platform authenticator,
//     conditional mediation, an empty allowCredentials) go to it;
//  5. the frame rules (rules.CheckFrame): Permissions Policy, user activation, focus;
//  6. back-off after a denial (ErrBackoff), then the route: hardware-only -> usb; a locked vault -> prompt (routed
//     after unlock); a sign-in that names no Twinkey credential -> usb (the browser when the host is missing);
//     otherwise the software key's prompt.
func Decide(f Facts) Decision {
	if !f.Op.valid() {
		return refuse(rules.Errorf(rules.KindType, "unknown operation"), f.Op)
	}
	if f.TabBusy {
		return refuse(ErrPending, f.Op)
	}
	origin, err := rules.ParseOrigin(f.Frame.Origin)
	if err != nil {
		return refuse(err, f.Op)
	}
	var payload webAuthnPayload
	if !f.Op.U2F() {
		// Members other than these are ignored, as WebIDL ignores unknown dictionary members.
		if err := json.Unmarshal(f.Untrusted, &payload); err != nil {
			return refuse(rules.Errorf(rules.KindType, "malformed request"), f.Op)
		}
		if payload.Mediation == "conditional" {
			return browser // autofill: the browser's own passkeys
		}
	}

	// 3. Off, or not set up: the browser's (or for U2F nobody's) request, without Twinkey's rules.
	early := f.Settings.ForSite(origin.Host, origin.Host)
	if early.Off {
		return notTwinkeys(f.Op)
	}
	if f.Vault == VaultMissing && !early.HardwareOnly && (f.Op == OpCreate || f.Op == OpU2FRegister) {
		return notTwinkeys(f.Op)
	}

	// 4. Parse once.
	c, d, ok := plan(f, origin, payload)
	if !ok {
		return d
	}
	site := f.Settings.ForSite(origin.Host, c.Site)
	if site.Off {
		return notTwinkeys(f.Op)
	}
	if c.softwareCannot != "" && !site.HardwareOnly {
		return browser // no ES256, a discoverable credential, a username-less sign-in: not the software key's
	}

	// 5. Frame rules.
	caller, err := rules.CheckFrame(f.Frame, f.Op.use())
	if err != nil {
		return refuse(err, f.Op)
	}
	c.setCaller(caller)
	c.CounterPolicy = site.CounterPolicy
	c.HardwareOnly = site.HardwareOnly

	// 6. Back-off, then the route.
	if f.Now.Before(f.BackoffUntil) {
		return refuse(ErrBackoff, f.Op)
	}
	switch {
	case site.HardwareOnly:
		c.route = routeUSB
	case f.Vault == VaultMissing:
		if f.Op == OpCreate || f.Op == OpU2FRegister {
			return notTwinkeys(f.Op)
		}
		c.route = routeUSB // a sign-in naming credentials: none can be Twinkey's
	case f.Vault == VaultLocked:
		c.route = routeLocked
	case !c.mine(f.Auth):
		c.route = routeUSB
	default:
		c.route = routeSoftware
	}
	c.UVFromWindow = c.UV == rules.RequirementPreferred && f.Settings.UVWindowMinutes > 0 &&
		!f.UVAt.IsZero() && f.Now.Sub(f.UVAt) <= time.Duration(f.Settings.UVWindowMinutes)*time.Minute
	c.waitForTab = !f.Frame.TabActive || !f.Frame.Visible // only get() gets here so (CheckFrame refuses create())
	return c.decision(f.Vault == VaultLocked, f.Settings.UVWindowMinutes)
}

// notTwinkeys answers a request Twinkey does not take part in (the site is off, or there is no vault to make a
// credential with): WebAuthn goes to the browser untouched; legacy U2F, which no browser serves any more, is
// refused.
func notTwinkeys(op Op) Decision {
	if op.U2F() {
		return refuse(ErrNotOurs, op)
	}
	return browser
}

// plan parses the page's request into a Ceremony, or answers the decision that ends it (refuse, or browser for
// the requests only the browser can serve).
func plan(f Facts, origin rules.Origin, payload webAuthnPayload) (*Ceremony, Decision, bool) {
	caller := Caller{Origin: origin}
	c := &Ceremony{Op: f.Op, Caller: caller, UV: rules.RequirementDiscouraged}
	// An RP ID only a related origin request could allow is the browser's to check; the other requests only the
	// browser or a USB key can serve arrive as plans with softwareCannot set (PrepareCreate, PrepareGet).
	fail := func(err error) (*Ceremony, Decision, bool) {
		if rules.ReasonOf(err) == rules.ReasonRelatedOrigin {
			return nil, browser, false
		}
		return nil, refuse(err, f.Op), false
	}
	switch f.Op {
	case OpCreate:
		p, err := PrepareCreate(caller, payload.Options)
		if err != nil {
			return fail(err)
		}
		if p.Reason == string(rules.ReasonPlatformAttachment) {
			return nil, browser, false // a platform authenticator: never a USB key either
		}
		if p.Handler != HandlerTwinkey {
			c.softwareCannot = p.Reason
		}
		c.create, c.Site, c.UV, c.TimeoutMs = p, p.RPID, p.Options.UserVerification, p.Options.TimeoutMs
		c.prompt.User, c.prompt.UserDisplayName = clipText(p.Options.User.Name), clipText(p.Options.User.DisplayName)
		c.prompt.RPID = p.RPID
	case OpGet:
		p, err := PrepareGet(caller, payload.Options)
		if err != nil {
			return fail(err)
		}
		if p.Handler != HandlerTwinkey {
			c.softwareCannot = p.Reason // username-less sign-in: the browser's passkeys, or a USB key's
		}
		c.get, c.Site, c.UV, c.TimeoutMs = p, p.RPID, p.Options.UserVerification, p.Options.TimeoutMs
		c.prompt.RPID = p.RPID
	case OpU2FRegister:
		p, err := PrepareU2FRegister(caller, f.Untrusted)
		if err != nil {
			return fail(err)
		}
		c.reg, c.Site, c.TimeoutMs = p, appIDSite(p.AppID, origin), u2fTimeoutMs(p.Request.TimeoutSeconds)
		c.prompt.AppID = p.AppID
	case OpU2FSign:
		p, err := PrepareU2FSign(caller, f.Untrusted)
		if err != nil {
			return fail(err)
		}
		c.sign, c.Site, c.TimeoutMs = p, appIDSite(p.AppID, origin), u2fTimeoutMs(p.Request.TimeoutSeconds)
		c.prompt.AppID = p.AppID
	}
	return c, Decision{}, true
}

// u2fTimeoutMs is the U2F request's timer: timeoutSeconds (CryptoToken's default 30 s when absent, already
// applied by rules.ParseU2F*), clamped to WebAuthn's range so a page cannot give a person less than 10 s.
func u2fTimeoutMs(seconds int) uint32 {
	ms := int64(seconds) * 1000
	return uint32(min(max(ms, rules.MinTimeoutMs), rules.MaxTimeoutMs))
}

// appIDSite is the host an AppID names (the caller's host when it is not a URL with one).
func appIDSite(appID string, caller rules.Origin) string {
	if u, err := url.Parse(appID); err == nil && u.Hostname() != "" {
		return strings.ToLower(u.Hostname())
	}
	return caller.Host
}

// maxPromptText bounds page-supplied text in the prompt.
const maxPromptText = 256

func clipText(s string) string {
	if len(s) <= maxPromptText {
		return s
	}
	r := []rune(s)
	if len(r) > maxPromptText {
		r = r[:maxPromptText]
	}
	return string(r)
}

// setCaller gives the ceremony and its plan the caller the frame rules established (cross-origin and top
// origin included: they go into the client data).
func (c *Ceremony) setCaller(caller Caller) {
	c.Caller = caller
	switch {
	case c.create != nil:
		c.create.Caller = caller
	case c.get != nil:
		c.get.Caller = caller
	case c.reg != nil:
		c.reg.Caller = caller
	case c.sign != nil:
		c.sign.Caller = caller
	}
}

// mine reports whether the unlocked authenticator answers the request: always for registrations, and for sign-ins
// when an allowed credential (or registered key) is its own (a MAC check, constant time, before any key exists).
func (c *Ceremony) mine(a *core.Authenticator) bool {
	if a == nil {
		return false
	}
	switch c.Op {
	case OpGet:
		c.get.Route(a)
		return c.get.Handler == HandlerTwinkey
	case OpU2FSign:
		c.sign.Route(a)
		return c.sign.Handler == HandlerTwinkey
	}
	return true
}

// decision is the prompt or usb decision for c's route.
func (c *Ceremony) decision(locked bool, uvWindowMinutes int) Decision {
	p := c.prompt
	p.Op, p.Origin, p.CrossOrigin, p.TopOrigin = c.Op, c.Caller.Origin.String(), c.Caller.CrossOrigin, c.Caller.TopOrigin
	p.InputDelayMs = int(InputDelay / time.Millisecond)
	p.Passphrase = "none"
	p.WaitForTab = c.waitForTab
	d := Decision{Type: DecidePrompt, TimeoutMs: c.TimeoutMs, Site: c.Site, Ceremony: c}
	switch c.route {
	case routeUSB:
		d.Type = DecideUSB
		p.Hardware = &HardwarePrompt{Status: "ready"}
	case routeNoHostRefusal:
		p.Hardware = &HardwarePrompt{Status: "not-installed"}
	case routeNotRegistered:
		p.NotRegistered = true
	default:
		p.Locked = locked
		if locked || c.UV == rules.RequirementRequired {
			p.Passphrase = "required"
		}
		if c.UVFromWindow && !locked {
			p.RecentPassphraseMinutes = uvWindowMinutes
		}
	}
	c.prompt = p
	d.Prompt = &p
	return d
}

// NoHost answers the decision that replaces a usb one when the native host is not installed: a hardware-only
// site shows the prompt's explanation (Close answers ErrNoHost); a WebAuthn sign-in for foreign credentials
// goes to the browser; a foreign U2F handle (and a U2F register on a site Twinkey does not answer) shows that no
// key here is registered, answered only after the person closed it.
func (c *Ceremony) NoHost() Decision {
	switch {
	case c.HardwareOnly:
		c.route = routeNoHostRefusal
	case !c.Op.U2F():
		return browser
	default:
		c.route = routeNotRegistered
	}
	return c.decision(false, 0)
}

// EndReason is why a ceremony ended without an approval.
type EndReason string

const (
	EndDenied  EndReason = "denied"  // Deny, Close, or the prompt window closed: a person acted
	EndTimeout EndReason = "timeout" // the ceremony's timer ran out
)

// End answers the page's error for a ceremony that ends without approval.
func (c *Ceremony) End(why EndReason) *PageError {
	if why == EndTimeout {
		return ToPageError(ErrTimedOut, c.Op)
	}
	switch c.route {
	case routeNoHostRefusal:
		return ToPageError(ErrNoHost, c.Op)
	case routeNotRegistered:
		return ToPageError(ErrNotMine, c.Op)
	}
	return ToPageError(ErrDenied, c.Op)
}
