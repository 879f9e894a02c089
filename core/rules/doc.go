// Package rules holds the WebAuthn and legacy U2F *client* rules that a browser would enforce before any
// authenticator is asked for anything: who the caller is (origins), which RP ID or AppID the caller may claim,
// what a well-formed request looks like, and which error class each refusal belongs to.
//
// Everything here works on data that came from a web page (option dictionaries, U2F requests) together with the
// caller's origin, which must come from the browser (chrome.runtime.MessageSender), never from the page. Nothing
// here holds a secret, signs, stores or talks to a device: the authenticator (core/webauthn, core/ctap1) calls these
// functions first and only proceeds on a nil error.
//
// References cited in comments:
//   - W3C WebAuthn Level 3 (https://www.w3.org/TR/webauthn-3/), "W3C §x.y".
//   - HTML "is a registrable domain suffix of or is equal to", URL "host public suffix", "valid domain".
//   - W3C Secure Contexts §3.1 "Is origin potentially trustworthy?".
//   - FIDO AppID and Facet Specification v1.2 ("FIDO AppID"), FIDO U2F JavaScript API v1.1 ("U2F JS API").
//   - Chromium's implementation where it fills gaps in the specifications (named by file).
//
// The package is pure Go without global mutable state (only immutable tables) and builds for GOOS=js GOARCH=wasm.
package rules
