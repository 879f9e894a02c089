package rules

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// EffectiveRPID returns the RP ID a WebAuthn request from caller may use, given the options' rp.id (create) or
// rpId (get), "" when absent. It implements W3C §5.1.3 steps 7-8 and the matching steps of §5.1.4.1:
//
//   - The caller must be a secure context (Origin.IsPotentiallyTrustworthy) and its host, the effective domain,
//     must be a valid domain: IP addresses are refused (Chromium OriginAllowedToMakeWebAuthnRequests).
//   - rpID absent: the effective domain is the RP ID.
//   - rpID present: it must be a valid domain (see canonicalDomain) that is equal to, or a registrable domain
//     suffix of, the effective domain (HTML "is a registrable domain suffix of or is equal to"): the host must
//     end with "." + rpID, rpID must not be a public suffix, and must not lie inside the host's public suffix.
//   - rpID must already be lower case. The HTML algorithm would fold "Example.COM" while WebAuthn then hashes the
//     string as given; Chromium 156 refuses it with SecurityError (testdata/chromium/origin-verdicts.json), and so
//     do we, so the RP ID we return is always the page's own string.
//
// The result is the lower-case ASCII RP ID: the exact string to hash into rpIdHash (W3C §6.1).
// Failures are KindSecurity. A valid RP ID that is not a registrable suffix of the caller's domain carries
// ReasonRelatedOrigin: W3C §5.11 "Using Web Authentication across related origins" lets the client accept it
// after fetching https://<rpId>/.well-known/webauthn; Twinkey does not fetch, it hands such requests to the
// browser, which does (core/client).
//
// Public suffixes come from golang.org/x/net/publicsuffix, whose PublicSuffix returns rules from both the ICANN
// and the private section of the Public Suffix List (its second result only says which) and applies the "*"
// default rule to unlisted TLDs. Both sections count here, like the URL spec's "public suffix" and Chromium
// (INCLUDE_PRIVATE_REGISTRIES, INCLUDE_UNKNOWN_REGISTRIES): a page on foo.github.io cannot claim "github.io".
func EffectiveRPID(caller Origin, rpID string) (string, error) {
	if !caller.IsPotentiallyTrustworthy() {
		return "", Errorf(KindSecurity, "WebAuthn is only available to https origins and http://localhost, not %s", caller)
	}
	effectiveDomain, ok := canonicalDomain(caller.Host)
	if !ok {
		return "", Errorf(KindSecurity, "the caller's host %q is not a valid domain", clip(caller.Host))
	}
	if rpID == "" {
		return effectiveDomain, nil
	}
	rp, ok := canonicalDomain(rpID)
	if !ok {
		return "", Errorf(KindSecurity, "the RP ID %q is not a valid domain", clip(rpID))
	}
	if rp != rpID {
		return "", Errorf(KindSecurity, "the RP ID %q must be written in lower case", clip(rpID))
	}
	if !isRegistrableDomainSuffixOrEqual(rp, effectiveDomain) {
		return "", Errorf(KindSecurity, "the RP ID %q is not a registrable domain suffix of, nor equal to, %q", clip(rp), clip(effectiveDomain)).withReason(ReasonRelatedOrigin)
	}
	return rp, nil
}

// isRegistrableDomainSuffixOrEqual implements HTML "is a registrable domain suffix of or is equal to" for two
// canonical domains (both already known not to be IP addresses).
func isRegistrableDomainSuffixOrEqual(hostSuffix, originalHost string) bool {
	if hostSuffix == originalHost {
		return true
	}
	if !strings.HasSuffix(originalHost, "."+hostSuffix) {
		return false
	}
	suffixPS, _ := publicsuffix.PublicSuffix(hostSuffix)
	if hostSuffix == suffixPS {
		return false // hostSuffix is itself a public suffix ("com", "co.uk", "github.io")
	}
	hostPS, _ := publicsuffix.PublicSuffix(originalHost)
	if hostPS == hostSuffix || strings.HasSuffix(hostPS, "."+hostSuffix) {
		return false // hostSuffix lies inside the host's public suffix
	}
	return true
}

// registrableDomain returns a canonical domain's registrable domain ("eTLD+1", private registries included),
// or false when the domain is itself a public suffix.
func registrableDomain(domain string) (string, bool) {
	d, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return "", false
	}
	return d, true
}

// canonicalDomain returns s lower-cased if it is a domain in the sense WebAuthn needs: ASCII letters, digits,
// '-' and '_' in dot-separated labels of 1..63 characters, 253 characters at most, and not ending in a number
// (which would make it an IPv4 address, URL "ends in a number checker").
//
// This is the URL spec's "valid domain" (domain to ASCII with beStrict: STD3 rules and DNS length limits) with two
// departures, both checked against Chromium 156 (testdata/chromium/origin-verdicts.json):
//   - '_' is allowed, as Chromium allows it in hosts and RP IDs (STD3 would not);
//   - non-ASCII input is refused instead of being converted with UTS #46: Chromium compares rp.id with the
//     punycode host as given, so a Unicode rp.id never matches there either.
//
// A trailing dot ("example.com.") is refused (Chromium refuses it as an RP ID too). "xn--" labels are accepted as
// labels without checking that they decode.
func canonicalDomain(s string) (string, bool) {
	if s == "" || len(s) > 253 {
		return "", false
	}
	s = strings.ToLower(s)
	if endsInANumber(s) {
		return "", false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !(isLDH(c) || c == '_') {
				return "", false
			}
		}
	}
	return s, true
}
