//go:build js && wasm

// Run with Node as the wasm runner:
//
//	PATH="$PATH:$(go env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm go test ./wasm/ui/...
package backend

import (
	"errors"
	"syscall/js"
	"testing"

	"github.com/twinkey/twinkey/wasm/ui/internal/prefs"
)

// fakeRuntime installs globalThis.chrome.runtime.sendMessage answering with answer(msg) (a Go value turned into
// JS, or a js.Value), and returns the messages it received.
func fakeRuntime(t *testing.T, answer func(msg js.Value) any) *[]js.Value {
	t.Helper()
	var got []js.Value
	send := js.FuncOf(func(_ js.Value, args []js.Value) any {
		got = append(got, args[0])
		a := answer(args[0])
		if v, ok := a.(js.Value); ok {
			return v
		}
		return js.Global().Get("Promise").Call("resolve", js.ValueOf(a))
	})
	runtime := js.Global().Get("Object").New()
	runtime.Set("sendMessage", send)
	chrome := js.Global().Get("Object").New()
	chrome.Set("runtime", runtime)
	js.Global().Set("chrome", chrome)
	t.Cleanup(func() {
		js.Global().Delete("chrome")
		send.Release()
	})
	return &got
}

func newClient(t *testing.T) *Client {
	t.Helper()
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStatusSendsBridgeMessage(t *testing.T) {
	got := fakeRuntime(t, func(js.Value) any {
		return map[string]any{"ok": true, "result": map[string]any{"exists": true, "unlocked": false, "role": "backup"}}
	})
	st, err := newClient(t).Status()
	if err != nil {
		t.Fatal(err)
	}
	if st != (Status{Exists: true, Unlocked: false, Role: RoleBackup}) {
		t.Fatalf("Status = %+v", st)
	}
	msg := (*got)[0]
	if msg.Get("kind").String() != "bridge" || msg.Get("route").String() != "/v1/vault/status" || msg.Get("body").Type() != js.TypeObject {
		t.Fatalf("message = %v", js.Global().Get("JSON").Call("stringify", msg))
	}
}

func TestRefusalsMapToSentinels(t *testing.T) {
	for _, sentinel := range []*Error{ErrWrongPassphrase, ErrVaultLocked, ErrVaultMissing, ErrVaultExists, ErrBadPhrase} {
		fakeRuntime(t, func(js.Value) any {
			return map[string]any{"ok": false, "error": map[string]any{"name": sentinel.Name, "u2fCode": 1, "message": "because"}}
		})
		_, err := newClient(t).Unlock("pw")
		var refusal *Error
		if !errors.Is(err, sentinel) || !errors.As(err, &refusal) || refusal.Message != "because" {
			t.Errorf("%s: Unlock error = %v", sentinel.Name, err)
		}
		if errors.Is(err, ErrNoAnswer) {
			t.Errorf("%s: a refusal is not ErrNoAnswer", sentinel.Name)
		}
	}
}

func TestNoAnswer(t *testing.T) {
	cases := map[string]func(js.Value) any{
		"rejected": func(js.Value) any {
			return js.Global().Get("Promise").Call("reject", js.Global().Get("Error").New("Receiving end does not exist."))
		},
		"undefined":     func(js.Value) any { return js.Undefined() },
		"nameless":      func(js.Value) any { return map[string]any{"ok": false, "error": map[string]any{}} },
		"not an object": func(js.Value) any { return "yes" },
	}
	for name, answer := range cases {
		fakeRuntime(t, answer)
		if err := newClient(t).Lock(); !errors.Is(err, ErrNoAnswer) {
			t.Errorf("%s: Lock error = %v, want ErrNoAnswer", name, err)
		}
	}
	js.Global().Delete("chrome")
	if _, err := New(); !errors.Is(err, ErrNoAnswer) {
		t.Errorf("New without chrome.runtime = %v", err)
	}
}

func TestCreateNeeds24Words(t *testing.T) {
	fakeRuntime(t, func(js.Value) any {
		return map[string]any{"ok": true, "result": map[string]any{"role": "primary", "phrase": "abandon abandon"}}
	})
	if _, _, err := newClient(t).Create("pw"); !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("Create with a short phrase = %v", err)
	}
}

func TestSaveSettingsKeepsUnknownFields(t *testing.T) {
	stored := js.Global().Get("JSON").Call("parse", `{"autoLockMinutes": 15, "future": 1,
		"sites": {"a.example": {"hardwareOnly": true, "off": false, "counterPolicy": "zero", "note": "n"},
		          "gone.example": {"off": true}, "bad": 7}}`)
	got := fakeRuntime(t, func(msg js.Value) any {
		if msg.Get("kind").String() == "settings.set" {
			stored = msg.Get("settings")
		}
		return map[string]any{"ok": true, "result": stored}
	})
	c := newClient(t)
	s, err := c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Sites) != 2 || s.Sites["a.example"] != (prefs.Site{HardwareOnly: true, CounterPolicy: prefs.CounterZero}) {
		t.Fatalf("Settings = %+v", s.Settings)
	}
	s.AutoLockMinutes = 30
	delete(s.Sites, "gone.example")
	s.Sites["new.example"] = prefs.Site{Off: true, CounterPolicy: prefs.CounterTwin}
	if _, err := c.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	sent := js.Global().Get("JSON").Call("stringify", (*got)[1].Get("settings")).String()
	want := js.Global().Get("JSON").Call("stringify", js.Global().Get("JSON").Call("parse", `{"autoLockMinutes":30,"future":1,
		"sites":{"a.example":{"hardwareOnly":true,"off":false,"counterPolicy":"zero","note":"n"},
		         "new.example":{"hardwareOnly":false,"off":true,"counterPolicy":"twin"}},"uvWindowMinutes":5}`)).String()
	if canonical(sent) != canonical(want) {
		t.Fatalf("settings.set sent\n%s\nwant\n%s", sent, want)
	}
}

// canonical re-serialises JSON with sorted keys, so key order does not matter.
func canonical(s string) string {
	sortKeys := js.Global().Get("Function").New("v", `
		const sort = (x) => Array.isArray(x) ? x.map(sort) : (x && typeof x === "object")
			? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort(x[k])])) : x;
		return JSON.stringify(sort(JSON.parse(v)));`)
	return sortKeys.Invoke(s).String()
}

func TestActivitySkipsMalformedEntries(t *testing.T) {
	fakeRuntime(t, func(js.Value) any {
		return map[string]any{"ok": true, "result": js.Global().Get("JSON").Call("parse",
			`[{"site":"a.example","op":"u2f.sign","time":1700000000000,"result":"ok"}, 5, null, {"site": 3}]`)}
	})
	events, err := newClient(t).Activity()
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Site != "a.example" || events[0].TimeMillis != 1700000000000 || events[1].Site != "" {
		t.Fatalf("Activity = %+v", events)
	}
}
