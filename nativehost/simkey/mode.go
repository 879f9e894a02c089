package simkey

import (
	"fmt"
	"strings"
	"time"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

// Simulated is what both simulated keys offer a device source.
type Simulated interface {
	Open() (ctaphid.Device, error)
	Plugged() bool
	Product() string
	Close() error
}

var (
	_ Simulated = (*Key)(nil)
	_ Simulated = (*CTAP21Key)(nil)
)

// FromMode builds the simulated key a TWINKEY_SIMULATED_KEY value names, keeping its state in stateDir ("":
// in memory). It returns nil for an empty mode. Modes:
//
//	1                        auto-approving key (touch after 50 ms)
//	slow-touch               touch after 400 ms: the key sends KEEPALIVE UPNEEDED, the host sends "touch"
//	unplug-after-keepalive   the key is pulled out right after its first KEEPALIVE ("key-removed")
//	u2f-only                 a U2F-only key (no CTAP2): WebAuthn runs over CTAP1
//	pin:<PIN>                the CTAP 2.1 key (no U2F) with clientPIN <PIN>, PIN protocols 2 and 1, touch after
//	                         300 ms; the PIN is set only when the state dir is new
//	unplug-at-pin:<PIN>      the same key, pulled out as soon as the client has asked it for its PIN retries
//	                         (the host is then asking the user for the PIN)
func FromMode(mode, stateDir string) (Simulated, error) {
	if mode == "" {
		return nil, nil
	}
	cfg := Config{StateDir: stateDir, TouchDelay: 50 * time.Millisecond}
	switch {
	case mode == "1":
	case mode == "slow-touch":
		cfg.TouchDelay = 400 * time.Millisecond
	case mode == "u2f-only":
		cfg.U2FOnly = true
	case mode == "unplug-after-keepalive":
		cfg.TouchDelay, cfg.UnplugAfterKeepalive = 400*time.Millisecond, true
	case strings.HasPrefix(mode, "pin:") && len(mode) > len("pin:"):
		return NewCTAP21Key(CTAP21Config{PIN: strings.TrimPrefix(mode, "pin:"), StateDir: stateDir,
			TouchDelay: 300 * time.Millisecond})
	case strings.HasPrefix(mode, "unplug-at-pin:") && len(mode) > len("unplug-at-pin:"):
		return NewCTAP21Key(CTAP21Config{PIN: strings.TrimPrefix(mode, "unplug-at-pin:"), StateDir: stateDir,
			TouchDelay: 300 * time.Millisecond, UnplugAtPINRetries: true})
	default:
		return nil, fmt.Errorf("simkey: unknown mode %q", mode)
	}
	return New(cfg)
}
