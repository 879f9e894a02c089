module github.com/twinkey/twinkey

go 1.26.0

require (
	filippo.io/nistec v0.0.4
	github.com/bulwarkid/virtual-fido v0.2.0
	github.com/cosmos/go-bip39 v1.0.0
	github.com/fxamacker/cbor/v2 v2.9.6
	github.com/go-webauthn/webauthn v0.18.2
	github.com/syumai/workers v0.32.0
	github.com/tstranex/u2f v1.0.0
	golang.org/x/crypto v0.58.0
	golang.org/x/net v0.62.0
	golang.org/x/sys v0.49.0
	honnef.co/go/js/dom/v2 v2.0.0-20250304181735-b5e52f05e89d
	rafaelmartins.com/p/usbhid v0.0.0-20260811025057-543484740bef
)

require (
	github.com/ebitengine/purego v0.9.1 // indirect
	github.com/go-viper/mapstructure/v2 v2.5.0 // indirect
	github.com/go-webauthn/x v0.3.1 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/google/go-tpm v0.9.8 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/philhofer/fwd v1.2.0 // indirect
	github.com/tinylib/msgp v1.6.4 // indirect
	github.com/x448/float16 v0.8.4 // indirect
)
