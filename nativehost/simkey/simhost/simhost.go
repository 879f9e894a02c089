// Package simhost lets the native host build simulated keys: importing it registers simkey.FromMode with
// host.RegisterSimulatedKeys. Test builds import it (cmd/twinkey-host with -tags twinkeytest, and tests); a
// release build does not, so it links neither simkey nor virtual-fido.
package simhost

import (
	"github.com/twinkey/twinkey/nativehost/host"
	"github.com/twinkey/twinkey/nativehost/simkey"
)

func init() {
	host.RegisterSimulatedKeys(func(mode, stateDir string) (host.SimulatedKey, error) {
		k, err := simkey.FromMode(mode, stateDir)
		if k == nil || err != nil {
			return nil, err
		}
		return k, nil
	})
}
