//go:build js && wasm

// Package backend is the extension pages' only channel to the rest of Twinkey: chrome.runtime.sendMessage to the
// service worker, in the formats of extension/MESSAGES.md §3. Vault operations travel as
// {"kind": "bridge", "route": "/v1/vault/…", "body": {…}} and are answered by the bridge's vault routes
// (bridge/PROTOCOL.md "Vault"); settings and activity are the service worker's own messages.
//
// Every answer is {"ok": true, "result": …} or {"ok": false, "error": {"name", "message", …}}. Refusals become
// *Error values that errors.Is matches against the sentinels below by name; anything else (no service worker, a
// malformed answer, no answer in time) is ErrNoAnswer wrapped with what happened.
//
// Secrets (passphrases, the recovery phrase) pass through this package to the service worker and back, and are
// never logged or stored by it.
package backend

import (
	"errors"
	"strings"
	"syscall/js"
	"time"

	"github.com/twinkey/twinkey/wasm/ui/internal/activity"
	"github.com/twinkey/twinkey/wasm/ui/internal/prefs"
)

// Error is a refusal answered by the service worker or the bridge.
type Error struct {
	Name    string // bridge error name (bridge/PROTOCOL.md): "WrongPassphrase", "VaultLocked", …
	Message string // for a person, from the bridge
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Name
	}
	return e.Name + ": " + e.Message
}

// Is matches another *Error with the same Name, so errors.Is(err, ErrWrongPassphrase) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Name == e.Name
}

// Sentinels for the vault refusals of bridge/PROTOCOL.md ("Vault routes use name values …").
var (
	ErrVaultLocked     = &Error{Name: "VaultLocked"}
	ErrVaultMissing    = &Error{Name: "VaultMissing"}
	ErrVaultExists     = &Error{Name: "VaultExists"}
	ErrWrongPassphrase = &Error{Name: "WrongPassphrase"}
	ErrBadPhrase       = &Error{Name: "BadPhrase"}
)

// ErrNoAnswer: the service worker could not be reached or did not answer in the expected shape.
var ErrNoAnswer = errors.New("the Twinkey service worker did not answer")

// answerTimeout bounds one request. Unlocking runs a slow key derivation (hundreds of milliseconds in wasm), far
// below this.
const answerTimeout = 60 * time.Second

// Role is the vault's device role (bridge/PROTOCOL.md "role").
type Role string

const (
	RolePrimary Role = "primary"
	RoleBackup  Role = "backup"
)

// Label is the role's name for people.
func (r Role) Label() string {
	switch r {
	case RolePrimary:
		return "Primary"
	case RoleBackup:
		return "Backup twin"
	}
	return string(r)
}

// Status is the answer of /v1/vault/status.
type Status struct {
	Exists   bool
	Unlocked bool
	Role     Role
}

// Client sends messages to the service worker.
type Client struct {
	sendMessage js.Value // chrome.runtime.sendMessage, bound to chrome.runtime
}

// New finds chrome.runtime.sendMessage; it fails on a page that is not an extension page.
func New() (*Client, error) {
	chrome := js.Global().Get("chrome")
	if chrome.Type() != js.TypeObject {
		return nil, errors.Join(ErrNoAnswer, errors.New("no chrome object: not an extension page"))
	}
	runtime := chrome.Get("runtime")
	if runtime.Type() != js.TypeObject || runtime.Get("sendMessage").Type() != js.TypeFunction {
		return nil, errors.Join(ErrNoAnswer, errors.New("no chrome.runtime.sendMessage: not an extension page"))
	}
	return &Client{sendMessage: runtime.Get("sendMessage").Call("bind", runtime)}, nil
}

// send posts one message and waits for its answer's result.
func (c *Client) send(msg map[string]any) (result js.Value, err error) {
	defer func() { // a synchronous throw (e.g. "Extension context invalidated") arrives as a panic
		if r := recover(); r != nil {
			result, err = js.Undefined(), errors.Join(ErrNoAnswer, errors.New(panicText(r)))
		}
	}()
	answer, err := await(c.sendMessage.Invoke(js.ValueOf(msg)))
	if err != nil {
		return js.Undefined(), err
	}
	if answer.Type() != js.TypeObject {
		return js.Undefined(), errors.Join(ErrNoAnswer, errors.New("empty answer"))
	}
	if answer.Get("ok").Truthy() {
		return answer.Get("result"), nil
	}
	e := answer.Get("error")
	if e.Type() != js.TypeObject || str(e, "name") == "" {
		return js.Undefined(), errors.Join(ErrNoAnswer, errors.New("refusal without an error name"))
	}
	return js.Undefined(), &Error{Name: str(e, "name"), Message: str(e, "message")}
}

// bridge calls a bridge vault route through the service worker.
func (c *Client) bridge(route string, body map[string]any) (js.Value, error) {
	return c.send(map[string]any{"kind": "bridge", "route": route, "body": body})
}

// Status asks /v1/vault/status.
func (c *Client) Status() (Status, error) {
	r, err := c.bridge("/v1/vault/status", map[string]any{})
	if err != nil {
		return Status{}, err
	}
	return Status{Exists: r.Get("exists").Truthy(), Unlocked: r.Get("unlocked").Truthy(), Role: Role(str(r, "role"))}, nil
}

// Create makes a new primary vault; the answer's phrase is the 24 words, to be shown once.
func (c *Client) Create(passphrase string) (Role, string, error) {
	r, err := c.bridge("/v1/vault/create", map[string]any{"passphrase": passphrase})
	if err != nil {
		return "", "", err
	}
	phrase := str(r, "phrase")
	if len(strings.Fields(phrase)) != 24 {
		return "", "", errors.Join(ErrNoAnswer, errors.New("create answered without a 24-word phrase"))
	}
	return Role(str(r, "role")), phrase, nil
}

// Restore makes a vault from a recovery phrase in the given role.
func (c *Client) Restore(phrase string, role Role, passphrase string) (Role, error) {
	r, err := c.bridge("/v1/vault/restore", map[string]any{"phrase": phrase, "role": string(role), "passphrase": passphrase})
	if err != nil {
		return "", err
	}
	return Role(str(r, "role")), nil
}

// Unlock opens the vault with the passphrase.
func (c *Client) Unlock(passphrase string) (Role, error) {
	r, err := c.bridge("/v1/vault/unlock", map[string]any{"passphrase": passphrase})
	if err != nil {
		return "", err
	}
	return Role(str(r, "role")), nil
}

// Lock forgets the unlocked vault key.
func (c *Client) Lock() error {
	_, err := c.bridge("/v1/vault/lock", map[string]any{})
	return err
}

// Phrase returns the recovery phrase again, after the passphrase.
func (c *Client) Phrase(passphrase string) (string, error) {
	r, err := c.bridge("/v1/vault/phrase", map[string]any{"passphrase": passphrase})
	if err != nil {
		return "", err
	}
	return str(r, "phrase"), nil
}

// ChangePassphrase re-encrypts the vault under a new passphrase.
func (c *Client) ChangePassphrase(old, new string) error {
	_, err := c.bridge("/v1/vault/passphrase", map[string]any{"old": old, "new": new})
	return err
}

// Erase deletes the vault. confirm must be the word the person typed ("erase"); the bridge checks it too.
func (c *Client) Erase(confirm string) error {
	_, err := c.bridge("/v1/vault/erase", map[string]any{"confirm": confirm})
	return err
}

// Settings is the settings object as the service worker stores it. Raw keeps fields this UI does not know, so
// that saving never drops what a newer service worker added.
type Settings struct {
	prefs.Settings
	raw js.Value
}

// Settings answers settings.get.
func (c *Client) Settings() (Settings, error) {
	r, err := c.send(map[string]any{"kind": "settings.get"})
	if err != nil {
		return Settings{}, err
	}
	return readSettings(r), nil
}

// SaveSettings sends settings.set with s and returns the settings the service worker kept.
func (c *Client) SaveSettings(s Settings) (Settings, error) {
	out := js.Global().Get("Object").New()
	if s.raw.Type() == js.TypeObject {
		out = js.Global().Call("structuredClone", s.raw)
	}
	out.Set("autoLockMinutes", s.AutoLockMinutes)
	out.Set("uvWindowMinutes", s.UVWindowMinutes)
	oldSites := out.Get("sites")
	sites := js.Global().Get("Object").New()
	for name, site := range s.Sites {
		entry := js.Global().Get("Object").New()
		if oldSites.Type() == js.TypeObject && oldSites.Get(name).Type() == js.TypeObject {
			entry = oldSites.Get(name)
		}
		entry.Set("hardwareOnly", site.HardwareOnly)
		entry.Set("off", site.Off)
		entry.Set("counterPolicy", string(site.CounterPolicy))
		sites.Set(name, entry)
	}
	out.Set("sites", sites)
	r, err := c.send(map[string]any{"kind": "settings.set", "settings": out})
	if err != nil {
		return Settings{}, err
	}
	if r.Type() != js.TypeObject { // an answer without the settings: keep what was sent
		r = out
	}
	return readSettings(r), nil
}

func readSettings(r js.Value) Settings {
	s := Settings{Settings: prefs.Settings{AutoLockMinutes: prefs.DefaultAutoLockMinutes,
		UVWindowMinutes: prefs.DefaultUVWindowMinutes, Sites: map[string]prefs.Site{}}}
	if r.Type() != js.TypeObject {
		return s
	}
	s.raw = r
	if m := r.Get("autoLockMinutes"); m.Type() == js.TypeNumber && m.Int() >= prefs.MinAutoLockMinutes {
		s.AutoLockMinutes = m.Int()
	}
	if m := r.Get("uvWindowMinutes"); m.Type() == js.TypeNumber && m.Int() >= 0 && m.Int() <= prefs.MaxUVWindowMinutes {
		s.UVWindowMinutes = m.Int()
	}
	sites := r.Get("sites")
	if sites.Type() != js.TypeObject {
		return s
	}
	keys := js.Global().Get("Object").Call("keys", sites)
	for i := 0; i < keys.Length(); i++ {
		name := keys.Index(i).String()
		v := sites.Get(name)
		if v.Type() != js.TypeObject {
			continue
		}
		s.Sites[name] = prefs.Site{
			HardwareOnly:  v.Get("hardwareOnly").Truthy(),
			Off:           v.Get("off").Truthy(),
			CounterPolicy: prefs.ParseCounterPolicy(str(v, "counterPolicy")),
		}
	}
	return s
}

// Activity answers activity.list, newest first as the service worker keeps it.
func (c *Client) Activity() ([]activity.Event, error) {
	r, err := c.send(map[string]any{"kind": "activity.list"})
	if err != nil {
		return nil, err
	}
	if r.Type() != js.TypeObject || !js.Global().Get("Array").Call("isArray", r).Bool() {
		return nil, nil
	}
	events := make([]activity.Event, 0, r.Length())
	for i := 0; i < r.Length(); i++ {
		v := r.Index(i)
		if v.Type() != js.TypeObject {
			continue
		}
		e := activity.Event{Site: str(v, "site"), Op: str(v, "op"), Result: str(v, "result")}
		if t := v.Get("time"); t.Type() == js.TypeNumber {
			e.TimeMillis = t.Float()
		}
		events = append(events, e)
	}
	return events, nil
}

// ClearActivity answers activity.clear.
func (c *Client) ClearActivity() error {
	_, err := c.send(map[string]any{"kind": "activity.clear"})
	return err
}

// await waits for a promise (or takes a plain value as already settled).
func await(p js.Value) (js.Value, error) {
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return p, nil
	}
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 1)
	onOK := js.FuncOf(func(_ js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- settled{v: v}
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 && args[0].Type() == js.TypeObject && args[0].Get("message").Type() == js.TypeString {
			msg = args[0].Get("message").String()
		}
		ch <- settled{err: errors.Join(ErrNoAnswer, errors.New(msg))}
		return nil
	})
	p.Call("then", onOK, onErr)
	select {
	case s := <-ch:
		onOK.Release()
		onErr.Release()
		return s.v, s.err
	case <-time.After(answerTimeout):
		// The callbacks stay alive: the promise may still settle, and calling a released Func would throw.
		return js.Undefined(), errors.Join(ErrNoAnswer, errors.New("timed out"))
	}
}

// str reads a string field, or "" when it is missing or not a string.
func str(v js.Value, key string) string {
	f := v.Get(key)
	if f.Type() != js.TypeString {
		return ""
	}
	return f.String()
}

func panicText(r any) string {
	switch e := r.(type) {
	case error:
		return e.Error()
	case string:
		return e
	}
	return "unexpected failure"
}

// HostKey is one security key the native host lists (nativehost/PROTOCOL.md "devices").
type HostKey struct {
	Product, Manufacturer, Path, PIN, Error string
}

// HostStatus is the answer of host.status (MESSAGES.md §3).
type HostStatus struct {
	Installed bool
	Message   string // why not installed, or the error that stopped the status query
	Version   string
	Simulated bool
	Keys      []HostKey
}

// HostStatus answers host.status: whether Twinkey's USB helper is installed, and the keys it sees.
func (c *Client) HostStatus() (HostStatus, error) {
	r, err := c.send(map[string]any{"kind": "host.status"})
	if err != nil {
		return HostStatus{}, err
	}
	if r.Type() != js.TypeObject {
		return HostStatus{}, errors.Join(ErrNoAnswer, errors.New("host.status: no result"))
	}
	st := HostStatus{Installed: r.Get("installed").Truthy(), Message: str(r, "message")}
	if st.Message == "" {
		st.Message = str(r, "error")
	}
	if h := r.Get("hello"); h.Type() == js.TypeObject {
		st.Version = str(h, "version")
		st.Simulated = h.Get("simulated").Truthy()
	}
	if ds := r.Get("devices"); ds.Type() == js.TypeObject && js.Global().Get("Array").Call("isArray", ds).Bool() {
		for i := 0; i < ds.Length(); i++ {
			v := ds.Index(i)
			if v.Type() != js.TypeObject {
				continue
			}
			st.Keys = append(st.Keys, HostKey{Product: str(v, "product"), Manufacturer: str(v, "manufacturer"),
				Path: str(v, "path"), PIN: str(v, "pin"), Error: str(v, "error")})
		}
	}
	return st, nil
}
