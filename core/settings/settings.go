// Package settings is the person's choices that shape what Twinkey answers: auto-lock, the opt-in window in
// which an earlier passphrase counts as user verification, and per-site answers (off, hardware-only, counter
// policy). Only extension pages write them; every value is normalised here, so the rest of Twinkey sees one
// shape, and defaults live in one place.
//
// Stored as JSON under the "settings" key of the extension's local storage (extension/MESSAGES.md "Storage"):
//
//	{"autoLockMinutes": 15, "uvWindowMinutes": 0,
//	 "sites": {"example.com": {"hardwareOnly": false, "off": false, "counterPolicy": "twin"}}}
package settings

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/twinkey/twinkey/core/counter"
)

// Limits and defaults.
const (
	DefaultAutoLockMinutes = 15
	MaxAutoLockMinutes     = 24 * 60
	// DefaultUVWindowMinutes is 0: user verification is reported only when the passphrase was typed in the
	// ceremony's own prompt. A window lets a passphrase typed earlier count for userVerification "preferred"; the
	// WebAuthn editors call reporting UV without a verification in the ceremony wrong (W3C §6.2.3 "user
	// verification" is a per-ceremony act), so it is opt-in and the prompt says when it is used.
	DefaultUVWindowMinutes = 0
	MaxUVWindowMinutes     = 60
)

// Site is the person's answer for one site (a host name and its subdomains).
type Site struct {
	HardwareOnly  bool           `json:"hardwareOnly"`
	Off           bool           `json:"off"`
	CounterPolicy counter.Policy `json:"counterPolicy"`
}

// Settings is the normalised settings object.
type Settings struct {
	AutoLockMinutes int             `json:"autoLockMinutes"`
	UVWindowMinutes int             `json:"uvWindowMinutes"`
	Sites           map[string]Site `json:"sites"`
}

// siteKey is a host name: lower-case letters, digits, dots and hyphens (IDNs arrive as punycode).
var siteKey = regexp.MustCompile(`^[a-z0-9.-]{1,253}$`)

// maxSites bounds the site map (a person sets a handful; this keeps a corrupt record from growing without end).
const maxSites = 4096

// Defaults answers the settings of a new installation.
func Defaults() Settings {
	return Settings{AutoLockMinutes: DefaultAutoLockMinutes, UVWindowMinutes: DefaultUVWindowMinutes, Sites: map[string]Site{}}
}

type rawSettings struct {
	AutoLockMinutes *json.Number               `json:"autoLockMinutes"`
	UVWindowMinutes *json.Number               `json:"uvWindowMinutes"`
	Sites           map[string]json.RawMessage `json:"sites"`
	hasSites        bool
}

func (r *rawSettings) parse(b []byte) {
	var all map[string]json.RawMessage
	if json.Unmarshal(b, &all) != nil {
		return
	}
	num := func(name string) *json.Number {
		var n json.Number
		if raw, ok := all[name]; ok && json.Unmarshal(raw, &n) == nil {
			return &n
		}
		return nil
	}
	r.AutoLockMinutes = num("autoLockMinutes")
	r.UVWindowMinutes = num("uvWindowMinutes")
	if raw, ok := all["sites"]; ok {
		r.hasSites = true
		if json.Unmarshal(raw, &r.Sites) != nil {
			r.Sites = nil
		}
	}
}

func intIn(n *json.Number, lo, hi, def int) int {
	if n == nil {
		return def
	}
	v, err := n.Int64()
	if err != nil || v < int64(lo) || v > int64(hi) {
		return def
	}
	return int(v)
}

func normaliseSites(raw map[string]json.RawMessage) map[string]Site {
	out := map[string]Site{}
	for host, v := range raw {
		if len(out) >= maxSites || !siteKey.MatchString(host) {
			continue
		}
		var s struct {
			HardwareOnly  any    `json:"hardwareOnly"`
			Off           any    `json:"off"`
			CounterPolicy string `json:"counterPolicy"`
		}
		if json.Unmarshal(v, &s) != nil {
			continue
		}
		p, err := counter.ParsePolicy(s.CounterPolicy)
		if err != nil || s.CounterPolicy == "" {
			p = counter.PolicyTwin
		}
		out[host] = Site{HardwareOnly: s.HardwareOnly == true, Off: s.Off == true, CounterPolicy: p}
	}
	return out
}

// Parse normalises stored (or extension-page-sent) settings: unknown members are dropped, invalid values fall
// back to the defaults. It never fails: a corrupt record reads as the defaults.
func Parse(stored []byte) Settings {
	var r rawSettings
	r.parse(stored)
	return Settings{
		AutoLockMinutes: intIn(r.AutoLockMinutes, 0, MaxAutoLockMinutes, DefaultAutoLockMinutes),
		UVWindowMinutes: intIn(r.UVWindowMinutes, 0, MaxUVWindowMinutes, DefaultUVWindowMinutes),
		Sites:           normaliseSites(r.Sites),
	}
}

// Merge applies a partial settings object to current: each top-level member given replaces the current one
// (`sites`, when given, replaces the whole map); invalid values fall back to the defaults, as in Parse.
func Merge(current Settings, partial []byte) Settings {
	var r rawSettings
	r.parse(partial)
	next := current
	if r.AutoLockMinutes != nil {
		next.AutoLockMinutes = intIn(r.AutoLockMinutes, 0, MaxAutoLockMinutes, DefaultAutoLockMinutes)
	}
	if r.UVWindowMinutes != nil {
		next.UVWindowMinutes = intIn(r.UVWindowMinutes, 0, MaxUVWindowMinutes, DefaultUVWindowMinutes)
	}
	if r.hasSites {
		next.Sites = normaliseSites(r.Sites)
	}
	if next.Sites == nil {
		next.Sites = map[string]Site{}
	}
	return next
}

// keys lists the settings keys that apply to a request, most specific first: the caller's host and each of its
// parent domains, then the site's (RP ID or AppID host) when not among them. A setting for "example.com" so
// covers "login.example.com". Keys are only written by the person through extension pages, so matching a parent
// domain cannot widen anything a web page controls.
func keys(originHost, site string) []string {
	var out []string
	for _, host := range []string{originHost, site} {
		for h := host; h != ""; {
			if !contains(out, h) {
				out = append(out, h)
			}
			i := strings.IndexByte(h, '.')
			if i < 0 {
				break
			}
			h = h[i+1:]
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ForSite answers the person's answer for a request from originHost for site (RP ID or AppID host): the most
// specific entry, or the defaults. Without an entry, the counter policy is DefaultCounterPolicy(site).
func (s Settings) ForSite(originHost, site string) Site {
	for _, k := range keys(originHost, site) {
		if e, ok := s.Sites[k]; ok {
			return e
		}
	}
	return Site{CounterPolicy: DefaultCounterPolicy(originHost, site)}
}

// zeroCounterSites are sites known to invalidate a credential whose signature counter jumps, so that a backup
// twin (counters from 2,000,000,000) would be locked out and the primary with it. For them the default policy is
// "zero" (always report 0, which W3C §6.1.1 allows for authenticators without a counter): both twins keep
// working there, and the twin's revocation of the primary does not apply. Sources:
//   - Microsoft Entra ID and Microsoft accounts (RP IDs login.microsoft.com, login.microsoftonline.com, and
//     login.live.com for older personal accounts): users of restored seed-based keys report credentials
//     invalidated after a counter jump of 20,000 or more (ARCHITECTURE.md "Counters"); Microsoft documents
//     only that it validates the signature counter.
//
// The person can set any other policy per site in Settings.
var zeroCounterSites = [...]string{"login.microsoft.com", "login.live.com", "login.microsoftonline.com"}

// DefaultCounterPolicy answers the counter policy of a site that has no entry of its own.
func DefaultCounterPolicy(originHost, site string) counter.Policy {
	for _, k := range keys(originHost, site) {
		for _, z := range zeroCounterSites {
			if k == z {
				return counter.PolicyZero
			}
		}
	}
	return counter.PolicyTwin
}
