package host_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/twinkey/twinkey/nativehost/host"
	"github.com/twinkey/twinkey/nativehost/messaging"
)

// documentedCodes are the error codes of nativehost/PROTOCOL.md.
var documentedCodes = map[messaging.Code]bool{
	messaging.CodeBadRequest: true, messaging.CodeTooLarge: true, messaging.CodeUnknownType: true,
	messaging.CodeUnknownTarget: true, messaging.CodeDuplicateID: true, messaging.CodeBusy: true,
	host.CodeNoDevice: true, host.CodeKeyRemoved: true, host.CodeDeviceBusy: true, host.CodePermission: true,
	host.CodeWindowsAdmin: true, host.CodeCancelled: true, host.CodeTimeout: true, host.CodeNotAllowed: true,
	host.CodeExcluded: true, host.CodeNoCredentials: true, host.CodeNotSupported: true, host.CodePINRequired: true,
	host.CodePINNotSet: true, host.CodePINBlocked: true, host.CodePINAuthBlocked: true, host.CodeDeviceError: true,
}

// FuzzHostMessages sends two arbitrary messages to the host's real handlers (params decoding and checks of
// every type, cancel, pin, choose) on a machine without keys; stdin then ends. Invariants: every frame gets
// exactly one final reply; replies are JSON with a documented type and error code, never "internal".
func FuzzHostMessages(f *testing.F) {
	h := b64u(hash(nil))
	for _, m := range [][2]string{
		// The examples of nativehost/PROTOCOL.md and the e2e suite's requests.
		{`{"id":"1","type":"hello"}`, `{"id":"2","type":"devices"}`},
		{`{"id":"3","type":"webauthn.create","params":{"rpId":"example.com","rpName":"Example","clientDataHash":"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA","user":{"id":"dXNlci1hbm4","name":"ann","displayName":"Ann"},"algorithms":[-7,-257],"excludeCredentials":["Y3JlZC0x"],"residentKey":"discouraged","userVerification":"preferred","appidExclude":"https://example.com/u2f-appid.json","timeoutMs":60000}}`,
			`{"id":"7","type":"cancel","params":{"target":"3"}}`},
		{`{"id":"4","type":"webauthn.get","params":{"rpId":"example.com","clientDataHash":"3q2-7wEjRWeJq83vEjRWeJCrze8SNFZ4kKvN7xI0Vng","allowCredentials":["Y3JlZC0x","Y3JlZC0y"],"userVerification":"discouraged","appid":"https://example.com/u2f-appid.json","timeoutMs":60000}}`,
			`{"id":"8","type":"pin","params":{"target":"4","pin":"123456"}}`},
		{`{"id":"5","type":"u2f.register","params":{"appId":"https://example.com","clientDataHash":"7xI0VniQq83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq80","registeredKeys":[{"appId":"https://example.com","keyHandle":"a2gtMQ"}],"timeoutMs":30000}}`,
			`{"id":"9","type":"choose","params":{"target":"5","index":1}}`},
		{`{"id":"6","type":"u2f.sign","params":{"clientDataHash":"NFZ4kKvN7xI0VniQq83vEjRWeJCrze8SNFZ4kKvN7xI","keys":[{"appId":"https://example.com","keyHandle":"a2gtMQ"}],"timeoutMs":30000}}`,
			`{"id":"6","type":"u2f.sign","params":{}}`},
		{`{"id":"x","type":"webauthn.create","params":{"rpId":"a.example","RPID":"evil.example","clientDataHash":"` + h + `","user":{"id":"AQ"},"algorithms":[-7]}}`,
			`{"id":"\ud800","type":"hello"}`},
		{`{"id":"t","type":"webauthn.get","params":{"rpId":"a.example","clientDataHash":"` + h + `","timeoutMs":9300000000000}}`, `garbage`},
	} {
		f.Add(m[0], m[1])
	}
	f.Fuzz(func(t *testing.T, m1, m2 string) {
		var in bytes.Buffer
		frames := 0
		for _, m := range []string{m1, m2} {
			if len(m) <= messaging.DefaultMaxIncoming {
				messaging.WriteFrame(&in, []byte(m))
				frames++
			}
		}
		var out bytes.Buffer
		hst := host.New(host.Config{Version: "fuzz", Devices: noKeys{}, PollInterval: time.Millisecond})
		if err := hst.Serve(context.Background(), &in, &out); err != nil {
			t.Fatalf("Serve = %v", err)
		}
		finals := 0
		for out.Len() > 0 {
			b, err := messaging.ReadFrame(&out, messaging.MaxOutgoing)
			if err != nil {
				t.Fatalf("reply frame: %v", err)
			}
			var r messaging.Reply
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatalf("reply %q is not JSON: %v", b, err)
			}
			switch r.Type {
			case messaging.ReplyProgress:
				continue
			case messaging.ReplyResult:
			case messaging.ReplyError:
				if r.Error == nil || !documentedCodes[r.Error.Code] {
					t.Fatalf("error reply %q", b)
				}
			default:
				t.Fatalf("reply type %q", r.Type)
			}
			finals++
		}
		if finals != frames {
			t.Fatalf("%d final replies to %d messages", finals, frames)
		}
	})
}
