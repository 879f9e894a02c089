package ctap2_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/twinkey/twinkey/nativehost/ctap2"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/simkey"
)

// pinKey is the authenticator end of clientPIN for the fuzzer. Honest, it does the key agreement for real
// (a fixed P-256 key) and encrypts the fuzzed token bytes under the shared secret (CTAP 2.1 §6.5.6, §6.5.7);
// hostile, it answers getKeyAgreement and getPinToken with fuzzed bytes.
type pinKey struct {
	honest     bool
	priv       *ecdh.PrivateKey
	agreement  []byte // hostile getKeyAgreement answer
	tokenReply []byte // hostile getPinToken answer, or the honest token plaintext
}

type cose struct {
	Kty int64  `cbor:"1,keyasint"`
	Alg int64  `cbor:"3,keyasint"`
	Crv int64  `cbor:"-1,keyasint"`
	X   []byte `cbor:"-2,keyasint"`
	Y   []byte `cbor:"-3,keyasint"`
}

type pinRequest struct {
	Protocol     uint64 `cbor:"1,keyasint"`
	Subcommand   uint64 `cbor:"2,keyasint"`
	KeyAgreement *cose  `cbor:"3,keyasint,omitempty"`
}

func (k *pinKey) Transact(_ context.Context, cmd ctaphid.Command, payload []byte, _ func(ctaphid.KeepaliveStatus)) ([]byte, error) {
	if cmd != ctaphid.CmdCBOR || len(payload) < 2 || payload[0] != byte(ctap2.CmdClientPIN) {
		return []byte{0x01}, nil
	}
	var req pinRequest
	if err := cbor.Unmarshal(payload[1:], &req); err != nil {
		return []byte{0x12}, nil
	}
	switch {
	case req.Subcommand == uint64(ctap2.SubGetKeyAgreement) && !k.honest:
		return k.agreement, nil
	case req.Subcommand == uint64(ctap2.SubGetKeyAgreement):
		pub := k.priv.PublicKey().Bytes()
		b, _ := cbor.Marshal(map[int]any{1: cose{Kty: 2, Alg: -25, Crv: 1, X: pub[1:33], Y: pub[33:]}})
		return append([]byte{0}, b...), nil
	case !k.honest:
		return k.tokenReply, nil
	}
	if req.KeyAgreement == nil {
		return []byte{0x14}, nil
	}
	peer, err := ecdh.P256().NewPublicKey(append(append([]byte{4}, req.KeyAgreement.X...), req.KeyAgreement.Y...))
	if err != nil {
		return []byte{0x02}, nil
	}
	z, _ := k.priv.ECDH(peer)
	var key, iv []byte
	if req.Protocol == 1 {
		h := sha256.Sum256(z)
		key, iv = h[:], make([]byte, aes.BlockSize)
	} else {
		key, _ = hkdf.Key(sha256.New, z, make([]byte, 32), "CTAP2 AES key", 32)
		iv = bytes.Repeat([]byte{0x5a}, aes.BlockSize)
	}
	pt := k.tokenReply
	if len(pt)%aes.BlockSize != 0 {
		pt = append(bytes.Clone(pt), make([]byte, aes.BlockSize-len(pt)%aes.BlockSize)...)
	}
	block, _ := aes.NewCipher(key)
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, pt)
	if req.Protocol == 2 {
		ct = append(bytes.Clone(iv), ct...)
	}
	b, _ := cbor.Marshal(map[int]any{2: ct})
	return append([]byte{0}, b...), nil
}

// recordPIN records the CTAP 2.1 simulated key's answers to getKeyAgreement and getPinToken: real traffic.
type recordPIN struct {
	t   ctap2.Transport
	out [][]byte
}

func (r *recordPIN) Transact(ctx context.Context, cmd ctaphid.Command, p []byte, k func(ctaphid.KeepaliveStatus)) ([]byte, error) {
	out, err := r.t.Transact(ctx, cmd, p, k)
	if err == nil {
		r.out = append(r.out, bytes.Clone(out))
	}
	return out, err
}

func realPINTraffic(f *testing.F) (agreement, token []byte) {
	k, err := simkey.NewCTAP21Key(simkey.CTAP21Config{PIN: "4321"})
	if err != nil {
		f.Fatal(err)
	}
	defer k.Close()
	dev, err := k.Open()
	if err != nil {
		f.Fatal(err)
	}
	conn, err := ctaphid.Open(context.Background(), dev, ctaphid.Options{ResponseTimeout: 10 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	defer conn.Close()
	rec := &recordPIN{t: conn}
	c := ctap2.NewClient(rec)
	if _, err := c.GetInfo(context.Background()); err != nil {
		f.Fatal(err)
	}
	if _, err := c.GetPINToken(context.Background(), ctap2.PINProtocolTwo, "4321", 0, ""); err != nil {
		f.Fatal(err)
	}
	return rec.out[1], rec.out[2]
}

// FuzzPINTokenHostileKey drives GetPINToken (the key-agreement COSE key, ECDH, the PIN-token decryption and
// its checks) against a key that answers with arbitrary bytes, or that agrees honestly and returns an arbitrary
// token. Invariants: no panic; an error returns no token; a token is 16 or 32 bytes (protocol 1) or 32
// (protocol 2) and not all zero; from the honest key, it is exactly the token the key encrypted.
func FuzzPINTokenHostileKey(f *testing.F) {
	agreement, token := realPINTraffic(f)
	f.Add(false, byte(2), agreement, token)
	f.Add(true, byte(2), agreement, bytes.Repeat([]byte{7}, 32))
	f.Add(true, byte(1), agreement, bytes.Repeat([]byte{7}, 16))
	f.Add(true, byte(2), agreement, make([]byte, 32))
	priv, err := ecdh.P256().NewPrivateKey(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, honest bool, proto byte, agreement, tokenReply []byte) {
		p := ctap2.PINProtocolOne
		if proto&1 == 0 {
			p = ctap2.PINProtocolTwo
		}
		k := &pinKey{honest: honest, priv: priv, agreement: agreement, tokenReply: tokenReply}
		tok, err := ctap2.NewClient(k).GetPINToken(context.Background(), p, "4321", 0, "")
		if err != nil {
			if tok != nil {
				t.Fatal("a token with an error")
			}
			var status ctap2.StatusCode
			if honest && len(tokenReply)%16 == 0 && len(tokenReply) > 0 && !errors.Is(err, ctap2.ErrBadPINToken) && !errors.As(err, &status) {
				t.Fatalf("honest key, token of %d bytes: %v", len(tokenReply), err)
			}
			return
		}
		if len(tok) != 32 && !(p == ctap2.PINProtocolOne && len(tok) == 16) || bytes.Equal(tok, make([]byte, len(tok))) {
			t.Fatalf("accepted token %x", tok)
		}
		sent := tokenReply
		if n := len(sent) % 16; n != 0 {
			sent = append(bytes.Clone(sent), make([]byte, 16-n)...)
		}
		if honest && !bytes.Equal(tok, sent) {
			t.Fatalf("decrypted %x, the key sent %x", tok, sent)
		}
	})
}
