// Package prefs is the extension settings model the settings page edits: the `settings` object of
// extension/MESSAGES.md ("Storage"), which the service worker stores and applies. It holds the rules for what a
// person may type (site names, auto-lock minutes), so the page and its tests share them.
package prefs

import (
	"errors"
	"sort"
	"strconv"
	"strings"
)

// CounterPolicy is a site's signature-counter policy, as sent to the bridge's signing routes
// (bridge/PROTOCOL.md "counterPolicy").
type CounterPolicy string

const (
	// CounterTwin is the default: counters follow the twin scheme (the backup's are above the primary's range),
	// so a backup's first use makes counter-checking sites refuse the primary.
	CounterTwin CounterPolicy = "twin"
	// CounterZero always reports 0, for sites that punish large counter jumps (some invalidate a credential after
	// a jump of 20,000 or more); such sites cannot tell the backup from the primary.
	CounterZero CounterPolicy = "zero"
)

// Answerer says who answers a site's security-key requests. Storage keeps it as two booleans
// (hardwareOnly, off); the UI offers it as one choice so the two can never contradict each other.
type Answerer string

const (
	AnswerTwinkey  Answerer = "twinkey"  // the software key (default)
	AnswerHardware Answerer = "hardware" // hardwareOnly: the USB key through the native host, never the software key
	AnswerOff      Answerer = "off"      // off: Twinkey stays out; the browser's own WebAuthn handles the site
)

// Site is one entry of settings.sites.
type Site struct {
	HardwareOnly  bool
	Off           bool
	CounterPolicy CounterPolicy
}

// Answerer folds the two storage booleans into one choice; off wins if both are set.
func (s Site) Answerer() Answerer {
	switch {
	case s.Off:
		return AnswerOff
	case s.HardwareOnly:
		return AnswerHardware
	}
	return AnswerTwinkey
}

// WithAnswerer returns s with its booleans set for a.
func (s Site) WithAnswerer(a Answerer) Site {
	s.HardwareOnly, s.Off = a == AnswerHardware, a == AnswerOff
	return s
}

// Settings is the whole settings object.
type Settings struct {
	AutoLockMinutes int
	// UVWindowMinutes: for sites that prefer user verification, the passphrase counts as entered for this long.
	UVWindowMinutes int
	Sites           map[string]Site
}

// Auto-lock bounds, in minutes.
const (
	DefaultAutoLockMinutes = 15
	MinAutoLockMinutes     = 1
	MaxAutoLockMinutes     = 24 * 60
)

// User-verification window bounds, in minutes (0: only when typed for the request itself).
const (
	DefaultUVWindowMinutes = 5
	MaxUVWindowMinutes     = 60
)

// ParseUVWindow reads the user-verification window field.
func ParseUVWindow(typed string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(typed))
	if err != nil || n < 0 || n > MaxUVWindowMinutes {
		return 0, ErrUVWindow
	}
	return n, nil
}

// Sentinel errors for input a person must correct.
var (
	ErrAutoLock = errors.New("auto-lock must be a whole number of minutes from 1 to 1440")
	ErrSite     = errors.New("enter a site's address, such as example.com")
	ErrUVWindow = errors.New("the passphrase window must be a whole number of minutes from 0 to 60")
)

// ParseAutoLock reads the auto-lock field.
func ParseAutoLock(typed string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(typed))
	if err != nil || n < MinAutoLockMinutes || n > MaxAutoLockMinutes {
		return 0, ErrAutoLock
	}
	return n, nil
}

// NormalizeSite turns what a person typed or pasted ("example.com", "https://Login.Example.com:8443/path?q")
// into the key settings.sites uses: the lower-case host name, without scheme, port, path or trailing dot. It
// accepts ASCII host names (IDNs in their xn-- form) and IPv4 literals.
func NormalizeSite(typed string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(typed))
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 { // user:pass@host
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return "", ErrSite
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", ErrSite
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", ErrSite
			}
		}
	}
	return s, nil
}

// SiteNames returns the configured sites in alphabetical order, for a stable table.
func (s Settings) SiteNames() []string {
	names := make([]string, 0, len(s.Sites))
	for n := range s.Sites {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParseCounterPolicy maps a stored or selected value to a policy; anything unknown is the safe default.
func ParseCounterPolicy(v string) CounterPolicy {
	if CounterPolicy(v) == CounterZero {
		return CounterZero
	}
	return CounterTwin
}
