package rules

import (
	"net/netip"
	"strconv"
	"strings"
)

// Schemes this package accepts in an Origin. Twinkey's content scripts only run on http(s) pages, and WebAuthn
// only serves those (Chromium webauthn_security_utils.cc OriginAllowedToMakeWebAuthnRequests: kInvalidProtocol).
const (
	SchemeHTTPS = "https"
	SchemeHTTP  = "http"
)

// Origin is a tuple origin (HTML "origin"): the caller's, as the browser reports it (MessageSender.origin).
//
// Host is lower-case ASCII (a punycode domain, a dotted-quad IPv4 address, or an IPv6 address without brackets).
// Port is 0 when the URL carries the scheme's default port (or none).
type Origin struct {
	Scheme string
	Host   string
	Port   int
}

// ParseOrigin parses the ASCII serialisation of a tuple origin, "scheme://host[:port]" (HTML "ASCII
// serialization of an origin"), e.g. "https://login.example.com:1337".
//
// It refuses: "null" (an opaque origin: KindNotAllowed, W3C §5.1.3 "If callerOrigin is an opaque origin, throw a
// NotAllowedError"); schemes other than http and https (KindSecurity); and anything that is not exactly an origin
// (paths, even a lone "/", queries, fragments, userinfo, empty hosts or ports, ports out of 1..65535, hosts with
// characters a canonical URL host does not contain, empty labels including a trailing dot, non-ASCII hosts):
// KindSecurity, since the browser always serialises origins in this canonical form and anything else did not
// come from it. Upper-case scheme and host letters are folded and an explicit default port is dropped.
func ParseOrigin(s string) (Origin, error) {
	if s == "null" {
		return Origin{}, Errorf(KindNotAllowed, "the caller's origin is opaque")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Origin{}, Errorf(KindSecurity, "the caller's origin %q is not of the form scheme://host[:port]", clip(s))
	}
	scheme = strings.ToLower(scheme)
	var defaultPort int
	switch scheme {
	case SchemeHTTPS:
		defaultPort = 443
	case SchemeHTTP:
		defaultPort = 80
	default:
		return Origin{}, Errorf(KindSecurity, "the caller's origin %q does not use http or https", clip(s))
	}
	if strings.ContainsAny(rest, "/?#@\\") {
		return Origin{}, Errorf(KindSecurity, "the caller's origin %q has a path, query, fragment or userinfo", clip(s))
	}
	hostPart, portPart := rest, ""
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return Origin{}, Errorf(KindSecurity, "the caller's origin %q has an unterminated IPv6 address", clip(s))
		}
		hostPart = rest[:end+1]
		if after := rest[end+1:]; after != "" {
			var hasPort bool
			portPart, hasPort = strings.CutPrefix(after, ":")
			if !hasPort {
				return Origin{}, Errorf(KindSecurity, "the caller's origin %q is malformed after the host", clip(s))
			}
		}
	} else if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		hostPart, portPart = rest[:i], rest[i+1:]
		if portPart == "" {
			return Origin{}, Errorf(KindSecurity, "the caller's origin %q has an empty port", clip(s))
		}
	}
	host, ok := canonicalOriginHost(hostPart)
	if !ok {
		return Origin{}, Errorf(KindSecurity, "the caller's origin %q does not have a valid host", clip(s))
	}
	port := 0
	if portPart != "" {
		p, ok := parsePort(portPart)
		if !ok {
			return Origin{}, Errorf(KindSecurity, "the caller's origin %q has an invalid port", clip(s))
		}
		if p != defaultPort {
			port = p
		}
	}
	return Origin{Scheme: scheme, Host: host, Port: port}, nil
}

// parsePort accepts 1 to 5 ASCII digits with a value in 1..65535.
func parsePort(s string) (int, bool) {
	if len(s) == 0 || len(s) > 5 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, false
	}
	return p, true
}

// canonicalOriginHost returns the canonical form of an origin's host: an IPv6 literal in brackets becomes its
// RFC 5952 text without brackets; a dotted-quad IPv4 address stays; anything else must be an ASCII host of
// letters, digits, '-', '_' and '.' with non-empty labels (what a canonical URL host of a web page looks like),
// which is lower-cased. A host that ends in a number but is not a dotted quad is refused, because a browser would
// have canonicalised it (URL §3.5 "ends in a number" -> IPv4 parser).
func canonicalOriginHost(h string) (string, bool) {
	if strings.HasPrefix(h, "[") {
		if !strings.HasSuffix(h, "]") {
			return "", false
		}
		a, err := netip.ParseAddr(h[1 : len(h)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", false
		}
		return a.String(), true
	}
	if h == "" || len(h) > 253 {
		return "", false
	}
	h = strings.ToLower(h)
	if endsInANumber(h) {
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is4() {
			return "", false
		}
		return a.String(), true
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !(isLDH(c) || c == '_') {
				return "", false
			}
		}
	}
	return h, true
}

// endsInANumber implements URL §3.5 "ends in a number checker": the last label (ignoring one trailing empty
// label) is all ASCII digits, or "0x"/"0X" followed by hex digits.
func endsInANumber(h string) bool {
	h = strings.TrimSuffix(h, ".")
	last := h[strings.LastIndexByte(h, '.')+1:]
	if last == "" {
		return false
	}
	allDigits := true
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			allDigits = false
			break
		}
	}
	if allDigits {
		return true
	}
	if len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') {
		for i := 2; i < len(last); i++ {
			c := last[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	}
	return false
}

func isLDH(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}

// String returns the ASCII serialisation of the origin: scheme "://" host [":" port], with IPv6 hosts in brackets, the
// default port omitted and no trailing slash. This is the FacetID of U2F (FIDO AppID and Facet v1.2 §3.1.1) and the
// "origin" member of clientDataJSON (W3C §5.8.1).
func (o Origin) String() string {
	host := o.Host
	if strings.IndexByte(host, ':') >= 0 {
		host = "[" + host + "]"
	}
	if o.Port == 0 {
		return o.Scheme + "://" + host
	}
	return o.Scheme + "://" + host + ":" + strconv.Itoa(o.Port)
}

// HostIsIP reports whether the origin's host is an IPv4 or IPv6 address rather than a domain.
func (o Origin) HostIsIP() bool {
	_, err := netip.ParseAddr(o.Host)
	return err == nil
}

// IsPotentiallyTrustworthy implements W3C Secure Contexts §3.1 "Is origin potentially trustworthy?" for the
// schemes an Origin can hold: https is; http is when the host is a loopback address (127.0.0.0/8, ::1; step 5)
// or "localhost" / a name ending in ".localhost" (step 6: browsers, Chrome included, resolve those to
// loopback). Every other http origin is not. This is the [SecureContext] gate of navigator.credentials;
// WebAuthn additionally refuses IP hosts (see EffectiveRPID), so http://127.0.0.1 passes here and fails there.
func (o Origin) IsPotentiallyTrustworthy() bool {
	switch o.Scheme {
	case SchemeHTTPS:
		return o.Host != ""
	case SchemeHTTP:
		if a, err := netip.ParseAddr(o.Host); err == nil {
			return a.IsLoopback()
		}
		return o.Host == "localhost" || strings.HasSuffix(o.Host, ".localhost")
	}
	return false
}
