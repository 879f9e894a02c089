package ctaphid_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/simkey"
)

var errScriptEnded = errors.New("hostile device: script ended")

// hostileDevice answers with scripted 64-byte reports. With fixNonce it copies the host's INIT nonce into the
// first INIT answer; with fixChannel it rewrites the channel of every later report to the one it allocated, so
// that the fuzzer reaches the transaction state machine (KEEPALIVE, ERROR, continuations, other channels).
type hostileDevice struct {
	script              [][]byte
	fixNonce, fixChan   bool
	nonce               []byte
	allocated           ctaphid.ChannelID
	reads, answeredInit int
}

func (d *hostileDevice) Write(report []byte) error {
	if len(report) != ctaphid.ReportSize {
		return ctaphid.ErrBadReportSize
	}
	if report[4] == byte(ctaphid.CmdInit) && d.nonce == nil {
		d.nonce = bytes.Clone(report[7:15])
	}
	return nil
}

func (d *hostileDevice) Read(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if d.reads >= len(d.script) {
		return nil, errScriptEnded
	}
	r := bytes.Clone(d.script[d.reads])
	d.reads++
	if d.fixNonce && d.answeredInit == 0 && d.nonce != nil {
		d.answeredInit++
		copy(r[0:4], []byte{0xff, 0xff, 0xff, 0xff})
		r[4], r[5], r[6] = byte(ctaphid.CmdInit), 0, 17
		copy(r[7:15], d.nonce)
		if r[15]|r[16]|r[17]|r[18] == 0 || r[15]&r[16]&r[17]&r[18] == 0xff {
			r[15] = 1
		}
		d.allocated = ctaphid.ChannelID(r[15:19])
		return r, nil
	}
	if d.fixChan && d.answeredInit > 0 {
		copy(r[0:4], d.allocated[:])
	}
	return r, nil
}

func (d *hostileDevice) Close() error { return nil }

// recordingDevice passes a simulated key's reports through and keeps what the host read.
type recordingDevice struct {
	ctaphid.Device
	read [][]byte
}

func (r *recordingDevice) Read(ctx context.Context) ([]byte, error) {
	p, err := r.Device.Read(ctx)
	if err == nil {
		r.read = append(r.read, bytes.Clone(p))
	}
	return p, err
}

// virtualFIDOFrames records the reports virtual-fido (through simkey) sends for INIT, getInfo and a
// makeCredential with KEEPALIVE UPNEEDED: real traffic to seed the fuzzer with.
func virtualFIDOFrames(f *testing.F) []byte {
	k, err := simkey.New(simkey.Config{TouchDelay: 250 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	defer k.Close()
	dev, err := k.Open()
	if err != nil {
		f.Fatal(err)
	}
	rec := &recordingDevice{Device: dev}
	c, err := ctaphid.Open(context.Background(), rec, ctaphid.Options{ResponseTimeout: 10 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Transact(context.Background(), ctaphid.CmdCBOR, []byte{0x04}, nil); err != nil {
		f.Fatal(err)
	}
	// makeCredential {1: hash, 2: {id: "example.com"}, 3: {id: h'01'}, 4: [{alg: -7, type: "public-key"}]}
	mc := append([]byte{0x01, 0xa4, 0x01, 0x58, 0x20}, make([]byte, 32)...)
	mc = append(mc, 0x02, 0xa1, 0x62, 'i', 'd', 0x6b)
	mc = append(mc, "example.com"...)
	mc = append(mc, 0x03, 0xa1, 0x62, 'i', 'd', 0x41, 0x01, 0x04, 0x81, 0xa2, 0x63, 'a', 'l', 'g', 0x26, 0x64, 't', 'y', 'p', 'e', 0x6a)
	mc = append(mc, "public-key"...)
	c.Transact(context.Background(), ctaphid.CmdCBOR, mc, nil)
	return bytes.Join(rec.read, nil)
}

// FuzzConnHostileDevice plays a hostile key against ctaphid.Conn: arbitrary INIT answers (nonce, channel,
// lengths), then arbitrary frames during a CBOR transaction (KEEPALIVE with any status, ERROR with any code,
// wrong channels, wrong sequence numbers, short and long messages). Invariants: Open and Transact return
// (no hang past the context), never panic, and a failed call yields no payload; a completed Transact returns a
// payload no longer than MaxPayload.
func FuzzConnHostileDevice(f *testing.F) {
	real := virtualFIDOFrames(f)
	f.Add(byte(3), real)
	f.Add(byte(0), real)
	keepalive, _ := ctaphid.EncodeMessage(ctaphid.ChannelID{0, 0, 0, 1}, ctaphid.CmdKeepalive, []byte{byte(ctaphid.StatusUPNeeded)})
	errFrame, _ := ctaphid.EncodeMessage(ctaphid.ChannelID{0, 0, 0, 1}, ctaphid.CmdError, []byte{byte(ctaphid.ErrChannelBusy)})
	long, _ := ctaphid.EncodeMessage(ctaphid.ChannelID{0, 0, 0, 1}, ctaphid.CmdCBOR, bytes.Repeat([]byte{0}, 300))
	init := make([]byte, ctaphid.ReportSize)
	f.Add(byte(3), bytes.Join(append(append([][]byte{init}, keepalive...), append(errFrame, long...)...), nil))
	f.Fuzz(func(t *testing.T, flags byte, data []byte) {
		d := &hostileDevice{fixNonce: flags&1 != 0, fixChan: flags&2 != 0}
		for len(data) >= ctaphid.ReportSize && len(d.script) < 256 {
			d.script = append(d.script, data[:ctaphid.ReportSize])
			data = data[ctaphid.ReportSize:]
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		opts := ctaphid.Options{ResponseTimeout: 20 * time.Millisecond, BusyRetryDelay: time.Millisecond}
		start := time.Now()
		c, err := ctaphid.Open(ctx, d, opts)
		if err != nil {
			if c != nil {
				t.Fatal("Open returned a Conn with an error")
			}
			return
		}
		out, err := c.Transact(ctx, ctaphid.CmdCBOR, []byte{0x04}, func(ctaphid.KeepaliveStatus) {})
		if err != nil && out != nil {
			t.Fatalf("Transact returned %d bytes with %v", len(out), err)
		}
		if len(out) > ctaphid.MaxPayload {
			t.Fatalf("payload of %d bytes", len(out))
		}
		if time.Since(start) > 3*time.Second {
			t.Fatalf("the hostile device held the host for %v", time.Since(start))
		}
	})
}
