// Package host is the Twinkey native messaging host: the message handlers (hello, devices, webauthn.create,
// webauthn.get, u2f.register, u2f.sign) over nativehost/messaging, the choice of security key, the simulated key
// for tests, and the single mapping from ceremony outcomes to wire error codes. Message formats:
// nativehost/PROTOCOL.md.
package host

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/twinkey/twinkey/nativehost/ctap2"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/fido"
	"github.com/twinkey/twinkey/nativehost/hid"
	"github.com/twinkey/twinkey/nativehost/messaging"
)

// Name is the native messaging host name (manifest "name", connectNative argument).
const Name = "com.twinkey.host"

// ProtocolVersion is the version of the message formats in nativehost/PROTOCOL.md.
const ProtocolVersion = 1

// Ceremony time limits: the extension's timeoutMs, else DefaultTimeout, never more than MaxTimeout.
const (
	DefaultTimeout = 2 * time.Minute
	MaxTimeout     = 10 * time.Minute
)

// CeremonyTimeout turns a request's timeoutMs into the ceremony's time limit: DefaultTimeout when absent or not
// positive, MaxTimeout at most. The cap applies to the milliseconds, before they become a Duration, so that no
// value overflows.
func CeremonyTimeout(timeoutMs int64) time.Duration {
	switch {
	case timeoutMs <= 0:
		return DefaultTimeout
	case timeoutMs >= MaxTimeout.Milliseconds():
		return MaxTimeout
	}
	return time.Duration(timeoutMs) * time.Millisecond
}

// Decisions of the host itself.
var (
	ErrNoDevice  = errors.New("host: no security key found")
	errBadParams = errors.New("host: bad params")
)

// DeviceEntry is one key a DeviceSource offers.
type DeviceEntry struct {
	hid.DeviceInfo
}

// DeviceSource lists and opens keys: the real USB ones or the simulated one.
type DeviceSource interface {
	List() ([]DeviceEntry, error)
	Open(path string) (ctaphid.Device, error)
}

// HIDSource offers the USB FIDO keys.
type HIDSource struct{}

// List enumerates FIDO HID devices; a machine without USB has none.
func (HIDSource) List() ([]DeviceEntry, error) {
	devs, err := hid.Enumerate()
	if errors.Is(err, hid.ErrNoUSB) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]DeviceEntry, len(devs))
	for i, d := range devs {
		out[i] = DeviceEntry{d}
	}
	return out, nil
}

// Open opens a USB key.
func (HIDSource) Open(path string) (ctaphid.Device, error) { return hid.Open(path) }

// SimulatedPath is the device path of the simulated key.
const SimulatedPath = "simulated:virtual-fido"

// SimulatedKey is a simulated authenticator (nativehost/simkey, linked only into test builds).
type SimulatedKey interface {
	Open() (ctaphid.Device, error)
	Plugged() bool
	Product() string
	Close() error
}

// SimulatedSource offers one simulated key (tests only; see nativehost/simkey).
type SimulatedSource struct{ Key SimulatedKey }

// List returns the simulated key while it is plugged in.
func (s SimulatedSource) List() ([]DeviceEntry, error) {
	if !s.Key.Plugged() {
		return nil, nil
	}
	return []DeviceEntry{{hid.DeviceInfo{Path: SimulatedPath, Manufacturer: "Twinkey tests", Product: s.Key.Product()}}}, nil
}

// Open opens the simulated key.
func (s SimulatedSource) Open(path string) (ctaphid.Device, error) {
	if path != SimulatedPath {
		return nil, fmt.Errorf("%w: %s", hid.ErrNotFound, path)
	}
	return s.Key.Open()
}

// Config configures a Host.
type Config struct {
	Version   string
	Devices   DeviceSource
	Simulated bool
	// PollInterval is how often the host looks for a key while none is plugged in (250 ms if 0), and the U2F
	// touch polling interval.
	PollInterval time.Duration
	// CTAPHID tunes the transport; the simulated key, whose state saves run scrypt, needs a longer
	// ResponseTimeout than real keys on a loaded machine.
	CTAPHID ctaphid.Options
	Log     io.Writer
}

// Host serves native messaging requests. Ceremonies run one at a time (one USB key, one user); "devices" never
// waits for one (it describes a key in use from what the ceremony learned when it opened it).
type Host struct {
	cfg      Config
	ceremony chan struct{} // a one-slot semaphore

	mu   sync.Mutex
	keys map[string]*keySlot // by device path
}

// keySlot is the exclusive use of one key. desc is what the holder learned (INIT, getInfo), nil until then.
type keySlot struct {
	sem  chan struct{}
	desc *fido.Description
}

// New returns a Host.
func New(cfg Config) *Host {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 250 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	return &Host{cfg: cfg, ceremony: make(chan struct{}, 1), keys: map[string]*keySlot{}}
}

// InlineTypes are the request types answered at once, outside the in-flight limit.
var InlineTypes = []string{"hello"}

// Serve runs the port protocol on in/out until in ends (nil), or out fails (messaging.ErrOutputClosed).
func (h *Host) Serve(ctx context.Context, in io.Reader, out io.Writer) error {
	return messaging.NewPort(in, out, h.Handlers(), messaging.Options{MapError: MapError, Log: h.cfg.Log,
		Inline: InlineTypes}).Serve(ctx)
}

// Handlers returns the message handlers by type.
func (h *Host) Handlers() map[string]messaging.HandlerFunc {
	return map[string]messaging.HandlerFunc{
		"hello":           h.hello,
		"devices":         h.devices,
		"webauthn.create": h.webauthnCreate,
		"webauthn.get":    h.webauthnGet,
		"u2f.register":    h.u2fRegister,
		"u2f.sign":        h.u2fSign,
	}
}

// withClientDataHash is implemented by the params that carry a clientDataHash.
type withClientDataHash interface{ clientDataHash() []byte }

func (p *CreateParams) clientDataHash() []byte      { return p.ClientDataHash }
func (p *GetParams) clientDataHash() []byte         { return p.ClientDataHash }
func (p *U2FRegisterParams) clientDataHash() []byte { return p.ClientDataHash }
func (p *U2FSignParams) clientDataHash() []byte     { return p.ClientDataHash }

// decode is the one params decoder of every handler: messaging.DecodeStrict (exact key names, no duplicates, no
// unknown fields), then the clientDataHash length.
func decode(params json.RawMessage, v any) error {
	if len(params) == 0 {
		return fmt.Errorf("%w: params missing", errBadParams)
	}
	if err := messaging.DecodeStrict(params, v); err != nil {
		return fmt.Errorf("%w: %w", errBadParams, err)
	}
	if c, ok := v.(withClientDataHash); ok && len(c.clientDataHash()) != 32 {
		return fmt.Errorf("%w: clientDataHash must be 32 bytes", errBadParams)
	}
	return nil
}

func (h *Host) hello(context.Context, json.RawMessage, *messaging.Call) (any, error) {
	return HelloResult{Name: Name, Version: h.cfg.Version, Protocol: ProtocolVersion, OS: runtime.GOOS, Simulated: h.cfg.Simulated}, nil
}

func (h *Host) devices(ctx context.Context, _ json.RawMessage, _ *messaging.Call) (any, error) {
	return h.Devices(ctx)
}

// Devices lists the keys and asks each (no touch needed) what it supports. A key that cannot be asked (busy,
// permissions) is listed with its error.
func (h *Host) Devices(ctx context.Context) (DevicesResult, error) {
	entries, err := h.cfg.Devices.List()
	if err != nil {
		return DevicesResult{}, err
	}
	res := DevicesResult{Devices: []DeviceJSON{}}
	for _, e := range entries {
		d := DeviceJSON{Path: e.Path, VendorID: e.VendorID, ProductID: e.ProductID, Manufacturer: e.Manufacturer, Product: e.Product}
		describe := func(desc fido.Description) {
			d.CTAP2, d.U2F, d.PIN, d.Versions = desc.CTAP2, desc.U2F, string(desc.PIN), desc.Versions
		}
		slot := h.slot(e.Path)
		select {
		case slot.sem <- struct{}{}:
			err := h.use(ctx, e.Path, slot, func(a *fido.Authenticator) error { describe(a.Describe()); return nil })
			h.release(slot)
			if err != nil {
				d.Error = MapError(err).Message
			}
		default:
			if desc := h.inUse(e.Path); desc != nil {
				describe(*desc)
			} else {
				d.Error = "The security key is being opened by another request; ask again in a moment."
			}
		}
		res.Devices = append(res.Devices, d)
	}
	return res, nil
}

// slot returns the exclusive-use slot of the key at path.
func (h *Host) slot(path string) *keySlot {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.keys[path]
	if s == nil {
		s = &keySlot{sem: make(chan struct{}, 1)}
		h.keys[path] = s
	}
	return s
}

// inUse returns what the current holder of path learned about the key, nil if nothing yet.
func (h *Host) inUse(path string) *fido.Description {
	s := h.slot(path)
	h.mu.Lock()
	defer h.mu.Unlock()
	return s.desc
}

// withKey opens the key at path for a ceremony, holding the ceremony slot (ceremonies run one at a time) and the
// key's slot for the duration of fn. "devices" never waits for either.
func (h *Host) withKey(ctx context.Context, path string, fn func(*fido.Authenticator) error) error {
	select {
	case h.ceremony <- struct{}{}:
		defer func() { <-h.ceremony }()
	case <-ctx.Done():
		return ctx.Err()
	}
	slot := h.slot(path)
	select {
	case slot.sem <- struct{}{}:
		defer h.release(slot)
	case <-ctx.Done():
		return ctx.Err()
	}
	return h.use(ctx, path, slot, fn)
}

// release gives back a key slot.
func (h *Host) release(slot *keySlot) {
	h.mu.Lock()
	slot.desc = nil
	h.mu.Unlock()
	<-slot.sem
}

// use opens the key at path, whose slot the caller holds, for the duration of fn.
func (h *Host) use(ctx context.Context, path string, slot *keySlot, fn func(*fido.Authenticator) error) error {
	dev, err := h.cfg.Devices.Open(path)
	if err != nil {
		return err
	}
	conn, err := ctaphid.Open(ctx, dev, h.cfg.CTAPHID)
	if err != nil {
		dev.Close()
		return err
	}
	defer conn.Close()
	a, err := fido.New(ctx, conn, fido.Options{PollInterval: h.cfg.PollInterval})
	if err != nil {
		return err
	}
	desc := a.Describe()
	h.mu.Lock()
	slot.desc = &desc
	h.mu.Unlock()
	return fn(a)
}

// ceremony runs fn on the requested key (or the first one), waiting for a key to be plugged in if none is, within
// the request's time limit.
// A cancel (or the port closing) while no key is plugged in ends it as cancelled, the time limit as ErrNoDevice.
func (h *Host) runCeremony(ctx context.Context, call *messaging.Call, timeoutMs int64, path string, fn func(context.Context, *fido.Authenticator, fido.Prompter) error) error {
	ctx, cancel := context.WithTimeout(ctx, CeremonyTimeout(timeoutMs))
	defer cancel()
	ui := &prompter{call: call}
	for announced := false; ; {
		entries, err := h.cfg.Devices.List()
		if err != nil {
			return err
		}
		target := ""
		for _, e := range entries {
			if path == "" || e.Path == path {
				target = e.Path
				break
			}
		}
		if target != "" {
			return h.withKey(ctx, target, func(a *fido.Authenticator) error { return fn(ctx, a, ui) })
		}
		if !announced {
			announced = true
			call.Progress(messaging.Progress{Event: "insert-key"})
		}
		select {
		case <-time.After(h.cfg.PollInterval):
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return fmt.Errorf("%w: while waiting for a key: %w", fido.ErrCancelled, ctx.Err())
			}
			return fmt.Errorf("%w: %w", ErrNoDevice, ctx.Err())
		}
	}
}

// prompter forwards fido progress to the extension and asks it for the PIN.
type prompter struct{ call *messaging.Call }

func (p *prompter) Progress(e fido.Event) {
	switch e.Kind {
	case fido.EventPINNeeded, fido.EventPINWrong:
		return // carried by the PIN question itself
	}
	p.call.Progress(messaging.Progress{Event: string(e.Kind)})
}

func (p *prompter) PIN(ctx context.Context, retries int, wrong bool) (string, error) {
	ev := fido.EventPINNeeded
	if wrong {
		ev = fido.EventPINWrong
	}
	answer, err := p.call.Ask(ctx, messaging.Progress{Event: string(ev), Retries: &retries}, messaging.AnswerPIN, acceptPIN)
	if err != nil {
		return "", err
	}
	a, err := readPINAnswer(answer)
	if err != nil {
		return "", err
	}
	return a.PIN, nil
}

// readPINAnswer decodes a "pin" message's params and applies the client's PIN rules (ctap2.CheckPIN: UTF-8, 4
// code points to 63 bytes, no NUL). Its error never contains the PIN.
func readPINAnswer(params json.RawMessage) (PINAnswer, error) {
	var a PINAnswer
	if err := decode(params, &a); err != nil {
		return PINAnswer{}, fmt.Errorf("%w: pin message must be {\"target\", \"pin\"}", errBadParams)
	}
	if a.PIN == "" {
		return PINAnswer{}, fmt.Errorf("%w: the PIN is empty", errBadParams)
	}
	if err := ctap2.CheckPIN(a.PIN); err != nil {
		return PINAnswer{}, fmt.Errorf("%w: %w", errBadParams, err)
	}
	return a, nil
}

// acceptPIN refuses a PIN answer before it reaches the key: the question stays open and no retry is used.
func acceptPIN(params json.RawMessage) error {
	if _, err := readPINAnswer(params); err != nil {
		return MapError(err)
	}
	return nil
}

// ChooseAccount asks the extension which discoverable credential to use ("choose-account", answered by
// "choose" with the index).
func (p *prompter) ChooseAccount(ctx context.Context, accounts []fido.Account) (int, error) {
	choices := make([]messaging.Account, len(accounts))
	for i, a := range accounts {
		choices[i] = messaging.Account{UserID: base64.RawURLEncoding.EncodeToString(a.UserID), Name: a.Name, DisplayName: a.DisplayName}
	}
	answer, err := p.call.Ask(ctx, messaging.Progress{Event: EventChooseAccount, Accounts: choices}, messaging.AnswerAccount, nil)
	if err != nil {
		return 0, err
	}
	var a AccountAnswer
	if err := decode(answer, &a); err != nil || a.Index == nil || *a.Index < 0 || *a.Index >= len(accounts) {
		return 0, fmt.Errorf("%w: choose message without an index in [0, %d)", errBadParams, len(accounts))
	}
	return *a.Index, nil
}

func uv(s string) (fido.UserVerification, error) {
	switch s {
	case "", "preferred":
		return fido.UVPreferred, nil
	case "required":
		return fido.UVRequired, nil
	case "discouraged":
		return fido.UVDiscouraged, nil
	}
	return "", fmt.Errorf("%w: userVerification %q", errBadParams, s)
}

func (h *Host) webauthnCreate(ctx context.Context, raw json.RawMessage, call *messaging.Call) (any, error) {
	var p CreateParams
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	uvReq, err := uv(p.UserVerification)
	if err != nil {
		return nil, err
	}
	if p.RPID == "" || len(p.User.ID) == 0 || len(p.User.ID) > 64 || len(p.Algorithms) == 0 {
		return nil, fmt.Errorf("%w: rpId, user.id (1..64 bytes) and algorithms are required", errBadParams)
	}
	params := &fido.MakeCredentialParams{RPID: p.RPID, RPName: p.RPName, ClientDataHash: p.ClientDataHash,
		User:       userEntity(p.User),
		Algorithms: p.Algorithms, ResidentKey: p.ResidentKey == "required", UV: uvReq, AppIDExclude: p.AppIDExclude}
	for _, id := range p.ExcludeCredentials {
		params.ExcludeList = append(params.ExcludeList, id)
	}
	var res CreateResult
	err = h.runCeremony(ctx, call, p.TimeoutMs, p.Device, func(ctx context.Context, a *fido.Authenticator, ui fido.Prompter) error {
		reg, err := a.MakeCredential(ctx, params, ui)
		if err != nil {
			return err
		}
		res = CreateResult{CredentialID: reg.CredentialID, AttestationObject: reg.AttestationObject,
			AuthenticatorData: reg.AuthenticatorData, Transports: reg.Transports, Protocol: reg.Protocol}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (h *Host) webauthnGet(ctx context.Context, raw json.RawMessage, call *messaging.Call) (any, error) {
	var p GetParams
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	uvReq, err := uv(p.UserVerification)
	if err != nil {
		return nil, err
	}
	if p.RPID == "" {
		return nil, fmt.Errorf("%w: rpId is required", errBadParams)
	}
	params := &fido.GetAssertionParams{RPID: p.RPID, ClientDataHash: p.ClientDataHash, UV: uvReq, AppID: p.AppID}
	for _, id := range p.AllowCredentials {
		params.AllowList = append(params.AllowList, id)
	}
	var res GetResult
	err = h.runCeremony(ctx, call, p.TimeoutMs, p.Device, func(ctx context.Context, a *fido.Authenticator, ui fido.Prompter) error {
		as, err := a.GetAssertion(ctx, params, ui)
		if err != nil {
			return err
		}
		res = GetResult{CredentialID: as.CredentialID, AuthenticatorData: as.AuthenticatorData, Signature: as.Signature,
			UserHandle: as.UserHandle, AppID: as.AppIDUsed, Protocol: as.Protocol}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func u2fKeys(in []U2FKeyJSON) ([]fido.U2FKey, error) {
	out := make([]fido.U2FKey, 0, len(in))
	for _, k := range in {
		if k.AppID == "" || len(k.KeyHandle) == 0 {
			return nil, fmt.Errorf("%w: each key needs appId and keyHandle", errBadParams)
		}
		out = append(out, fido.U2FKey{AppID: k.AppID, KeyHandle: k.KeyHandle})
	}
	return out, nil
}

func (h *Host) u2fRegister(ctx context.Context, raw json.RawMessage, call *messaging.Call) (any, error) {
	var p U2FRegisterParams
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	if p.AppID == "" {
		return nil, fmt.Errorf("%w: appId is required", errBadParams)
	}
	exclude, err := u2fKeys(p.RegisteredKeys)
	if err != nil {
		return nil, err
	}
	var res U2FRegisterResult
	err = h.runCeremony(ctx, call, p.TimeoutMs, p.Device, func(ctx context.Context, a *fido.Authenticator, ui fido.Prompter) error {
		reg, err := a.U2FRegister(ctx, &fido.U2FRegisterParams{AppID: p.AppID, ClientDataHash: p.ClientDataHash, Exclude: exclude}, ui)
		if err != nil {
			return err
		}
		res = U2FRegisterResult{Version: "U2F_V2", RegistrationData: reg.RegistrationData}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (h *Host) u2fSign(ctx context.Context, raw json.RawMessage, call *messaging.Call) (any, error) {
	var p U2FSignParams
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	keys, err := u2fKeys(p.Keys)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: keys must not be empty", errBadParams)
	}
	var res U2FSignResult
	err = h.runCeremony(ctx, call, p.TimeoutMs, p.Device, func(ctx context.Context, a *fido.Authenticator, ui fido.Prompter) error {
		sig, err := a.U2FSign(ctx, &fido.U2FSignParams{ClientDataHash: p.ClientDataHash, Keys: keys}, ui)
		if err != nil {
			return err
		}
		res = U2FSignResult{AppID: sig.Key.AppID, KeyHandle: sig.Key.KeyHandle, SignatureData: sig.SignatureData}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
