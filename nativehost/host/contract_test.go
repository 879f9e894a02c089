package host_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/fido"
	"github.com/twinkey/twinkey/nativehost/host"
	"github.com/twinkey/twinkey/nativehost/messaging"
	"github.com/twinkey/twinkey/nativehost/simkey"
)

// noKeys is a machine with no security key plugged in.
type noKeys struct{}

func (noKeys) List() ([]host.DeviceEntry, error)   { return nil, nil }
func (noKeys) Open(string) (ctaphid.Device, error) { return nil, errors.New("no key") }

func createParams(extra map[string]any) map[string]any {
	p := map[string]any{"rpId": "example.com", "clientDataHash": b64u(hash([]byte("x"))),
		"user": map[string]any{"id": b64u([]byte{1})}, "algorithms": []int{-7}}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// until reads replies until the final one for id, returning it and the progress events of id seen before.
func (c *client) until(id string) (reply, []string) {
	c.t.Helper()
	var events []string
	for {
		r := c.read()
		if r.ID != id {
			continue
		}
		if r.Type == messaging.ReplyProgress {
			events = append(events, r.Progress.Event)
			continue
		}
		return r, events
	}
}

func TestTimeoutClampBeforeDuration(t *testing.T) {
	for _, tc := range []struct {
		ms   int64
		want time.Duration
	}{
		{0, host.DefaultTimeout}, {-1, host.DefaultTimeout}, {math.MinInt64, host.DefaultTimeout},
		{1500, 1500 * time.Millisecond}, {600000, host.MaxTimeout}, {600001, host.MaxTimeout},
		{9_300_000_000_000, host.MaxTimeout}, {math.MaxInt64, host.MaxTimeout},
	} {
		if got := host.CeremonyTimeout(tc.ms); got != tc.want {
			t.Errorf("CeremonyTimeout(%d) = %v, want %v", tc.ms, got, tc.want)
		}
	}
	// Through the host: a timeout far beyond what a Duration holds still lets the ceremony run.
	c := connect(t, map[string]string{host.EnvSimulatedKey: "1"})
	r, _ := c.call("u2f.register", map[string]any{"appId": "https://example.com", "clientDataHash": b64u(hash(nil)),
		"timeoutMs": int64(9_300_000_000_000)})
	result[host.U2FRegisterResult](t, r)
	r, _ = c.call("u2f.register", map[string]any{"appId": "https://example.com", "clientDataHash": b64u(hash(nil)),
		"timeoutMs": 1e30})
	if r.Error == nil || r.Error.Code != messaging.CodeBadRequest {
		t.Fatalf("timeoutMs 1e30: %+v", r)
	}
}

func TestMapErrorOrdering(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want messaging.Code
	}{
		{fmt.Errorf("%w: %w", host.ErrNoDevice, context.DeadlineExceeded), host.CodeNoDevice},
		{fmt.Errorf("%w: %w", fido.ErrCancelled, context.Canceled), host.CodeCancelled},
		{fmt.Errorf("fido: no PIN: %w", context.DeadlineExceeded), host.CodeTimeout},
		{fmt.Errorf("%w: %w", fido.ErrCancelled, context.DeadlineExceeded), host.CodeTimeout},
		{fmt.Errorf("%w: %w", fido.ErrKeyRemoved, context.DeadlineExceeded), host.CodeKeyRemoved},
		{simkey.ErrUnplugged, host.CodeNoDevice},
		{simkey.ErrInUse, host.CodeDeviceBusy},
	} {
		if got := host.MapError(tc.err).Code; got != tc.want {
			t.Errorf("MapError(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestCancelWhileWaitingForKeyIsCancelled(t *testing.T) {
	c := connectSource(t, noKeys{})
	id := c.send("webauthn.create", createParams(nil))
	if r := c.read(); r.ID != id || r.Progress == nil || r.Progress.Event != "insert-key" {
		t.Fatalf("first reply %+v", r)
	}
	c.send("cancel", map[string]string{"target": id})
	if r, _ := c.until(id); r.Error == nil || r.Error.Code != host.CodeCancelled {
		t.Fatalf("reply %+v %+v", r, r.Error)
	}
	// The time limit while waiting for a key stays no-device.
	r, events := c.until(c.send("webauthn.create", createParams(map[string]any{"timeoutMs": 200})))
	if r.Error == nil || r.Error.Code != host.CodeNoDevice || !slices.Equal(events, []string{"insert-key"}) {
		t.Fatalf("timeout without key: %+v %+v %v", r, r.Error, events)
	}
}

func TestEOFWhileWaitingForKeyIsCancelled(t *testing.T) {
	c := connectSource(t, noKeys{})
	id := c.send("webauthn.get", map[string]any{"rpId": "example.com", "clientDataHash": b64u(hash(nil))})
	if r := c.read(); r.Progress == nil || r.Progress.Event != "insert-key" {
		t.Fatalf("first reply %+v", r)
	}
	c.inW.Close()
	if r, _ := c.until(id); r.Error == nil || r.Error.Code != host.CodeCancelled {
		t.Fatalf("reply %+v %+v", r, r.Error)
	}
}

func TestTimeoutWhileWaitingForPINIsTimeout(t *testing.T) {
	c := connect(t, map[string]string{host.EnvSimulatedKey: "pin:4321"})
	id := c.send("webauthn.create", createParams(map[string]any{"userVerification": "required", "timeoutMs": 500}))
	r, events := c.until(id)
	if r.Error == nil || r.Error.Code != host.CodeTimeout || !slices.Contains(events, "pin-needed") {
		t.Fatalf("reply %+v %+v, events %v", r, r.Error, events)
	}
}

func TestStrictParamsCaseVariantKeys(t *testing.T) {
	c := connect(t, map[string]string{host.EnvSimulatedKey: "1"})
	h := b64u(hash(nil))
	for _, tc := range []struct{ typ, params string }{
		{"webauthn.create", `{"rpId":"a.example","RPID":"evil.example","clientDataHash":"` + h + `","user":{"id":"AQ"},"algorithms":[-7]}`},
		{"webauthn.create", `{"rpId":"a.example","rpId":"evil.example","clientDataHash":"` + h + `","user":{"id":"AQ"},"algorithms":[-7]}`},
		{"webauthn.create", `{"rpid":"evil.example","clientDataHash":"` + h + `","user":{"id":"AQ"},"algorithms":[-7]}`},
		{"webauthn.create", `{"rpId":"a.example","clientDataHash":"` + h + `","user":{"id":"AQ","ID":"Ag"},"algorithms":[-7]}`},
		{"webauthn.get", `{"rpId":"a.example","clientDataHash":"` + h + `","AllowCredentials":["AQ"]}`},
		{"webauthn.get", `{"rpId":"a.example","clientDataHash":"` + h + `","clientDataHash":"` + h + `"}`},
		{"u2f.register", `{"appId":"https://a.example","APPID":"https://evil.example","clientDataHash":"` + h + `"}`},
		{"u2f.sign", `{"clientDataHash":"` + h + `","keys":[{"appId":"https://a.example","keyHandle":"AQ","KeyHandle":"Ag"}]}`},
		{"u2f.sign", `{"clientDataHash":"` + h + `","keys":[{"appId":"https://a.example","keyHandle":"AQ"}],"timeoutMs":1,"timeoutMs":2}`},
	} {
		id := c.sendRaw(`{"id":"s","type":"` + tc.typ + `","params":` + tc.params + `}`)
		if r, _ := c.until(id); r.Error == nil || r.Error.Code != messaging.CodeBadRequest {
			t.Errorf("%s %s: %+v %+v", tc.typ, tc.params, r, r.Error)
		}
	}
}

func TestDevicesDuringCeremonyDoesNotBlock(t *testing.T) {
	c := connect(t, map[string]string{host.EnvSimulatedKey: "slow-touch"})
	id := c.send("webauthn.create", createParams(nil))
	if r := c.read(); r.ID != id || r.Progress == nil || r.Progress.Event != "touch" {
		t.Fatalf("first reply %+v", r)
	}
	did := c.send("devices", nil)
	start := time.Now()
	var devs host.DevicesResult
	for {
		r := c.read()
		if r.ID == id && r.Type != messaging.ReplyProgress {
			t.Fatalf("the ceremony ended (%s) before devices answered", r.Type)
		}
		if r.ID == did {
			devs = result[host.DevicesResult](t, r)
			break
		}
	}
	if time.Since(start) > 300*time.Millisecond || len(devs.Devices) != 1 || !devs.Devices[0].CTAP2 || devs.Devices[0].Error != "" {
		t.Fatalf("devices after %v: %+v", time.Since(start), devs)
	}
	if r, _ := c.until(id); r.Type != messaging.ReplyResult {
		t.Fatalf("ceremony %+v %+v", r, r.Error)
	}
}

func TestHelloOutsideInFlightLimit(t *testing.T) {
	c := connectSource(t, noKeys{})
	var waiting []string
	for range 8 {
		waiting = append(waiting, c.send("webauthn.get", map[string]any{"rpId": "example.com", "clientDataHash": b64u(hash(nil))}))
	}
	// insert-key from the first; the other seven wait for the ceremony slot, in flight.
	if r := c.read(); r.Progress == nil || r.Progress.Event != "insert-key" {
		t.Fatalf("unexpected %+v", r)
	}
	busy := 0
	for range 500 {
		id := c.send("hello", nil)
		r, _ := c.until(id)
		if r.Type != messaging.ReplyResult {
			busy++
		}
	}
	if busy != 0 {
		t.Fatalf("%d of 500 hello requests were not answered with a result", busy)
	}
	id := c.send("devices", nil)
	if r, _ := c.until(id); r.Error == nil || r.Error.Code != messaging.CodeBusy {
		t.Fatalf("a ninth request in flight: %+v", r)
	}
	for _, w := range waiting {
		c.send("cancel", map[string]string{"target": w})
	}
}

// pinSession runs webauthn.create with UV required on the PIN key, answering the PIN questions with answers in
// turn; it returns the final reply, the events and the replies to the pin messages.
func (c *client) pinSession(answers ...string) (reply, []string, []reply) {
	c.t.Helper()
	id := c.send("webauthn.create", createParams(map[string]any{"userVerification": "required"}))
	var events []string
	var pinReplies []reply
	for {
		r := c.read()
		switch {
		case r.ID != id:
			pinReplies = append(pinReplies, r)
			if r.Type == messaging.ReplyError && len(answers) > 0 { // refused: the question is still open
				c.send("pin", map[string]string{"target": id, "pin": answers[0]})
				answers = answers[1:]
			}
			continue
		case r.Type != messaging.ReplyProgress:
			return r, events, pinReplies
		}
		ev := r.Progress.Event
		if r.Progress.Retries != nil {
			ev = fmt.Sprintf("%s:%d", ev, *r.Progress.Retries)
		}
		events = append(events, ev)
		if strings.HasPrefix(ev, "pin-") {
			if len(answers) == 0 {
				c.t.Fatalf("asked for a PIN once too often (%v)", events)
			}
			c.send("pin", map[string]string{"target": id, "pin": answers[0]})
			answers = answers[1:]
		}
	}
}

func TestEmptyPINAnswerRefusedCeremonyContinues(t *testing.T) {
	c := connect(t, map[string]string{host.EnvSimulatedKey: "pin:4321"})
	final, events, pinReplies := c.pinSession("", "4321")
	result[host.CreateResult](t, final)
	if !slices.Equal(events, []string{"pin-needed:8", "touch"}) || len(pinReplies) != 2 ||
		pinReplies[0].Error == nil || pinReplies[0].Error.Code != messaging.CodeBadRequest || pinReplies[1].Type != messaging.ReplyResult {
		t.Fatalf("events %v, pin replies %+v", events, pinReplies)
	}
}

func TestPINWithNULRefusedWithoutUsingRetry(t *testing.T) {
	c := connect(t, map[string]string{host.EnvSimulatedKey: "pin:4321"})
	final, events, pinReplies := c.pinSession("43\x0021", "4321")
	result[host.CreateResult](t, final)
	if !slices.Equal(events, []string{"pin-needed:8", "touch"}) || len(pinReplies) != 2 ||
		pinReplies[0].Error == nil || pinReplies[0].Error.Code != messaging.CodeBadRequest ||
		strings.Contains(pinReplies[0].Error.Message, "43") {
		t.Fatalf("events %v, pin replies %+v", events, pinReplies)
	}
	// The key still has all 8 retries.
	_, events, _ = c.pinSession("4321")
	if events[0] != "pin-needed:8" {
		t.Fatalf("second ceremony events %v", events)
	}
}

func TestKeyUnpluggedWhilePINAsked(t *testing.T) {
	c := connect(t, map[string]string{host.EnvSimulatedKey: "unplug-at-pin:4321"})
	final, events, _ := c.pinSession("4321")
	if final.Error == nil || final.Error.Code != host.CodeKeyRemoved || !slices.Equal(events, []string{"pin-needed:8", "key-removed"}) {
		t.Fatalf("final %+v %+v, events %v", final, final.Error, events)
	}
}
