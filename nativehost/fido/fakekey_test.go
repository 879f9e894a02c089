package fido_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"sync"

	"github.com/fxamacker/cbor/v2"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

// pinKey is a CTAP 2.1 authenticator with a clientPIN (protocol 2) and no U2F, written for these tests from the
// spec, for the flows virtual-fido cannot run (its PIN key agreement is broken): PIN prompts, wrong PINs, a
// blocked PIN, user verification, maxCredentialCountInList. It speaks CTAPHID through ctaphid.Device.
type pinKey struct {
	mu      sync.Mutex
	out     chan []byte
	asm     *ctaphid.Assembler
	pinHash []byte
	retries int
	agree   *ecdh.PrivateKey
	token   []byte
	counter uint32
	creds   map[string]*ecdsa.PrivateKey // credential ID -> key
	credRP  map[string]string
	touches int // authenticatorSelection requests
}

func newPINKey(pin string, retries int) *pinKey {
	h := sha256.Sum256([]byte(pin))
	agree, _ := ecdh.P256().GenerateKey(rand.Reader)
	return &pinKey{out: make(chan []byte, 256), pinHash: h[:16], retries: retries, agree: agree,
		creds: map[string]*ecdsa.PrivateKey{}, credRP: map[string]string{}}
}

var pinKeyCID = ctaphid.ChannelID{7, 7, 7, 7}

func (k *pinKey) Close() error { return nil }

func (k *pinKey) Read(ctx context.Context) ([]byte, error) {
	select {
	case p := <-k.out:
		return p, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (k *pinKey) Write(report []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	p, err := ctaphid.ParsePacket(report)
	if err != nil {
		return err
	}
	if p.Init {
		k.asm, _ = ctaphid.NewAssembler(p)
	} else if k.asm != nil {
		k.asm.Add(p)
	}
	if k.asm == nil || !k.asm.Done() {
		return nil
	}
	cmd, payload := k.asm.Command(), k.asm.Payload()
	k.asm = nil
	switch cmd {
	case ctaphid.CmdInit:
		resp := append(bytes.Clone(payload), pinKeyCID[:]...)
		k.reply(ctaphid.BroadcastCID, cmd, append(resp, 2, 1, 0, 0, byte(ctaphid.CapCBOR|ctaphid.CapNMSG)))
	case ctaphid.CmdCBOR:
		k.reply(pinKeyCID, cmd, k.cbor(payload))
	default:
		k.reply(pinKeyCID, ctaphid.CmdError, []byte{byte(ctaphid.ErrInvalidCmd)})
	}
	return nil
}

func (k *pinKey) reply(cid ctaphid.ChannelID, cmd ctaphid.Command, payload []byte) {
	packets, _ := ctaphid.EncodeMessage(cid, cmd, payload)
	for _, p := range packets {
		k.out <- p
	}
}

func ok(v any) []byte { b, _ := cbor.Marshal(v); return append([]byte{0}, b...) }

type descriptor struct {
	Type string `cbor:"type"`
	ID   []byte `cbor:"id"`
}

func (k *pinKey) cbor(req []byte) []byte {
	var args map[int]cbor.RawMessage
	if len(req) > 1 {
		if err := cbor.Unmarshal(req[1:], &args); err != nil {
			return []byte{0x12}
		}
	}
	field := func(i int, v any) bool { return args[i] != nil && cbor.Unmarshal(args[i], v) == nil }
	switch req[0] {
	case 0x04:
		return ok(map[int]any{1: []string{"FIDO_2_0", "FIDO_2_1"}, 3: make([]byte, 16),
			4: map[string]bool{"clientPin": true, "rk": true, "up": true}, 6: []int{2, 1}, 7: 2, 8: 128})
	case 0x06:
		return k.clientPIN(field)
	case 0x0B:
		k.touches++
		return []byte{0}
	case 0x01:
		var cdh, param []byte
		var rp struct {
			ID string `cbor:"id"`
		}
		var exclude []descriptor
		field(1, &cdh)
		field(2, &rp)
		field(5, &exclude)
		if !field(8, &param) {
			return []byte{0x36} // PUAT_REQUIRED
		}
		if !k.tokenAuth(cdh, param) {
			return []byte{0x33}
		}
		for _, d := range exclude {
			if k.creds[string(d.ID)] != nil {
				return []byte{0x19} // CREDENTIAL_EXCLUDED
			}
		}
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		id := make([]byte, 16)
		rand.Read(id)
		k.creds[string(id)], k.credRP[string(id)] = key, rp.ID
		pub, _ := key.PublicKey.Bytes()
		cose, _ := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pub[1:33], -3: pub[33:]})
		ad := k.authData(rp.ID, 0x01|0x04|0x40)
		ad = append(ad, make([]byte, 16)...)
		ad = binary.BigEndian.AppendUint16(ad, uint16(len(id)))
		ad = append(append(ad, id...), cose...)
		h := sha256.Sum256(append(bytes.Clone(ad), cdh...))
		sig, _ := ecdsa.SignASN1(rand.Reader, key, h[:])
		return ok(map[int]any{1: "packed", 2: ad, 3: map[string]any{"alg": -7, "sig": sig}})
	case 0x02:
		var rpID string
		var cdh, param []byte
		var allow []descriptor
		var opts map[string]bool
		field(1, &rpID)
		field(2, &cdh)
		field(3, &allow)
		field(5, &opts)
		flags := byte(0)
		if opts["up"] {
			flags |= 0x01
		}
		if field(6, &param) {
			if !k.tokenAuth(cdh, param) {
				return []byte{0x33}
			}
			flags |= 0x04
		}
		for _, d := range allow {
			key := k.creds[string(d.ID)]
			if key == nil || k.credRP[string(d.ID)] != rpID {
				continue
			}
			ad := k.authData(rpID, flags)
			h := sha256.Sum256(append(bytes.Clone(ad), cdh...))
			sig, _ := ecdsa.SignASN1(rand.Reader, key, h[:])
			return ok(map[int]any{1: descriptor{"public-key", d.ID}, 2: ad, 3: sig})
		}
		return []byte{0x2E}
	}
	return []byte{0x01}
}

func (k *pinKey) authData(rpID string, flags byte) []byte {
	k.counter++
	h := sha256.Sum256([]byte(rpID))
	return binary.BigEndian.AppendUint32(append(h[:], flags), k.counter)
}

func (k *pinKey) tokenAuth(cdh, param []byte) bool {
	if k.token == nil {
		return false
	}
	m := hmac.New(sha256.New, k.token)
	m.Write(cdh)
	return hmac.Equal(m.Sum(nil), param)
}

func (k *pinKey) clientPIN(field func(int, any) bool) []byte {
	var proto, sub int
	field(1, &proto)
	field(2, &sub)
	if proto != 2 {
		return []byte{0x02}
	}
	switch sub {
	case 1:
		return ok(map[int]any{3: k.retries})
	case 2:
		pub := k.agree.PublicKey().Bytes()
		return ok(map[int]any{1: map[int]any{1: 2, 3: -25, -1: 1, -2: pub[1:33], -3: pub[33:]}})
	case 9:
		if k.retries == 0 {
			return []byte{0x32}
		}
		var ka map[int]any
		var phe []byte
		field(3, &ka)
		field(6, &phe)
		x, _ := ka[-2].([]byte)
		y, _ := ka[-3].([]byte)
		peer, err := ecdh.P256().NewPublicKey(append(append([]byte{4}, x...), y...))
		if err != nil || len(phe) != 32 {
			return []byte{0x02}
		}
		z, _ := k.agree.ECDH(peer)
		aesKey, _ := hkdf.Key(sha256.New, z, make([]byte, 32), "CTAP2 AES key", 32)
		block, _ := aes.NewCipher(aesKey)
		pt := make([]byte, 16)
		cipher.NewCBCDecrypter(block, phe[:16]).CryptBlocks(pt, phe[16:])
		if !bytes.Equal(pt, k.pinHash) {
			k.retries--
			if k.retries == 0 {
				return []byte{0x32} // PIN_BLOCKED
			}
			return []byte{0x31} // PIN_INVALID
		}
		k.retries = 8
		k.token = make([]byte, 32)
		rand.Read(k.token)
		iv := make([]byte, 16)
		rand.Read(iv)
		enc := make([]byte, 32)
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(enc, k.token)
		return ok(map[int]any{2: append(iv, enc...)})
	}
	return []byte{0x3E}
}
