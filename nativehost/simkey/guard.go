package simkey

import (
	"bytes"
	"encoding/binary"

	vcrypto "github.com/bulwarkid/virtual-fido/crypto"
	"github.com/fxamacker/cbor/v2"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

// pendingRequest is a request being reassembled by the guard before it is handed to virtual-fido.
type pendingRequest struct {
	asm *ctaphid.Assembler
	raw [][]byte
}

// guard reassembles each request per channel and forwards its original packets to virtual-fido only when
// virtual-fido can handle it without panicking; otherwise it answers as a real key would. Caller holds d.mu.
func (d *device) guard(report []byte) error {
	p, err := ctaphid.ParsePacket(report)
	if err != nil {
		d.reply(ctaphid.ChannelID(report[0:4]), ctaphid.CmdError, []byte{byte(ctaphid.ErrInvalidLen)})
		return nil
	}
	cid := p.CID
	if !p.Init {
		pr := d.pending[cid]
		if pr == nil {
			return nil // a spurious continuation packet: real keys ignore it
		}
		if err := pr.asm.Add(p); err != nil {
			delete(d.pending, cid)
			d.reply(cid, ctaphid.CmdError, []byte{byte(ctaphid.ErrInvalidSeq)})
			return nil
		}
		pr.raw = append(pr.raw, bytes.Clone(report))
		if pr.asm.Done() {
			d.forward(cid, pr)
		}
		return nil
	}
	if p.Cmd == ctaphid.CmdCancel {
		delete(d.pending, cid)
		d.key.handle(bytes.Clone(report)) // virtual-fido: no answer, the request runs to its end
		return nil
	}
	asm, err := ctaphid.NewAssembler(p)
	if err != nil {
		return nil
	}
	pr := &pendingRequest{asm: asm, raw: [][]byte{bytes.Clone(report)}}
	if asm.Done() {
		d.forward(cid, pr)
		return nil
	}
	d.pending[cid] = pr
	return nil
}

func (d *device) forward(cid ctaphid.ChannelID, pr *pendingRequest) {
	delete(d.pending, cid)
	if cmd, payload, refused := d.refusal(cid, pr.asm.Command(), pr.asm.Payload()); refused {
		d.reply(cid, cmd, payload)
		return
	}
	if pl := pr.asm.Payload(); pr.asm.Command() == ctaphid.CmdCBOR && len(pl) > 0 && pl[0] == 0x01 { // authenticatorMakeCredential
		d.key.watchMakeCredential(pr.raw)
	}
	for _, r := range pr.raw {
		d.key.handle(r)
	}
}

// reply queues an answer the guard makes itself.
func (d *device) reply(cid ctaphid.ChannelID, cmd ctaphid.Command, payload []byte) {
	packets, err := ctaphid.EncodeMessage(cid, cmd, payload)
	if err != nil {
		return
	}
	for _, p := range packets {
		d.key.send(p)
	}
}

// U2F status words the guard answers with (U2F raw messages v1.2 §3.3).
var (
	swWrongLength = []byte{0x67, 0x00}
	swWrongData   = []byte{0x6A, 0x80}
	swInsNotSupp  = []byte{0x6D, 0x00}
	swClaNotSupp  = []byte{0x6E, 0x00}
)

// CTAP2 status bytes the guard answers with (CTAP 2.1 §8.2).
const (
	ctapInvalidCommand   = 0x01
	ctapInvalidCBOR      = 0x12
	ctapMissingParameter = 0x14
)

// refusal decides whether virtual-fido may see a complete request. If not, it returns the answer to send.
func (d *device) refusal(cid ctaphid.ChannelID, cmd ctaphid.Command, payload []byte) (ctaphid.Command, []byte, bool) {
	invalidCmd := []byte{byte(ctaphid.ErrInvalidCmd)}
	if cid == ctaphid.BroadcastCID {
		switch {
		case cmd == ctaphid.CmdInit && len(payload) == 8:
			return 0, nil, false
		case cmd == ctaphid.CmdInit:
			return ctaphid.CmdError, []byte{byte(ctaphid.ErrInvalidLen)}, true
		case cmd == ctaphid.CmdPing && len(payload) > 0:
			return 0, nil, false
		case cmd == ctaphid.CmdPing:
			return ctaphid.CmdPing, nil, true
		}
		return ctaphid.CmdError, invalidCmd, true
	}
	switch cmd {
	case ctaphid.CmdPing:
		if len(payload) == 0 {
			return ctaphid.CmdPing, nil, true // virtual-fido sends no packet for an empty answer
		}
		return 0, nil, false
	case ctaphid.CmdMsg:
		if sw := d.refuseAPDU(payload); sw != nil {
			return ctaphid.CmdMsg, sw, true
		}
		return 0, nil, false
	case ctaphid.CmdCBOR:
		if d.key.cfg.U2FOnly {
			return ctaphid.CmdError, invalidCmd, true
		}
		if status, bad := refuseCBOR(payload); bad {
			return ctaphid.CmdCBOR, []byte{status}, true
		}
		return 0, nil, false
	}
	// INIT on an allocated channel (resync), WINK, LOCK and vendor commands make virtual-fido panic.
	return ctaphid.CmdError, invalidCmd, true
}

// refuseAPDU checks an extended-length APDU (U2F raw messages v1.2 §3) the way virtual-fido's decoder needs it.
func (d *device) refuseAPDU(apdu []byte) []byte {
	if len(apdu) < 4 {
		return swWrongLength
	}
	if apdu[0] != 0 {
		return swClaNotSupp
	}
	ins := apdu[1]
	if ins < 0x01 || ins > 0x03 {
		return swInsNotSupp
	}
	var data []byte
	switch rest := apdu[4:]; {
	case len(rest) == 0:
	case len(rest) < 3 || rest[0] != 0:
		return swWrongLength // short-form APDU: virtual-fido panics on these
	case len(rest) == 3:
		// Le only
	default:
		lc := int(binary.BigEndian.Uint16(rest[1:3]))
		body := rest[3:]
		if len(body) != lc && len(body) != lc+2 {
			return swWrongLength
		}
		data = body[:lc]
	}
	switch ins {
	case 0x01: // REGISTER: challenge[32] || application[32]
		if len(data) != 64 {
			return swWrongLength
		}
	case 0x02: // AUTHENTICATE: challenge[32] || application[32] || L || keyHandle[L]
		if len(data) < 65 || len(data) != 65+int(data[64]) {
			return swWrongLength
		}
		if !d.ownsKeyHandle(data[65:]) {
			return swWrongData
		}
	}
	return nil
}

// ownsKeyHandle reports whether virtual-fido can open kh: virtual-fido seals key handles as a CBOR
// {1: ciphertext, 2: 12-byte nonce} AES-GCM box under its device key and panics when opening fails.
func (d *device) ownsKeyHandle(kh []byte) bool {
	var box vcrypto.EncryptedBox
	if err := cbor.Unmarshal(kh, &box); err != nil || len(box.IV) != 12 {
		return false
	}
	_, err := vcrypto.Decrypt(d.key.client.SealingEncryptionKey(), box.Data, box.IV)
	return err == nil
}

// refuseCBOR checks a CTAPHID_CBOR request: a command virtual-fido implements and well-formed CBOR.
func refuseCBOR(payload []byte) (byte, bool) {
	if len(payload) == 0 {
		return ctapInvalidCommand, true
	}
	switch payload[0] {
	case 0x04: // getInfo
		return 0, false
	case 0x01, 0x02:
	case 0x06: // clientPIN: getPinToken without keyAgreement dereferences nil
		var args map[int]cbor.RawMessage
		if err := cbor.Unmarshal(payload[1:], &args); err != nil {
			return ctapInvalidCBOR, true
		}
		var sub int
		if err := cbor.Unmarshal(args[2], &sub); err == nil && sub == 5 && args[3] == nil {
			return ctapMissingParameter, true
		}
	default:
		return ctapInvalidCommand, true
	}
	if err := cbor.Wellformed(payload[1:]); err != nil {
		return ctapInvalidCBOR, true
	}
	return 0, false
}
