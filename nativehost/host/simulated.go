package host

import (
	"fmt"
	"strings"
	"time"

	"github.com/twinkey/twinkey/nativehost/simkey"
)

// Environment variables that switch the host to the simulated key. Only tests set them: a web page cannot set
// a process environment variable, and Chrome starts the host with the browser's own environment.
const (
	EnvSimulatedKey    = "TWINKEY_SIMULATED_KEY"     // "", "1", "slow-touch", "unplug-after-keepalive", "u2f-only", "pin:<PIN>"
	EnvSimulatedKeyDir = "TWINKEY_SIMULATED_KEY_DIR" // state directory shared by successive host processes
)

// SimulatedKeyFromEnv builds the simulated key the environment asks for, or returns nil when
// TWINKEY_SIMULATED_KEY is unset or empty. Modes:
//
//	1                        auto-approving key (touch after 50 ms)
//	slow-touch               touch after 400 ms: the key sends KEEPALIVE UPNEEDED, the host sends "touch"
//	unplug-after-keepalive   the key is pulled out right after its first KEEPALIVE ("key-removed")
//	u2f-only                 a U2F-only key (no CTAP2): WebAuthn runs over CTAP1
//	pin:<PIN>                simkey's CTAP 2.1 key (no U2F) with clientPIN <PIN>, PIN protocols 2 and 1, touch
//	                         after 300 ms; the PIN is set only when the state dir is new
func SimulatedKeyFromEnv(getenv func(string) string) (SimulatedKey, error) {
	mode := getenv(EnvSimulatedKey)
	if mode == "" {
		return nil, nil
	}
	cfg := simkey.Config{StateDir: getenv(EnvSimulatedKeyDir), TouchDelay: 50 * time.Millisecond}
	switch {
	case mode == "1":
	case mode == "slow-touch":
		cfg.TouchDelay = 400 * time.Millisecond
	case mode == "u2f-only":
		cfg.U2FOnly = true
	case mode == "unplug-after-keepalive":
		cfg.TouchDelay, cfg.UnplugAfterKeepalive = 400*time.Millisecond, true
	case strings.HasPrefix(mode, "pin:") && len(mode) > len("pin:"):
		return simkey.NewCTAP21Key(simkey.CTAP21Config{PIN: strings.TrimPrefix(mode, "pin:"), StateDir: cfg.StateDir,
			TouchDelay: 300 * time.Millisecond})
	default:
		return nil, fmt.Errorf("host: unknown %s mode %q", EnvSimulatedKey, mode)
	}
	return simkey.New(cfg)
}
