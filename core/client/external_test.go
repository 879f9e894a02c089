package client

import (
	"encoding/json"
	"testing"
)

// FuzzHostResults feeds untrusted host results (JSON from the native host) through the decoders and response
// builders: they must refuse with an error, never panic.
func FuzzHostResults(f *testing.F) {
	f.Add([]byte(`{"credentialId":"Y3JlZC0y","attestationObject":"o2NmbXRkbm9uZQ","authenticatorData":"SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NBAAAAAQ"}`))
	f.Add([]byte(`{"credentialId":"AA","authenticatorData":"` + "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NBAAAAAQAAAAAAAAAAAAAAAAAAAAAAAQA" + `","signature":"MEUC","appid":true}`))
	f.Add([]byte(`{"registrationData":"BQQ","keyHandle":"a2gtMQ","signatureData":"AQAAAAUw"}`))
	f.Add([]byte(`{"credentialId":"padded=="}`))
	caller, err := NewCaller("https://example.com", false, "")
	if err != nil {
		f.Fatal(err)
	}
	create, err := PrepareCreate(caller, []byte(`{"rp":{"name":"x"},"user":{"id":"AQID","name":"a","displayName":"A"},"challenge":"AAAA","pubKeyCredParams":[{"type":"public-key","alg":-7}]}`))
	if err != nil {
		f.Fatal(err)
	}
	get, err := PrepareGet(caller, []byte(`{"challenge":"AAAA","allowCredentials":[{"type":"public-key","id":"AA"}]}`))
	if err != nil {
		f.Fatal(err)
	}
	sign, err := PrepareU2FSign(caller, []byte(`{"appId":"https://example.com","challenge":"c","registeredKeys":[{"version":"U2F_V2","keyHandle":"a2gtMQ"}]}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c HostCreateResult
		if json.Unmarshal(b, &c) == nil {
			create.RegistrationFromHost(&c)
		}
		var g HostGetResult
		if json.Unmarshal(b, &g) == nil {
			get.AssertionFromHost(&g)
		}
		var s HostU2FSignResult
		if json.Unmarshal(b, &s) == nil {
			sign.SignFromHost(&s)
		}
		attestedKey(b, nil)
	})
}
