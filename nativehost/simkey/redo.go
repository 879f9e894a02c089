package simkey

import (
	"github.com/fxamacker/cbor/v2"

	"github.com/twinkey/twinkey/core/cose"
	"github.com/twinkey/twinkey/core/webauthn"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

// virtual-fido v0.2.0 encodes a new credential's COSE key with big.Int.Bytes (cose/cose.go), so a coordinate
// with a leading zero byte comes out 31 bytes long: one credential in 128 is malformed and every verifier
// refuses it. A real key never does that, and the tests must not flake on it, so the pump holds back each
// makeCredential answer until it is complete and, if its key is malformed, sends the same request to
// virtual-fido again (which makes a fresh credential) instead of passing the answer on.

// redo is the makeCredential in flight and the answer packets held back so far.
type redo struct {
	request [][]byte // the request's packets, to send again
	asm     *ctaphid.Assembler
	held    [][]byte
}

// watchMakeCredential is called by the guard when it forwards a makeCredential request.
func (k *Key) watchMakeCredential(request [][]byte) {
	k.mu.Lock()
	k.redo = &redo{request: request}
	k.mu.Unlock()
}

// filter is called by the pump for each answer packet; it returns the packets to deliver now.
func (k *Key) filter(p []byte) [][]byte {
	k.mu.Lock()
	r := k.redo
	k.mu.Unlock()
	if r == nil {
		return [][]byte{p}
	}
	pkt, err := ctaphid.ParsePacket(p)
	if err != nil || (pkt.Init && pkt.Cmd != ctaphid.CmdCBOR) {
		return [][]byte{p} // keepalives, errors: pass
	}
	if pkt.Init {
		r.asm, _ = ctaphid.NewAssembler(pkt)
		r.held = nil
	} else if r.asm == nil || r.asm.Add(pkt) != nil {
		return [][]byte{p}
	}
	r.held = append(r.held, p)
	if !r.asm.Done() {
		return nil
	}
	k.mu.Lock()
	k.redo = nil
	k.mu.Unlock()
	if malformed(r.asm.Payload()) {
		k.watchMakeCredential(r.request)
		// Not from the pump itself: handle may wait for the pump to see an INIT answer.
		go func() {
			for _, q := range r.request {
				k.handle(q)
			}
		}()
		return nil
	}
	return r.held
}

// malformed is malformedCredentialKey; tests replace it to force a redo.
var malformed = malformedCredentialKey

// malformedCredentialKey reports whether a successful makeCredential answer (status || CBOR map) carries a
// COSE key whose x or y is not 32 bytes (WebAuthn §6.5.1: attested credential data; RFC 9053 §7.1.1).
func malformedCredentialKey(resp []byte) bool {
	if len(resp) < 2 || resp[0] != 0 {
		return false
	}
	var m struct {
		AuthData []byte `cbor:"2,keyasint"`
	}
	if cbor.Unmarshal(resp[1:], &m) != nil {
		return false
	}
	ad, err := webauthn.ParseAuthenticatorData(m.AuthData)
	if err != nil || ad.AttestedCredential == nil {
		return false
	}
	var key cose.EC2Key
	if cbor.Unmarshal(ad.AttestedCredential.CredentialPublicKey, &key) != nil {
		return false
	}
	return len(key.X) != 32 || len(key.Y) != 32
}
