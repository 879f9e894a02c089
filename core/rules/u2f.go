package rules

import "fmt"

// U2F JS API constants (FIDO U2F JavaScript API v1.1).
const (
	// U2FVersionV2 is the only protocol version a U2F token speaks today (U2F raw messages v1.2).
	U2FVersionV2 = "U2F_V2"
	// DefaultU2FTimeoutSeconds applies when timeoutSeconds is absent (Google's u2f-api.js EXTENSION_TIMEOUT_SEC,
	// CryptoToken DEFAULT_REQUEST_TIMEOUT_SECONDS).
	DefaultU2FTimeoutSeconds = 30
	// MinU2FTimeoutSeconds and MaxU2FTimeoutSeconds clamp a page's timeoutSeconds to the same range as WebAuthn
	// timeouts (MinTimeoutMs..MaxTimeoutMs): enough time to read the consent prompt, never unbounded.
	MinU2FTimeoutSeconds = MinTimeoutMs / 1000
	MaxU2FTimeoutSeconds = MaxTimeoutMs / 1000
)

// U2FVersionChallenge is one RegisterRequest dictionary (U2F JS API v1.1): a version and the server's challenge, kept
// verbatim because U2F clientData carries the challenge string as given (U2F JS API v1.1 §7.1).
type U2FVersionChallenge struct {
	Version, Challenge string
}

// U2FRegisteredKey is one RegisteredKey dictionary (U2F JS API v1.1), or one 1.0 SignRequest.
type U2FRegisteredKey struct {
	Version string
	// KeyHandle is the decoded key handle (non-empty).
	KeyHandle []byte
	// KeyHandleText is the page's websafe-base64 string verbatim: a SignResponse echoes it in keyHandle
	// (CryptoToken returned the request's string), and servers look keys up by that string.
	KeyHandleText string
	// AppID is this key's own appId ("" = the request's AppID); validate it with EffectiveAppID.
	AppID      string
	Transports []string
	// Challenge is set only for 1.0 SignRequests, which carry one challenge each ("" = the request's Challenge).
	Challenge string
}

// U2FRegisterRequest is a validated u2f.register request. RegisterRequests holds only U2F_V2 entries and
// RegisteredKeys only U2F_V2 keys: other versions cannot be answered by a U2F_V2 token.
type U2FRegisterRequest struct {
	AppID            string // "" = the caller's FacetID; validate with EffectiveAppID
	RegisterRequests []U2FVersionChallenge
	RegisteredKeys   []U2FRegisteredKey
	TimeoutSeconds   int // clamped to [MinU2FTimeoutSeconds, MaxU2FTimeoutSeconds], default 30
}

// U2FSignRequest is a validated u2f.sign request with at least one U2F_V2 key.
type U2FSignRequest struct {
	AppID          string // "" = the caller's FacetID; validate with EffectiveAppID
	Challenge      string // verbatim
	RegisteredKeys []U2FRegisteredKey
	TimeoutSeconds int
}

// ParseU2FRegister parses a register request from untrusted JSON in the 1.1 form MESSAGES.md §1 uses,
//
//	{"type": "register", "appId": "…", "registerRequests": [{"version": "U2F_V2", "challenge": "…"}],
//	 "registeredKeys": [{"version": "U2F_V2", "keyHandle": "…", "appId": "…", "transports": ["usb"]}],
//	 "timeoutSeconds": 30}
//
// or the 1.0 form, whose registerRequests carry their own appId and whose keys come as "signRequests" (U2F JS API v1.0
// MessagePort requests; CryptoToken accepted both). "type" may be absent, "register" or "u2f_register_request".
//
// Refusals: structure, wrong types, no U2F_V2 register request, 1.0 register requests with different appIds:
// KindType; a key handle that is not websafe base64, or empty: KindEncoding; more than MaxCredentialDescriptors
// keys: KindRange. All map to U2F BAD_REQUEST. On error the result is nil.
func ParseU2FRegister(untrustedJSON []byte) (*U2FRegisterRequest, error) {
	top, err := parseJSONObject(untrustedJSON, "request")
	if err != nil {
		return nil, err
	}
	if err := checkU2FType(top, "register", "u2f_register_request"); err != nil {
		return nil, err
	}
	var r U2FRegisterRequest
	appID, appIDPresent, err := top.str("appId", "appId", false)
	if err != nil {
		return nil, err
	}
	r.AppID = appID
	elems, _, err := top.array("registerRequests", "registerRequests", true)
	if err != nil {
		return nil, err
	}
	var legacyAppID *string // the 1.0 per-request appId shared by every U2F_V2 register request
	for i, raw := range elems {
		path := fmt.Sprintf("registerRequests[%d]", i)
		req, err := asObject(raw, path)
		if err != nil {
			return nil, err
		}
		var vc U2FVersionChallenge
		if vc.Version, _, err = req.str("version", path+".version", true); err != nil {
			return nil, err
		}
		if vc.Challenge, _, err = req.str("challenge", path+".challenge", true); err != nil {
			return nil, err
		}
		if vc.Challenge == "" {
			return nil, Errorf(KindType, "%s.challenge is empty", path)
		}
		reqAppID, _, err := req.str("appId", path+".appId", false)
		if err != nil {
			return nil, err
		}
		if vc.Version != U2FVersionV2 {
			continue
		}
		if !appIDPresent {
			if legacyAppID == nil {
				legacyAppID = &reqAppID
			} else if *legacyAppID != reqAppID {
				return nil, Errorf(KindType, "registerRequests carry different appIds (%q, %q)", clip(*legacyAppID), clip(reqAppID))
			}
		}
		r.RegisterRequests = append(r.RegisterRequests, vc)
	}
	if len(r.RegisterRequests) == 0 {
		return nil, Errorf(KindType, "registerRequests has no %s request", U2FVersionV2)
	}
	if legacyAppID != nil {
		r.AppID = *legacyAppID
	}
	keysName := "registeredKeys"
	if _, ok := top.member(keysName); !ok {
		keysName = "signRequests" // 1.0 form
	}
	if r.RegisteredKeys, err = parseU2FKeys(top, keysName, false, false); err != nil {
		return nil, err
	}
	if r.TimeoutSeconds, err = parseU2FTimeout(top); err != nil {
		return nil, err
	}
	return &r, nil
}

// ParseU2FSign parses a sign request from untrusted JSON in the 1.1 form
//
//	{"type": "sign", "appId": "…", "challenge": "…", "registeredKeys": [...], "timeoutSeconds": 30}
//
// or the 1.0 form {"signRequests": [{"version", "challenge", "keyHandle", "appId"}, ...]}, where each key
// carries its own challenge and appId: the first one becomes the request's AppID and Challenge and every key keeps
// its own (see ChallengeFor). "type" may be absent, "sign" or "u2f_sign_request".
//
// Refusals as ParseU2FRegister (a missing or empty challenge is KindType); a request with no U2F_V2 key at all is
// KindIneligible (U2F DEVICE_INELIGIBLE: no listed key can be on any U2F_V2 token). On error the result is nil.
func ParseU2FSign(untrustedJSON []byte) (*U2FSignRequest, error) {
	top, err := parseJSONObject(untrustedJSON, "request")
	if err != nil {
		return nil, err
	}
	if err := checkU2FType(top, "sign", "u2f_sign_request"); err != nil {
		return nil, err
	}
	var r U2FSignRequest
	_, has11 := top.member("registeredKeys")
	_, has10 := top.member("signRequests")
	if has10 && !has11 {
		if r.RegisteredKeys, err = parseU2FKeys(top, "signRequests", true, true); err != nil {
			return nil, err
		}
		if len(r.RegisteredKeys) > 0 {
			r.AppID, r.Challenge = r.RegisteredKeys[0].AppID, r.RegisteredKeys[0].Challenge
		}
	} else {
		if r.AppID, _, err = top.str("appId", "appId", false); err != nil {
			return nil, err
		}
		if r.Challenge, _, err = top.str("challenge", "challenge", true); err != nil {
			return nil, err
		}
		if r.Challenge == "" {
			return nil, Errorf(KindType, "challenge is empty")
		}
		if r.RegisteredKeys, err = parseU2FKeys(top, "registeredKeys", true, false); err != nil {
			return nil, err
		}
	}
	if r.TimeoutSeconds, err = parseU2FTimeout(top); err != nil {
		return nil, err
	}
	if len(r.RegisteredKeys) == 0 {
		return nil, Errorf(KindIneligible, "the request lists no %s key", U2FVersionV2)
	}
	return &r, nil
}

// ChallengeFor returns the challenge to sign with key k: its own (1.0 SignRequest) or the request's.
func (r *U2FSignRequest) ChallengeFor(k U2FRegisteredKey) string {
	if k.Challenge != "" {
		return k.Challenge
	}
	return r.Challenge
}

// KeyAppIDs validates the request's AppID and every key's own appId for caller (EffectiveAppID) and returns the
// effective AppID of each key, in the order of RegisteredKeys. The first refusal is returned (KindSecurity).
func (r *U2FSignRequest) KeyAppIDs(caller Origin) ([]string, error) {
	return keyAppIDs(caller, r.AppID, r.RegisteredKeys)
}

// KeyAppIDs does for the keys to exclude what U2FSignRequest.KeyAppIDs does for the keys to sign with.
func (r *U2FRegisterRequest) KeyAppIDs(caller Origin) ([]string, error) {
	return keyAppIDs(caller, r.AppID, r.RegisteredKeys)
}

func keyAppIDs(caller Origin, requestAppID string, keys []U2FRegisteredKey) ([]string, error) {
	effective, err := EffectiveAppID(caller, requestAppID)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		if k.AppID == "" {
			out[i] = effective
			continue
		}
		if out[i], err = EffectiveAppID(caller, k.AppID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func checkU2FType(top jsonObject, short, long string) error {
	typ, ok, err := top.str("type", "type", false)
	if err != nil {
		return err
	}
	if ok && typ != short && typ != long {
		return Errorf(KindType, "type %q is not a %s request", clip(typ), short)
	}
	return nil
}

// parseU2FKeys reads RegisteredKeys (or 1.0 SignRequests when legacy is true, which also carry a challenge)
// from the array member name, keeping U2F_V2 keys only.
func parseU2FKeys(top jsonObject, name string, required, legacy bool) ([]U2FRegisteredKey, error) {
	elems, _, err := top.array(name, name, required)
	if err != nil {
		return nil, err
	}
	if len(elems) > MaxCredentialDescriptors {
		return nil, Errorf(KindRange, "%s has %d entries, more than the maximum of %d", name, len(elems), MaxCredentialDescriptors)
	}
	out := make([]U2FRegisteredKey, 0, len(elems))
	for i, raw := range elems {
		path := fmt.Sprintf("%s[%d]", name, i)
		obj, err := asObject(raw, path)
		if err != nil {
			return nil, err
		}
		var k U2FRegisteredKey
		if k.Version, _, err = obj.str("version", path+".version", true); err != nil {
			return nil, err
		}
		if k.KeyHandleText, _, err = obj.str("keyHandle", path+".keyHandle", true); err != nil {
			return nil, err
		}
		if k.AppID, _, err = obj.str("appId", path+".appId", false); err != nil {
			return nil, err
		}
		if k.Transports, _, err = obj.strings("transports", path+".transports"); err != nil {
			return nil, err
		}
		if legacy {
			if k.Challenge, _, err = obj.str("challenge", path+".challenge", true); err != nil {
				return nil, err
			}
			if k.Challenge == "" {
				return nil, Errorf(KindType, "%s.challenge is empty", path)
			}
		}
		var ok bool
		if k.KeyHandle, ok = decodeWebsafeBase64(k.KeyHandleText); !ok || len(k.KeyHandle) == 0 {
			return nil, Errorf(KindEncoding, "%s.keyHandle is not websafe base64", path)
		}
		if k.Version != U2FVersionV2 {
			continue
		}
		k.Transports = nonNil(k.Transports)
		out = append(out, k)
	}
	return out, nil
}

// parseU2FTimeout reads the optional timeoutSeconds and clamps it; absent means DefaultU2FTimeoutSeconds.
func parseU2FTimeout(top jsonObject) (int, error) {
	f, ok, err := top.number("timeoutSeconds", "timeoutSeconds", false)
	if err != nil {
		return 0, err
	}
	if !ok {
		return DefaultU2FTimeoutSeconds, nil
	}
	switch {
	case f <= MinU2FTimeoutSeconds:
		return MinU2FTimeoutSeconds, nil
	case f >= MaxU2FTimeoutSeconds:
		return MaxU2FTimeoutSeconds, nil
	}
	return int(f), nil
}
