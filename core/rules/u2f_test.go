package rules

import (
	"encoding/base64"
	"reflect"
	"testing"
)

func TestParseU2FRegister(t *testing.T) {
	t.Run("1.1", func(t *testing.T) {
		in := `{"type": "register", "appId": "https://example.com/appid", "requestId": 7,
		  "registerRequests": [{"version": "U2F_V3", "challenge": "future"}, {"version": "U2F_V2", "challenge": "Y2hhbGxlbmdl"}],
		  "registeredKeys": [{"version": "U2F_V2", "keyHandle": "AAEC", "transports": ["usb"], "appId": "https://example.com"},
		                     {"version": "U2F_V1", "keyHandle": "AwQ"}],
		  "timeoutSeconds": 45}`
		r, err := ParseU2FRegister([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		want := &U2FRegisterRequest{
			AppID:            "https://example.com/appid",
			RegisterRequests: []U2FVersionChallenge{{"U2F_V2", "Y2hhbGxlbmdl"}},
			RegisteredKeys: []U2FRegisteredKey{{Version: "U2F_V2", KeyHandle: []byte{0, 1, 2}, KeyHandleText: "AAEC",
				AppID: "https://example.com", Transports: []string{"usb"}}},
			TimeoutSeconds: 45,
		}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("got  %+v\nwant %+v", r, want)
		}
	})
	t.Run("1.0", func(t *testing.T) {
		in := `{"registerRequests": [{"version": "U2F_V2", "challenge": "c1", "appId": "https://example.com"}],
		        "signRequests": [{"version": "U2F_V2", "challenge": "c1", "keyHandle": "AAEC", "appId": "https://example.com"}]}`
		r, err := ParseU2FRegister([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if r.AppID != "https://example.com" || len(r.RegisteredKeys) != 1 || r.TimeoutSeconds != DefaultU2FTimeoutSeconds {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("minimal", func(t *testing.T) {
		r, err := ParseU2FRegister([]byte(`{"registerRequests": [{"version": "U2F_V2", "challenge": "c"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if r.AppID != "" || len(r.RegisteredKeys) != 0 || r.TimeoutSeconds != 30 {
			t.Errorf("got %+v", r)
		}
	})

	errs := []struct {
		name, json string
		kind       Kind
	}{
		{"not JSON", `{`, KindType},
		{"array", `[{"version": "U2F_V2", "challenge": "c"}]`, KindType},
		{"wrong type", `{"type": "sign", "registerRequests": [{"version": "U2F_V2", "challenge": "c"}]}`, KindType},
		{"no registerRequests", `{"appId": "https://example.com"}`, KindType},
		{"empty registerRequests", `{"registerRequests": []}`, KindType},
		{"no U2F_V2 request", `{"registerRequests": [{"version": "U2F_V1", "challenge": "c"}]}`, KindType},
		{"version missing", `{"registerRequests": [{"challenge": "c"}]}`, KindType},
		{"challenge missing", `{"registerRequests": [{"version": "U2F_V2"}]}`, KindType},
		{"challenge empty", `{"registerRequests": [{"version": "U2F_V2", "challenge": ""}]}`, KindType},
		{"appId number", `{"appId": 1, "registerRequests": [{"version": "U2F_V2", "challenge": "c"}]}`, KindType},
		{"1.0 appIds differ", `{"registerRequests": [{"version": "U2F_V2", "challenge": "c", "appId": "https://a.example"}, {"version": "U2F_V2", "challenge": "d", "appId": "https://b.example"}]}`, KindType},
		{"registeredKeys object", `{"registerRequests": [{"version": "U2F_V2", "challenge": "c"}], "registeredKeys": {}}`, KindType},
		{"keyHandle missing", `{"registerRequests": [{"version": "U2F_V2", "challenge": "c"}], "registeredKeys": [{"version": "U2F_V2"}]}`, KindType},
		{"keyHandle bad base64", `{"registerRequests": [{"version": "U2F_V2", "challenge": "c"}], "registeredKeys": [{"version": "U2F_V2", "keyHandle": "A+B/"}]}`, KindEncoding},
		{"keyHandle empty", `{"registerRequests": [{"version": "U2F_V2", "challenge": "c"}], "registeredKeys": [{"version": "U2F_V2", "keyHandle": ""}]}`, KindEncoding},
		{"timeout string", `{"registerRequests": [{"version": "U2F_V2", "challenge": "c"}], "timeoutSeconds": "30"}`, KindType},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseU2FRegister([]byte(tc.json))
			if err == nil || r != nil {
				t.Fatalf("got %+v, %v", r, err)
			}
			if KindOf(err) != tc.kind || U2FErrorCode(err) != U2FBadRequest {
				t.Errorf("kind %v, code %d, want %v and BAD_REQUEST (%v)", KindOf(err), U2FErrorCode(err), tc.kind, err)
			}
		})
	}
}

func TestParseU2FSign(t *testing.T) {
	t.Run("1.1", func(t *testing.T) {
		in := `{"type": "u2f_sign_request", "appId": "https://example.com", "challenge": "Y2g",
		        "registeredKeys": [{"version": "U2F_V2", "keyHandle": "AAEC"}, {"version": "U2F_V2", "keyHandle": "AwQ=", "appId": "https://login.example.com"}],
		        "timeoutSeconds": 2}`
		r, err := ParseU2FSign([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		want := &U2FSignRequest{
			AppID: "https://example.com", Challenge: "Y2g",
			RegisteredKeys: []U2FRegisteredKey{
				{Version: "U2F_V2", KeyHandle: []byte{0, 1, 2}, KeyHandleText: "AAEC", Transports: []string{}},
				{Version: "U2F_V2", KeyHandle: []byte{3, 4}, KeyHandleText: "AwQ=", AppID: "https://login.example.com", Transports: []string{}},
			},
			TimeoutSeconds: MinU2FTimeoutSeconds, // 2 s clamped up
		}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("got  %+v\nwant %+v", r, want)
		}
		ids, err := r.KeyAppIDs(mustOrigin(t, "https://login.example.com"))
		if err != nil || !reflect.DeepEqual(ids, []string{"https://example.com", "https://login.example.com"}) {
			t.Errorf("KeyAppIDs = %q, %v", ids, err)
		}
		if _, err := r.KeyAppIDs(mustOrigin(t, "https://example.org")); KindOf(err) != KindSecurity {
			t.Errorf("KeyAppIDs from another site: %v", err)
		}
		if r.ChallengeFor(r.RegisteredKeys[1]) != "Y2g" {
			t.Error("ChallengeFor must fall back to the request's challenge")
		}
	})
	t.Run("1.0", func(t *testing.T) {
		in := `{"signRequests": [{"version": "U2F_V2", "challenge": "c1", "keyHandle": "AAEC", "appId": "https://example.com"},
		                         {"version": "U2F_V2", "challenge": "c2", "keyHandle": "AwQ", "appId": "https://login.example.com"}],
		        "timeoutSeconds": 9999}`
		r, err := ParseU2FSign([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if r.AppID != "https://example.com" || r.Challenge != "c1" || r.TimeoutSeconds != MaxU2FTimeoutSeconds {
			t.Errorf("got %+v", r)
		}
		if r.ChallengeFor(r.RegisteredKeys[1]) != "c2" || r.RegisteredKeys[1].AppID != "https://login.example.com" {
			t.Errorf("per-key challenge/appId lost: %+v", r.RegisteredKeys[1])
		}
		ids, err := r.KeyAppIDs(mustOrigin(t, "https://login.example.com"))
		if err != nil || ids[0] != "https://example.com" || ids[1] != "https://login.example.com" {
			t.Errorf("KeyAppIDs = %q, %v", ids, err)
		}
	})

	errs := []struct {
		name, json string
		kind       Kind
		code       int
	}{
		{"not JSON", `nope`, KindType, 2},
		{"wrong type", `{"type": "register", "challenge": "c", "registeredKeys": []}`, KindType, 2},
		{"challenge missing", `{"registeredKeys": [{"version": "U2F_V2", "keyHandle": "AA"}]}`, KindType, 2},
		{"challenge empty", `{"challenge": "", "registeredKeys": [{"version": "U2F_V2", "keyHandle": "AA"}]}`, KindType, 2},
		{"registeredKeys missing", `{"challenge": "c"}`, KindType, 2},
		{"registeredKeys null", `{"challenge": "c", "registeredKeys": null}`, KindType, 2},
		{"key not object", `{"challenge": "c", "registeredKeys": ["AA"]}`, KindType, 2},
		{"1.0 challenge missing", `{"signRequests": [{"version": "U2F_V2", "keyHandle": "AA"}]}`, KindType, 2},
		{"transports not strings", `{"challenge": "c", "registeredKeys": [{"version": "U2F_V2", "keyHandle": "AA", "transports": [1]}]}`, KindType, 2},
		{"keyHandle bad padding", `{"challenge": "c", "registeredKeys": [{"version": "U2F_V2", "keyHandle": "AA="}]}`, KindEncoding, 2},
		{"too many keys", `{"challenge": "c", "registeredKeys": ` + keysJSON(65) + `}`, KindRange, 2},
		{"no keys", `{"challenge": "c", "registeredKeys": []}`, KindIneligible, 4},
		{"no U2F_V2 keys", `{"challenge": "c", "registeredKeys": [{"version": "U2F_V3", "keyHandle": "AA"}]}`, KindIneligible, 4},
		{"1.0 empty", `{"signRequests": []}`, KindIneligible, 4},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseU2FSign([]byte(tc.json))
			if err == nil || r != nil {
				t.Fatalf("got %+v, %v", r, err)
			}
			if KindOf(err) != tc.kind || U2FErrorCode(err) != tc.code {
				t.Errorf("kind %v, code %d, want %v and %d (%v)", KindOf(err), U2FErrorCode(err), tc.kind, tc.code, err)
			}
		})
	}
}

func keysJSON(n int) string {
	s := "["
	for i := 0; i < n; i++ {
		if i > 0 {
			s += ","
		}
		s += `{"version": "U2F_V2", "keyHandle": "` + base64.RawURLEncoding.EncodeToString([]byte{byte(i)}) + `"}`
	}
	return s + "]"
}

func TestU2FRegisterKeyAppIDs(t *testing.T) {
	r, err := ParseU2FRegister([]byte(`{"registerRequests": [{"version": "U2F_V2", "challenge": "c"}],
	  "registeredKeys": [{"version": "U2F_V2", "keyHandle": "AA"}, {"version": "U2F_V2", "keyHandle": "AQ", "appId": "https://example.com/appid"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := r.KeyAppIDs(mustOrigin(t, "https://login.example.com"))
	if err != nil || !reflect.DeepEqual(ids, []string{"https://login.example.com", "https://example.com/appid"}) {
		t.Errorf("KeyAppIDs = %q, %v", ids, err)
	}
	if ids, err := r.KeyAppIDs(mustOrigin(t, "http://example.com")); err == nil || ids != nil {
		t.Errorf("insecure caller: %q, %v", ids, err)
	}
}
