package ctaphid

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

var errUnplugged = errors.New("fake: device unplugged")

// pipeDevice is an in-memory pipe of 64-byte reports. The host side is the Device interface; the key side is
// driven by a test goroutine through fakeKey. toHost is unbuffered so that the key knows when the host has
// consumed a report.
type pipeDevice struct {
	toDevice chan []byte
	toHost   chan []byte
	gone     chan struct{}
}

func newPipeDevice() *pipeDevice {
	return &pipeDevice{toDevice: make(chan []byte, 512), toHost: make(chan []byte), gone: make(chan struct{})}
}

func (d *pipeDevice) Write(report []byte) error {
	if len(report) != ReportSize {
		return ErrBadReportSize
	}
	select {
	case <-d.gone:
		return errUnplugged
	default:
	}
	d.toDevice <- bytes.Clone(report)
	return nil
}

func (d *pipeDevice) Read(ctx context.Context) ([]byte, error) {
	select {
	case r := <-d.toHost:
		return r, nil
	case <-d.gone:
		return nil, errUnplugged
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (d *pipeDevice) Close() error { return nil }

// fakeKey is the authenticator side of a pipeDevice, run from a test goroutine.
type fakeKey struct {
	t   *testing.T
	dev *pipeDevice
}

// recvPacket waits for the next report the host wrote.
func (k *fakeKey) recvPacket() Packet {
	select {
	case r := <-k.dev.toDevice:
		p, err := ParsePacket(r)
		if err != nil {
			k.t.Errorf("fake key: host wrote a bad packet: %v", err)
		}
		return p
	case <-time.After(5 * time.Second):
		k.t.Errorf("fake key: host wrote nothing")
		return Packet{}
	}
}

// recv reassembles the next message the host sent.
func (k *fakeKey) recv() (ChannelID, Command, []byte) {
	p := k.recvPacket()
	a, err := NewAssembler(p)
	if err != nil {
		k.t.Errorf("fake key: %v", err)
		return p.CID, 0, nil
	}
	for !a.Done() {
		if err := a.Add(k.recvPacket()); err != nil {
			k.t.Errorf("fake key: %v", err)
			return p.CID, 0, nil
		}
	}
	return p.CID, a.Command(), a.Payload()
}

func (k *fakeKey) sendRaw(report []byte) {
	select {
	case k.dev.toHost <- report:
	case <-time.After(5 * time.Second):
		k.t.Errorf("fake key: host did not read")
	}
}

func (k *fakeKey) send(cid ChannelID, cmd Command, payload []byte) {
	packets, err := EncodeMessage(cid, cmd, payload)
	if err != nil {
		k.t.Errorf("fake key: %v", err)
		return
	}
	for _, p := range packets {
		k.sendRaw(p)
	}
}

// answerInit reads an INIT request and answers it with cid and the given capabilities.
func (k *fakeKey) answerInit(cid ChannelID, caps Capabilities) {
	got, cmd, nonce := k.recv()
	if got != BroadcastCID || cmd != CmdInit || len(nonce) != 8 {
		k.t.Errorf("fake key: want INIT on broadcast, got %s on %s (%d bytes)", cmd, got, len(nonce))
		return
	}
	k.send(BroadcastCID, CmdInit, initResponse(nonce, cid, caps))
}

func initResponse(nonce []byte, cid ChannelID, caps Capabilities) []byte {
	resp := append(bytes.Clone(nonce), cid[:]...)
	return append(resp, 2, 5, 4, 3, byte(caps))
}

var testCID = ChannelID{0x01, 0x02, 0x03, 0x04}

// testOptions keep tests fast: a short silence limit and busy delay.
func testOptions() Options {
	return Options{ResponseTimeout: 300 * time.Millisecond, BusyRetryDelay: 10 * time.Millisecond,
		CancelGrace: 200 * time.Millisecond}
}

// openPair opens a Conn against a fresh fake key that answers the first INIT with testCID.
func openPair(t *testing.T, opts Options) (*Conn, *fakeKey) {
	t.Helper()
	dev := newPipeDevice()
	key := &fakeKey{t: t, dev: dev}
	go key.answerInit(testCID, CapCBOR|CapWink)
	c, err := Open(context.Background(), dev, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return c, key
}

// runKey runs script as the key and waits for it at test end.
func runKey(t *testing.T, script func()) {
	done := make(chan struct{})
	go func() { defer close(done); script() }()
	t.Cleanup(func() {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("fake key script did not finish")
		}
	})
}
