package rules

import (
	"net/url"
	"strings"
)

// googleAppIDs are the two AppIDs that origins in google.com may assert although they live on www.gstatic.com
// (Chromium webauth_request_security_checker.cc ValidateAppIdExtension, kGstaticAppId / kGstaticCorpAppId;
// Firefox does the same). Immutable.
var googleAppIDs = [...]string{
	"https://www.gstatic.com/securitykey/origins.json",
	"https://www.gstatic.com/securitykey/a/google.com/origins.json",
}

// EffectiveAppID returns the AppID a request from caller may use: for the legacy U2F API (appId of a register or
// sign request, or of one registered key) and for the WebAuthn appid / appidExclude extensions (W3C §10.1.1,
// §10.1.2). appID "" means absent. The result is the exact string whose SHA-256 is the U2F application parameter:
// the page's AppID verbatim, or the caller's FacetID when absent.
//
// It follows FIDO AppID v1.2 §3.1.2 steps 1-3 as Chromium applies them, then Chromium's same-site relaxation
// instead of fetching a TrustedFacets list (Chromium webauth_request_security_checker.cc
// ValidateAppIdExtension; WebKit and Firefox do the same, W3C §10.1.1 note):
//
//  0. The caller must be an https origin. CryptoToken refused http origins for the U2F API, and Chromium refuses
//     an appid from http://localhost too (the FacetID is not https); FIDO step 1's non-https case is for
//     non-web facets.
//  1. AppID absent: the FacetID is the AppID (Origin.String(), without the trailing slash the FIDO text has, as
//     CryptoToken, Firefox and Chromium did).
//  2. Otherwise the AppID must be an https URL with a host and the AppID's host must equal the caller's host
//     (ports are ignored, userinfo is allowed as in Chromium's GURL): allowed.
//  3. Chromium's relaxation: the two hosts have the same registrable domain (Public Suffix List with private
//     registries): allowed.
//  4. Chromium's exception: a caller in google.com may use the two www.gstatic.com AppIDs, exactly.
//
// Anything else is KindSecurity (U2F BAD_REQUEST). Checked against Chromium 156 in
// testdata/chromium/origin-verdicts.json; the one divergence is that we parse AppIDs with net/url, so a
// scheme-relative spelling such as "https:example.com", which Chromium's URL parser repairs, is refused.
func EffectiveAppID(caller Origin, appID string) (string, error) {
	if caller.Scheme != SchemeHTTPS || caller.Host == "" {
		return "", Errorf(KindSecurity, "security keys are only available to https origins, not %s", caller)
	}
	facetID := caller.String()
	if appID == "" || appID == facetID {
		return facetID, nil
	}
	u, err := url.Parse(appID)
	if err != nil || u.Scheme != SchemeHTTPS || u.Host == "" || u.Opaque != "" {
		return "", Errorf(KindSecurity, "the AppID %q is not an https URL", clip(appID))
	}
	appHost, ok := canonicalAppIDHost(u.Hostname())
	if !ok {
		return "", Errorf(KindSecurity, "the AppID %q does not have a valid host", clip(appID))
	}
	if appHost == caller.Host {
		return appID, nil
	}
	if callerSite, ok := siteOf(caller.Host); ok {
		if appSite, ok := siteOf(appHost); ok && appSite == callerSite {
			return appID, nil
		}
	}
	if caller.Host == "google.com" || strings.HasSuffix(caller.Host, ".google.com") {
		for _, g := range googleAppIDs {
			if appID == g {
				return appID, nil
			}
		}
	}
	return "", Errorf(KindSecurity, "the origin %s may not use the AppID %q", caller, clip(appID))
}

// siteOf returns the registrable domain of a canonical host, or false for IP addresses and public suffixes.
func siteOf(host string) (string, bool) {
	if (Origin{Host: host}).HostIsIP() {
		return "", false
	}
	return registrableDomain(host)
}

// canonicalAppIDHost canonicalises an AppID URL's host like an origin's (IPv6 without brackets, lower case).
func canonicalAppIDHost(h string) (string, bool) {
	if strings.IndexByte(h, ':') >= 0 {
		h = "[" + h + "]"
	}
	return canonicalOriginHost(h)
}
