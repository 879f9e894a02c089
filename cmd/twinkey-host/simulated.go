//go:build twinkeytest

package main

// A test build serves the simulated key TWINKEY_SIMULATED_KEY names (nativehost/PROTOCOL.md, "The simulated
// key"); a release build links no simulated key.
import _ "github.com/twinkey/twinkey/nativehost/simkey/simhost"
