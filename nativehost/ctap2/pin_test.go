package ctap2_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/twinkey/twinkey/nativehost/ctap2"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

// pinAuthenticator is the authenticator side of clientPIN, written from CTAP 2.1 §6.5.6/§6.5.7 independently of
// the client code (standard library crypto only), so that the client's key agreement, KDFs and ciphers are
// checked against a second reading of the spec.
type pinAuthenticator struct {
	t        *testing.T
	key      *ecdh.PrivateKey
	pinHash  []byte
	token    []byte
	retries  uint64
	lastPerm uint64
	lastRPID string
}

func newPINAuthenticator(t *testing.T, pin string) *pinAuthenticator {
	key, _ := ecdh.P256().GenerateKey(rand.Reader)
	h := sha256.Sum256([]byte(pin))
	token := make([]byte, 32)
	rand.Read(token)
	return &pinAuthenticator{t: t, key: key, pinHash: h[:16], token: token, retries: 8}
}

func (a *pinAuthenticator) keys(proto uint64, z []byte) (aesKey []byte) {
	if proto == 1 {
		h := sha256.Sum256(z)
		return h[:]
	}
	k, _ := hkdf.Key(sha256.New, z, make([]byte, 32), "CTAP2 AES key", 32)
	return k
}

func (a *pinAuthenticator) Transact(_ context.Context, cmd ctaphid.Command, payload []byte, _ func(ctaphid.KeepaliveStatus)) ([]byte, error) {
	if cmd != ctaphid.CmdCBOR || payload[0] != 0x06 {
		a.t.Fatalf("unexpected command %x", payload[0])
	}
	var req struct {
		Proto  uint64         `cbor:"1,keyasint"`
		Sub    uint64         `cbor:"2,keyasint"`
		KA     map[int]any    `cbor:"3,keyasint"`
		PHE    []byte         `cbor:"6,keyasint"`
		Perm   uint64         `cbor:"9,keyasint"`
		RPID   string         `cbor:"10,keyasint"`
		Unused map[int]string `cbor:"99,keyasint"`
	}
	if err := cbor.Unmarshal(payload[1:], &req); err != nil {
		a.t.Fatalf("request CBOR: %v", err)
	}
	ok := func(v any) []byte { b, _ := cbor.Marshal(v); return append([]byte{0}, b...) }
	switch req.Sub {
	case 1:
		return ok(map[int]any{3: a.retries}), nil
	case 2:
		pub := a.key.PublicKey().Bytes()
		return ok(map[int]any{1: map[int]any{1: 2, 3: -25, -1: 1, -2: pub[1:33], -3: pub[33:]}}), nil
	case 5, 9:
		x, _ := req.KA[-2].([]byte)
		y, _ := req.KA[-3].([]byte)
		peer, err := ecdh.P256().NewPublicKey(append(append([]byte{4}, x...), y...))
		if err != nil {
			a.t.Fatalf("platform key agreement key: %v", err)
		}
		z, _ := a.key.ECDH(peer)
		aesKey := a.keys(req.Proto, z)
		block, _ := aes.NewCipher(aesKey)
		iv, ct := make([]byte, 16), req.PHE
		if req.Proto == 2 {
			iv, ct = ct[:16], ct[16:]
		}
		pt := make([]byte, len(ct))
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
		if !bytes.Equal(pt, a.pinHash) {
			a.retries--
			return []byte{byte(ctap2.StatusPINInvalid)}, nil
		}
		a.lastPerm, a.lastRPID = req.Perm, req.RPID
		out, outIV := make([]byte, len(a.token)), make([]byte, 16)
		if req.Proto == 2 {
			rand.Read(outIV)
		}
		cipher.NewCBCEncrypter(block, outIV).CryptBlocks(out, a.token)
		if req.Proto == 2 {
			out = append(outIV, out...)
		}
		return ok(map[int]any{2: out}), nil
	}
	return []byte{byte(ctap2.StatusInvalidSubcommand)}, nil
}

func TestPINProtocols(t *testing.T) {
	for _, proto := range []ctap2.PINProtocol{ctap2.PINProtocolOne, ctap2.PINProtocolTwo} {
		a := newPINAuthenticator(t, "4711ä")
		c := ctap2.NewClient(a)
		ctx := context.Background()
		if _, err := c.GetPINToken(ctx, proto, "0000", 0, ""); !errors.Is(err, ctap2.StatusPINInvalid) {
			t.Fatalf("protocol %d, wrong PIN: %v", proto, err)
		}
		if n, _, err := c.GetPINRetries(ctx, proto); err != nil || n != 7 {
			t.Fatalf("retries after a wrong PIN = %d, %v", n, err)
		}
		token, err := c.GetPINToken(ctx, proto, "4711ä", ctap2.PermissionGetAssertion, "example.com")
		if err != nil {
			t.Fatalf("protocol %d: GetPINToken: %v", proto, err)
		}
		if !bytes.Equal(token, a.token) || a.lastPerm != 2 || a.lastRPID != "example.com" {
			t.Fatalf("protocol %d: token/permissions not transferred", proto)
		}
		param := ctap2.Authenticate(proto, token, []byte("cdh"))
		if want := map[ctap2.PINProtocol]int{1: 16, 2: 32}[proto]; len(param) != want {
			t.Fatalf("protocol %d: pinUvAuthParam of %d bytes", proto, len(param))
		}
	}
}
