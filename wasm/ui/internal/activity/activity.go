// Package activity is the recent-activity log the popup shows: the entries of `activity.list`
// (extension/MESSAGES.md §3), which the service worker records, and the words used to show them.
package activity

// Event is one entry: {"site": "example.com", "op": "webauthn.get", "time": <ms since the Unix epoch>,
// "result": "ok"}. Every field comes from the service worker; the page only displays them (as text, never HTML).
type Event struct {
	Site       string
	Op         string
	TimeMillis float64
	Result     string
}

// OpLabel names an operation for people. Unknown operations are shown as they are.
func OpLabel(op string) string {
	switch op {
	case "webauthn.create":
		return "Register (WebAuthn)"
	case "webauthn.get":
		return "Sign in (WebAuthn)"
	case "u2f.register":
		return "Register (U2F)"
	case "u2f.sign":
		return "Sign in (U2F)"
	}
	return op
}

// ResultLabel names an outcome for people. Unknown results are shown as they are.
func ResultLabel(result string) string {
	switch result {
	case "ok":
		return "Done"
	case "denied":
		return "Denied"
	case "error":
		return "Failed"
	case "timeout":
		return "Timed out"
	case "fallback":
		return "Passed to the browser"
	case "hardware":
		return "Sent to the USB key"
	}
	return result
}

// OK reports whether the result is a success (shown without warning colour).
func OK(result string) bool { return result == "ok" || result == "fallback" || result == "hardware" }
