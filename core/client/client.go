// Package client is Twinkey's WebAuthn and U2F client: what a browser does between a page's call and the
// authenticator. It applies the client rules (core/rules) to untrusted options and the caller's origin, builds the
// client data, calls the authenticator (core) and shapes its output as the JSON a page expects
// (PublicKeyCredential.toJSON(), U2F JS API 1.1 dictionaries).
//
// Each operation comes in two steps. Prepare* validates a request and decides who answers it, without any secret
// and before any prompt: invalid requests are refused before a person is asked anything. The second step runs
// after a person approved in extension UI.
//
// Errors leaving this package are *rules.Error: MapError is the one mapping from authenticator decisions to the
// DOMException names and U2F error codes of rules.Kind.
package client

import (
	"errors"

	"github.com/twinkey/twinkey/core"
	"github.com/twinkey/twinkey/core/counter"
	"github.com/twinkey/twinkey/core/ctap1"
	"github.com/twinkey/twinkey/core/keys"
	"github.com/twinkey/twinkey/core/rules"
)

// Caller is who asks, as the browser (chrome.runtime.MessageSender) reports it: never taken from the page.
type Caller = rules.Caller

// NewCaller parses the browser-reported origins.
func NewCaller(origin string, crossOrigin bool, topOrigin string) (Caller, error) {
	o, err := rules.ParseOrigin(origin)
	if err != nil {
		return Caller{}, err
	}
	c := Caller{Origin: o, CrossOrigin: crossOrigin}
	if crossOrigin {
		top, err := rules.ParseOrigin(topOrigin)
		if err != nil {
			return Caller{}, err
		}
		c.TopOrigin = top.String()
	}
	return c, nil
}

// Handler says who answers a request.
type Handler string

const (
	HandlerTwinkey  Handler = "twinkey"  // the software key
	HandlerPlatform Handler = "platform" // not Twinkey's: the browser's own WebAuthn or a USB key
)

// Routing reasons for HandlerPlatform.
const (
	ReasonNoTwinkeyCredential = "no-twinkey-credential"
	ReasonDiscoverable        = "discoverable"
)

// MapError is the one mapping from authenticator decisions to client errors. A *rules.Error passes unchanged.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	var re *rules.Error
	switch {
	case errors.As(err, &re):
		return re
	case errors.Is(err, core.ErrNotApproved):
		return rules.Errorf(rules.KindDenied, "the request was not approved")
	case errors.Is(err, core.ErrExcluded):
		return rules.Errorf(rules.KindInvalidState, "this security key is already registered with this site")
	case errors.Is(err, core.ErrNoCredential), errors.Is(err, keys.ErrNotMine), errors.Is(err, ctap1.SWWrongData):
		return rules.Errorf(rules.KindIneligible, "this security key is not registered with this site")
	case errors.Is(err, counter.ErrExhausted):
		return rules.Errorf(rules.KindUnknown, "the signature counter is used up; restore the phrase as the backup twin")
	}
	return rules.Errorf(rules.KindUnknown, "the authenticator failed: %v", err)
}
