package fido_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/twinkey/twinkey/core/webauthn"
	"github.com/twinkey/twinkey/nativehost/ctap2"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/fido"
	"github.com/twinkey/twinkey/nativehost/simkey"
)

var errScriptDone = errors.New("scripted key: no more answers")

// scriptedKey frames correctly at the CTAPHID level (INIT echoes the nonce, one channel, proper continuations)
// and answers every CBOR or MSG request with the next scripted payload, so that the fuzzer works on what the
// client assembles from the key's answers: getInfo, makeCredential and getAssertion responses, U2F APDUs.
type scriptedKey struct {
	mu      sync.Mutex
	caps    byte
	answers [][]byte
	out     [][]byte
	asm     *ctaphid.Assembler
	cid     ctaphid.ChannelID
}

func (k *scriptedKey) Write(report []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	p, err := ctaphid.ParsePacket(report)
	if err != nil {
		return nil
	}
	if p.Init {
		if k.asm, err = ctaphid.NewAssembler(p); err != nil {
			return nil
		}
	} else if k.asm == nil || k.asm.Add(p) != nil {
		return nil
	}
	if !k.asm.Done() {
		return nil
	}
	cmd, payload := k.asm.Command(), k.asm.Payload()
	k.asm = nil
	var resp []byte
	switch cmd {
	case ctaphid.CmdInit:
		k.cid = ctaphid.ChannelID{0, 0, 0, 7}
		resp = append(append(bytes.Clone(payload), k.cid[:]...), 2, 1, 0, 0, k.caps)
		k.queue(p.CID, cmd, resp)
		return nil
	case ctaphid.CmdCBOR, ctaphid.CmdMsg:
		if len(k.answers) == 0 {
			return errScriptDone
		}
		resp, k.answers = k.answers[0], k.answers[1:]
	case ctaphid.CmdCancel:
		return nil
	default:
		resp = payload
	}
	k.queue(k.cid, cmd, resp)
	return nil
}

func (k *scriptedKey) queue(cid ctaphid.ChannelID, cmd ctaphid.Command, payload []byte) {
	packets, err := ctaphid.EncodeMessage(cid, cmd, payload)
	if err != nil {
		packets, _ = ctaphid.EncodeMessage(cid, ctaphid.CmdError, []byte{byte(ctaphid.ErrOther)})
	}
	k.out = append(k.out, packets...)
}

func (k *scriptedKey) Read(ctx context.Context) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.out) == 0 {
		return nil, errScriptDone
	}
	r := k.out[0]
	k.out = k.out[1:]
	return r, nil
}

func (k *scriptedKey) Close() error { return nil }

// recordingKey keeps the payloads of the CBOR and MSG responses a real (simulated) key sends.
type recordingKey struct {
	ctaphid.Device
	asm      *ctaphid.Assembler
	payloads [][]byte
}

func (r *recordingKey) Read(ctx context.Context) ([]byte, error) {
	rep, err := r.Device.Read(ctx)
	if err != nil {
		return rep, err
	}
	if p, perr := ctaphid.ParsePacket(rep); perr == nil {
		if p.Init {
			r.asm, _ = ctaphid.NewAssembler(p)
		} else if r.asm != nil {
			r.asm.Add(p)
		}
		if r.asm != nil && r.asm.Done() {
			if c := r.asm.Command(); c == ctaphid.CmdCBOR || c == ctaphid.CmdMsg {
				r.payloads = append(r.payloads, bytes.Clone(r.asm.Payload()))
			}
			r.asm = nil
		}
	}
	return rep, err
}

// script packs answers as | length uint16 BE | answer | ... for the fuzzer.
func script(answers [][]byte) []byte {
	var out []byte
	for _, a := range answers {
		out = binary.BigEndian.AppendUint16(out, uint16(len(a)))
		out = append(out, a...)
	}
	return out
}

// virtualFIDOCeremony records virtual-fido's answers to getInfo, makeCredential and getAssertion as the client
// below sends them (and, U2F-only, to VERSION, REGISTER and AUTHENTICATE).
func virtualFIDOCeremony(f *testing.F, cfg simkey.Config) []byte {
	k, err := simkey.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	defer k.Close()
	dev, err := k.Open()
	if err != nil {
		f.Fatal(err)
	}
	rec := &recordingKey{Device: dev}
	conn, err := ctaphid.Open(context.Background(), rec, ctaphid.Options{ResponseTimeout: 30 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	defer conn.Close()
	a, err := fido.New(context.Background(), conn, fido.Options{PollInterval: 10 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	reg, err := a.MakeCredential(context.Background(), ceremonyCreate(), &recorder{})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := a.GetAssertion(context.Background(), ceremonyGet(reg.CredentialID), &recorder{}); err != nil {
		f.Fatal(err)
	}
	return script(rec.payloads)
}

func ceremonyCreate() *fido.MakeCredentialParams {
	return &fido.MakeCredentialParams{RPID: "example.com", ClientDataHash: hash([]byte("create")),
		User: ctap2.UserEntity{ID: []byte("user"), Name: "ann"}, Algorithms: []int64{ctap2.AlgES256}, UV: fido.UVDiscouraged}
}

func ceremonyGet(id []byte) *fido.GetAssertionParams {
	return &fido.GetAssertionParams{RPID: "example.com", ClientDataHash: hash([]byte("get")), AllowList: [][]byte{id},
		UV: fido.UVDiscouraged}
}

// FuzzCeremonyHostileKey assembles WebAuthn results (attestationObject, authenticatorData, credential ID,
// fido-u2f attestation over CTAP1) from arbitrary key answers. Invariants: no panic; a failed ceremony
// returns no result; a registration carries a credential ID and authenticatorData for SHA-256(rpId); an
// assertion's authenticatorData is for SHA-256(rpId) (or the AppID) and its credential is one that was allowed.
func FuzzCeremonyHostileKey(f *testing.F) {
	f.Add(byte(ctaphid.CapCBOR|ctaphid.CapNMSG), virtualFIDOCeremony(f, simkey.Config{TouchDelay: 10 * time.Millisecond}))
	f.Add(byte(0), virtualFIDOCeremony(f, simkey.Config{TouchDelay: 10 * time.Millisecond, U2FOnly: true}))
	f.Add(byte(ctaphid.CapCBOR), []byte{0, 1, 0})
	rpHash := sha256.Sum256([]byte("example.com"))
	f.Fuzz(func(t *testing.T, caps byte, data []byte) {
		k := &scriptedKey{caps: caps}
		for len(data) >= 2 && len(k.answers) < 32 {
			n := int(binary.BigEndian.Uint16(data))
			data = data[2:]
			n = min(n, len(data))
			k.answers = append(k.answers, data[:n])
			data = data[n:]
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn, err := ctaphid.Open(ctx, k, ctaphid.Options{ResponseTimeout: 50 * time.Millisecond, BusyRetryDelay: time.Millisecond})
		if err != nil {
			return
		}
		a, err := fido.New(ctx, conn, fido.Options{PollInterval: time.Millisecond})
		if err != nil {
			if a != nil {
				t.Fatal("an Authenticator with an error")
			}
			return
		}
		a.Describe()
		reg, err := a.MakeCredential(ctx, ceremonyCreate(), &recorder{})
		switch {
		case err != nil && reg != nil:
			t.Fatal("a registration with an error")
		case err == nil:
			ad, perr := webauthn.ParseAuthenticatorData(reg.AuthenticatorData)
			if len(reg.CredentialID) == 0 || len(reg.AttestationObject) == 0 || perr != nil || ad.RPIDHash != rpHash {
				t.Fatalf("registration %+v (authData: %v)", reg, perr)
			}
		}
		allowed := []byte("credential")
		if reg != nil {
			allowed = reg.CredentialID
		}
		as, err := a.GetAssertion(ctx, ceremonyGet(allowed), &recorder{})
		switch {
		case err != nil && as != nil:
			t.Fatal("an assertion with an error")
		case err == nil:
			ad, perr := webauthn.ParseAuthenticatorData(as.AuthenticatorData)
			if perr != nil || ad.RPIDHash != rpHash || !bytes.Equal(as.CredentialID, allowed) || len(as.Signature) == 0 && as.Protocol == "ctap2" {
				t.Fatalf("assertion %+v (authData: %v)", as, perr)
			}
		}
	})
}
