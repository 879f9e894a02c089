package host

import (
	"errors"
	"fmt"
)

// Environment variables that switch a test build of the host to a simulated key (nativehost/simkey). Only tests
// set them: a web page cannot set a process environment variable, and Chrome starts the host with the browser's
// own environment.
const (
	EnvSimulatedKey    = "TWINKEY_SIMULATED_KEY"     // a simkey.FromMode mode: "1", "slow-touch", "pin:<PIN>", ...
	EnvSimulatedKeyDir = "TWINKEY_SIMULATED_KEY_DIR" // state directory shared by successive host processes
)

// ErrNoSimulatedKeys: the environment asks for a simulated key, and this build links none (a release build).
var ErrNoSimulatedKeys = errors.New("host: this build has no simulated keys (build with -tags twinkeytest)")

// newSimulated is set by RegisterSimulatedKeys; nil in a release build.
var newSimulated func(mode, stateDir string) (SimulatedKey, error)

// RegisterSimulatedKeys installs the constructor SimulatedKeyFromEnv uses. Only nativehost/simkey/simhost
// calls it, and only test builds (go build -tags twinkeytest, and tests) import that package, so the host a user
// installs links neither simkey nor virtual-fido.
func RegisterSimulatedKeys(f func(mode, stateDir string) (SimulatedKey, error)) { newSimulated = f }

// SimulatedKeyFromEnv builds the simulated key TWINKEY_SIMULATED_KEY names (modes: simkey.FromMode), or returns
// nil when it is unset or empty. A build without simulated keys returns ErrNoSimulatedKeys.
func SimulatedKeyFromEnv(getenv func(string) string) (SimulatedKey, error) {
	mode := getenv(EnvSimulatedKey)
	if mode == "" {
		return nil, nil
	}
	if newSimulated == nil {
		return nil, ErrNoSimulatedKeys
	}
	k, err := newSimulated(mode, getenv(EnvSimulatedKeyDir))
	if err != nil {
		return nil, fmt.Errorf("host: %s: %w", EnvSimulatedKey, err)
	}
	return k, nil
}
