package client

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/twinkey/twinkey/core"
	"github.com/twinkey/twinkey/core/counter"
	"github.com/twinkey/twinkey/core/rules"
)

// OutcomeType is what follows a person's approval.
type OutcomeType string

const (
	// OutcomeAnswer: the ceremony is over; the page gets Result, or Error.
	OutcomeAnswer OutcomeType = "answer"
	// OutcomeRetry: the prompt stays open and shows Error (a passphrase is missing or wrong).
	OutcomeRetry OutcomeType = "retry"
	// OutcomeUSB: send Host to the native host, then hand its result to HostResult (or its error to HostError).
	OutcomeUSB OutcomeType = "usb"
	// OutcomeBrowser: the browser's own WebAuthn answers after all (a locked vault whose credentials were not
	// Twinkey's, and no USB helper).
	OutcomeBrowser OutcomeType = "browser"
)

// Outcome is the answer to an approval or to a USB key's result.
type Outcome struct {
	Type   OutcomeType  `json:"outcome"`
	Result any          `json:"result,omitempty"`
	Error  *PageError   `json:"error,omitempty"`
	Host   *HostRequest `json:"host,omitempty"`
	// Activity is the activity log's word for how it ended ("ok", "excluded", an error name).
	Activity string `json:"activity,omitempty"`
}

// Prompt errors: shown in the prompt, which stays open. Not page-visible.
var (
	promptPassphraseRequired = &PageError{Name: "PassphraseRequired", Message: "Enter your passphrase."}
	promptWrongPassphrase    = &PageError{Name: "WrongPassphrase", Message: "Wrong passphrase."}
)

// WrongPassphrase is the retry outcome for a passphrase that did not open the vault.
func WrongPassphrase() Outcome { return Outcome{Type: OutcomeRetry, Error: promptWrongPassphrase} }

// NeedsPassphrase reports whether an approval must come with the passphrase: the vault is locked, or the site
// requires user verification (W3C §5.1.3 step 20, §5.1.4.1), for the software key only.
func (c *Ceremony) NeedsPassphrase() bool {
	return c.prompt.Passphrase == "required"
}

// answer ends the ceremony with the page's result or error.
func (c *Ceremony) answer(result any, err error) Outcome {
	if err != nil {
		pe := ToPageError(err, c.Op)
		activity := pe.Name
		if rules.KindOf(MapError(err)) == rules.KindInvalidState {
			activity = "excluded"
		}
		return Outcome{Type: OutcomeAnswer, Error: pe, Activity: activity}
	}
	return Outcome{Type: OutcomeAnswer, Result: result, Activity: "ok"}
}

// Approve runs the ceremony after a person approved it in the prompt. a is the unlocked vault's authenticator (nil
// when the ceremony does not need it: USB keys); typed says the person typed the passphrase in this prompt and it
// opened the vault, which is the only user verification reported besides the opt-in window (UVFromWindow).
func (c *Ceremony) Approve(ctx context.Context, a *core.Authenticator, typed bool) Outcome {
	switch c.route {
	case routeNoHostRefusal, routeNotRegistered:
		return Outcome{Type: OutcomeAnswer, Error: c.End(EndDenied), Activity: "denied"}
	case routeUSB:
		h := c.HostRequest()
		return Outcome{Type: OutcomeUSB, Host: &h}
	}
	if c.NeedsPassphrase() && !typed {
		return Outcome{Type: OutcomeRetry, Error: promptPassphraseRequired}
	}
	if a == nil {
		return c.answer(nil, rules.Errorf(rules.KindUnknown, "Twinkey is locked"))
	}
	if c.route == routeLocked {
		if !c.mine(a) {
			// Not Twinkey's credential after all: the USB key, in this same prompt.
			c.route = routeUSB
			h := c.HostRequest()
			return Outcome{Type: OutcomeUSB, Host: &h}
		}
		c.route = routeSoftware
	}
	ap := core.Approval{UserPresent: true, UserVerified: typed || c.UVFromWindow}
	switch c.Op {
	case OpCreate:
		return c.answer(Create(ctx, a, c.create, ap))
	case OpGet:
		return c.answer(Get(ctx, a, c.get, ap, c.CounterPolicy))
	case OpU2FRegister:
		return c.answer(U2FRegister(ctx, a, c.reg, ap))
	default:
		return c.answer(U2FSign(ctx, a, c.sign, ap, c.CounterPolicy))
	}
}

// SignsWithCounter reports whether approving will use the role's signature counter (a software-key sign-in with
// the twin policy): the counter value can then be reserved while the prompt is shown.
func (c *Ceremony) SignsWithCounter() bool {
	return c.route == routeSoftware && (c.Op == OpGet || c.Op == OpU2FSign) && c.CounterPolicy != counter.PolicyZero
}

// HostRequest is the native host's request for this ceremony (nativehost/PROTOCOL.md).
func (c *Ceremony) HostRequest() HostRequest {
	switch c.Op {
	case OpCreate:
		return c.create.HostRequest()
	case OpGet:
		return c.get.HostRequest()
	case OpU2FRegister:
		return c.reg.HostRequest()
	default:
		return c.sign.HostRequest()
	}
}

// HostResult turns the USB key's result into the page's answer, with this ceremony's client data. A result that
// does not fit the request is NotReadableError.
func (c *Ceremony) HostResult(raw json.RawMessage) Outcome {
	bad := func(err error) Outcome {
		return c.answer(nil, rules.Errorf(rules.KindUnknown, "The security key's answer is malformed: %v", err))
	}
	decode := func(v any) error {
		if len(raw) == 0 {
			return fmt.Errorf("%w: no result", ErrHostResult)
		}
		return json.Unmarshal(raw, v)
	}
	var (
		out any
		err error
	)
	switch c.Op {
	case OpCreate:
		var r HostCreateResult
		if err = decode(&r); err == nil {
			out, err = c.create.RegistrationFromHost(&r)
		}
	case OpGet:
		var r HostGetResult
		if err = decode(&r); err == nil {
			out, err = c.get.AssertionFromHost(&r)
		}
	case OpU2FRegister:
		var r HostU2FRegisterResult
		if err = decode(&r); err == nil {
			out, err = c.reg.RegisterFromHost(&r)
		}
	default:
		var r HostU2FSignResult
		if err = decode(&r); err == nil {
			out, err = c.sign.SignFromHost(&r)
		}
	}
	if err != nil {
		return bad(err)
	}
	return Outcome{Type: OutcomeAnswer, Result: out, Activity: "ok"}
}

// hostErrorKinds maps the native host's error codes (nativehost/PROTOCOL.md "error") to the page's Kind. Codes
// not listed — the key's own failures and refusals, and the port's "disconnected" — are KindDevice.
var hostErrorKinds = map[string]rules.Kind{
	"no-device":      rules.KindTimeout, // no key was plugged in before the timeout
	"timeout":        rules.KindTimeout,
	"excluded":       rules.KindInvalidState,
	"no-credentials": rules.KindIneligible,
	"not-supported":  rules.KindNotSupported,
	"cancelled":      rules.KindDenied, // reaches a page only when the person closed the prompt
	"bad-request":    rules.KindUnknown,
	"too-large":      rules.KindUnknown,
	"unknown-type":   rules.KindUnknown,
	"unknown-target": rules.KindUnknown,
	"duplicate-id":   rules.KindUnknown,
	"busy":           rules.KindUnknown,
	"internal":       rules.KindUnknown,
}

// Messages for a person when the host sent none.
var hostMessages = map[string]string{
	"no-device":     "No security key was plugged in.",
	"key-removed":   "The security key was removed.",
	"timeout":       "The security key was not touched in time.",
	"cancelled":     "The request was cancelled.",
	"not-installed": "Twinkey's USB helper is not installed: run twinkey-host install.",
}

// maxHostMessage bounds the host's message text.
const maxHostMessage = 300

// HostError turns the native host's error reply (or the port's own failure) into the page's answer.
func (c *Ceremony) HostError(code, message string) Outcome {
	k, ok := hostErrorKinds[code]
	if !ok {
		k = rules.KindDevice
	}
	if message == "" || message == code {
		message = hostMessages[code]
	}
	if message == "" {
		message = "The security key failed."
	}
	if len(message) > maxHostMessage {
		message = message[:maxHostMessage]
	}
	activity := "usb:" + code
	if code == "excluded" {
		activity = "excluded"
	}
	return Outcome{Type: OutcomeAnswer, Activity: activity, Error: &PageError{
		Name: k.DOMExceptionName(), U2FCode: k.U2FErrorCode(c.Op == OpU2FRegister), Message: message}}
}
