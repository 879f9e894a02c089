package main

// The in-process tests of run use the simulated keys whatever the build tags.
import _ "github.com/twinkey/twinkey/nativehost/simkey/simhost"
