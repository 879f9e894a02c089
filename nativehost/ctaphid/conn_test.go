package ctaphid

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestInitNonceMismatch(t *testing.T) {
	dev := newPipeDevice()
	key := &fakeKey{t: t, dev: dev}
	runKey(t, func() {
		_, _, nonce := key.recv()
		other := bytes.Clone(nonce)
		other[0] ^= 0xFF
		// Another process's INIT answer on the broadcast channel, then ours.
		key.send(BroadcastCID, CmdInit, initResponse(other, ChannelID{9, 9, 9, 9}, CapCBOR))
		key.send(BroadcastCID, CmdInit, initResponse(nonce, testCID, CapCBOR|CapWink))
	})
	c, err := Open(context.Background(), dev, testOptions())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	info := c.Info()
	if info.CID != testCID {
		t.Fatalf("CID = %s, want %s (the answer with our nonce)", info.CID, testCID)
	}
	if !info.Capabilities.Has(CapCBOR|CapWink) || info.Capabilities.Has(CapNMSG) || info.ProtocolVersion != 2 ||
		info.Major != 5 || info.Minor != 4 || info.Build != 3 {
		t.Fatalf("info = %+v", info)
	}
}

func TestInitNonceNeverMatches(t *testing.T) {
	dev := newPipeDevice()
	key := &fakeKey{t: t, dev: dev}
	runKey(t, func() {
		_, _, nonce := key.recv()
		nonce[7] ^= 1
		key.send(BroadcastCID, CmdInit, initResponse(nonce, testCID, 0))
	})
	_, err := Open(context.Background(), dev, testOptions())
	if !errors.Is(err, ErrInitNonceNeverMatched) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("Open = %v, want ErrInitNonceNeverMatched", err)
	}
}

func TestInitReservedChannelRejected(t *testing.T) {
	dev := newPipeDevice()
	key := &fakeKey{t: t, dev: dev}
	runKey(t, func() { key.answerInit(BroadcastCID, 0) })
	if _, err := Open(context.Background(), dev, testOptions()); !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("Open = %v, want ErrMalformedResponse", err)
	}
}

func TestTransactMultiPacket(t *testing.T) {
	c, key := openPair(t, testOptions())
	req := bytes.Repeat([]byte("request!"), 40) // 320 bytes: 1 init + 5 continuation packets
	resp := bytes.Repeat([]byte{0xA5}, 200)
	runKey(t, func() {
		cid, cmd, got := key.recv()
		if cid != testCID || cmd != CmdCBOR || !bytes.Equal(got, req) {
			key.t.Errorf("key got %s on %s, %d bytes", cmd, cid, len(got))
		}
		key.send(testCID, CmdCBOR, resp)
	})
	got, err := c.Transact(context.Background(), CmdCBOR, req, nil)
	if err != nil || !bytes.Equal(got, resp) {
		t.Fatalf("Transact = %x, %v", got, err)
	}
}

func TestUnexpectedSeq(t *testing.T) {
	c, key := openPair(t, testOptions())
	runKey(t, func() {
		key.recv()
		packets, _ := EncodeMessage(testCID, CmdCBOR, make([]byte, 100)) // init + seq 0
		packets[1][4] = 1                                                // skip seq 0
		key.sendRaw(packets[0])
		key.sendRaw(packets[1])
		// The host must re-synchronise with INIT before its next request.
		key.answerInit(ChannelID{5, 6, 7, 8}, CapCBOR)
		cid, _, _ := key.recv()
		key.send(cid, CmdCBOR, []byte{0})
	})
	_, err := c.Transact(context.Background(), CmdCBOR, []byte{4}, nil)
	if !errors.Is(err, ErrUnexpectedSeq) {
		t.Fatalf("Transact = %v, want ErrUnexpectedSeq", err)
	}
	if _, err := c.Transact(context.Background(), CmdCBOR, []byte{4}, nil); err != nil {
		t.Fatalf("Transact after resync: %v", err)
	}
	if got := c.Info().CID; got != (ChannelID{5, 6, 7, 8}) {
		t.Fatalf("CID after resync = %s", got)
	}
}

func TestSpuriousContinuation(t *testing.T) {
	c, key := openPair(t, testOptions())
	runKey(t, func() {
		key.recv()
		packets, _ := EncodeMessage(testCID, CmdCBOR, make([]byte, 100))
		key.sendRaw(packets[1]) // continuation with no init packet before it
	})
	if _, err := c.Transact(context.Background(), CmdCBOR, []byte{4}, nil); !errors.Is(err, ErrSpuriousContinuation) {
		t.Fatalf("Transact = %v, want ErrSpuriousContinuation", err)
	}
}

func TestInitPacketMidMessage(t *testing.T) {
	c, key := openPair(t, testOptions())
	runKey(t, func() {
		key.recv()
		packets, _ := EncodeMessage(testCID, CmdCBOR, make([]byte, 100))
		key.sendRaw(packets[0])
		key.send(testCID, CmdKeepalive, []byte{byte(StatusProcessing)}) // not allowed between packets
	})
	if _, err := c.Transact(context.Background(), CmdCBOR, []byte{4}, nil); !errors.Is(err, ErrUnexpectedInit) {
		t.Fatalf("Transact = %v, want ErrUnexpectedInit", err)
	}
}

func TestUnexpectedCommand(t *testing.T) {
	c, key := openPair(t, testOptions())
	runKey(t, func() {
		key.recv()
		key.send(testCID, CmdMsg, []byte{0x90, 0x00})
	})
	if _, err := c.Transact(context.Background(), CmdCBOR, []byte{4}, nil); !errors.Is(err, ErrUnexpectedCommand) {
		t.Fatalf("Transact = %v, want ErrUnexpectedCommand", err)
	}
}

func TestOtherChannelIgnored(t *testing.T) {
	c, key := openPair(t, testOptions())
	other := ChannelID{0xAA, 0xBB, 0xCC, 0xDD}
	resp := bytes.Repeat([]byte{7}, 130)
	runKey(t, func() {
		key.recv()
		ours, _ := EncodeMessage(testCID, CmdCBOR, resp)
		theirs, _ := EncodeMessage(other, CmdCBOR, bytes.Repeat([]byte{9}, 130))
		// Interleave another process's message (and a keepalive for it, and a packet we could not even parse)
		// with ours.
		garbled := make([]byte, ReportSize)
		copy(garbled, other[:])
		garbled[4], garbled[5], garbled[6] = byte(CmdCBOR), 0xFF, 0xFF
		key.sendRaw(garbled)
		key.sendRaw(theirs[0])
		key.sendRaw(ours[0])
		key.send(other, CmdKeepalive, []byte{byte(StatusUPNeeded)})
		key.sendRaw(theirs[1])
		key.sendRaw(ours[1])
		key.sendRaw(theirs[2])
		key.sendRaw(ours[2])
	})
	var statuses []KeepaliveStatus
	got, err := c.Transact(context.Background(), CmdCBOR, []byte{4}, func(s KeepaliveStatus) { statuses = append(statuses, s) })
	if err != nil || !bytes.Equal(got, resp) {
		t.Fatalf("Transact = %x, %v", got, err)
	}
	if len(statuses) != 0 {
		t.Fatalf("saw another channel's keepalive: %v", statuses)
	}
}

func TestBusyRetry(t *testing.T) {
	c, key := openPair(t, testOptions())
	attempts := 0
	runKey(t, func() {
		for {
			_, _, got := key.recv()
			attempts++
			if !bytes.Equal(got, []byte{4}) {
				key.t.Errorf("retry sent %x", got)
			}
			if attempts < 3 {
				key.send(testCID, CmdError, []byte{byte(ErrChannelBusy)})
				continue
			}
			key.send(testCID, CmdCBOR, []byte{0, 0xA0})
			return
		}
	})
	got, err := c.Transact(context.Background(), CmdCBOR, []byte{4}, nil)
	if err != nil || !bytes.Equal(got, []byte{0, 0xA0}) {
		t.Fatalf("Transact = %x, %v", got, err)
	}
	if attempts != 3 {
		t.Fatalf("attempts = %d, want 3", attempts)
	}
}

func TestBusyForeverHonoursContext(t *testing.T) {
	c, key := openPair(t, testOptions())
	stop := make(chan struct{})
	runKey(t, func() {
		for {
			select {
			case <-stop:
				return
			case r := <-key.dev.toDevice:
				p, _ := ParsePacket(r)
				if p.Cmd == CmdCBOR {
					key.send(testCID, CmdError, []byte{byte(ErrChannelBusy)})
				}
			}
		}
	})
	defer close(stop)
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	if _, err := c.Transact(ctx, CmdCBOR, []byte{4}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Transact = %v, want DeadlineExceeded", err)
	}
}

func TestKeepalive(t *testing.T) {
	opts := testOptions()
	opts.ResponseTimeout = 100 * time.Millisecond
	c, key := openPair(t, opts)
	runKey(t, func() {
		key.recv()
		key.send(testCID, CmdKeepalive, []byte{byte(StatusProcessing)})
		// Keepalives keep the transaction alive well past ResponseTimeout.
		for range 5 {
			time.Sleep(40 * time.Millisecond)
			key.send(testCID, CmdKeepalive, []byte{byte(StatusUPNeeded)})
		}
		key.send(testCID, CmdCBOR, []byte{0})
	})
	var statuses []KeepaliveStatus
	got, err := c.Transact(context.Background(), CmdCBOR, []byte{1}, func(s KeepaliveStatus) { statuses = append(statuses, s) })
	if err != nil || !bytes.Equal(got, []byte{0}) {
		t.Fatalf("Transact = %x, %v", got, err)
	}
	want := []KeepaliveStatus{StatusProcessing, StatusUPNeeded, StatusUPNeeded, StatusUPNeeded, StatusUPNeeded, StatusUPNeeded}
	if !slices.Equal(statuses, want) {
		t.Fatalf("statuses = %v, want %v", statuses, want)
	}
}

func TestCancel(t *testing.T) {
	c, key := openPair(t, testOptions())
	upNeeded := make(chan struct{})
	runKey(t, func() {
		key.recv()
		key.send(testCID, CmdKeepalive, []byte{byte(StatusUPNeeded)})
		cid, cmd, payload := key.recv()
		if cid != testCID || cmd != CmdCancel || len(payload) != 0 {
			key.t.Errorf("after ctx cancel the key got %s on %s", cmd, cid)
		}
		key.send(testCID, CmdCBOR, []byte{0x2D}) // CTAP2_ERR_KEEPALIVE_CANCEL
		// The channel stays usable without re-INIT.
		cid, cmd, _ = key.recv()
		if cid != testCID || cmd != CmdCBOR {
			key.t.Errorf("next request: %s on %s", cmd, cid)
		}
		key.send(testCID, CmdCBOR, []byte{0})
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-upNeeded; cancel() }()
	var once sync.Once
	_, err := c.Transact(ctx, CmdCBOR, []byte{1}, func(s KeepaliveStatus) {
		if s == StatusUPNeeded {
			once.Do(func() { close(upNeeded) })
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Transact = %v, want context.Canceled", err)
	}
	if _, err := c.Transact(context.Background(), CmdCBOR, []byte{4}, nil); err != nil {
		t.Fatalf("Transact after cancel: %v", err)
	}
}

func TestCancelUnansweredResyncs(t *testing.T) {
	c, key := openPair(t, testOptions())
	runKey(t, func() {
		key.recv()
		if _, cmd, _ := key.recv(); cmd != CmdCancel {
			key.t.Errorf("want CANCEL, got %s", cmd)
		}
		// No answer to CANCEL: the host must allocate a fresh channel.
		key.answerInit(ChannelID{4, 3, 2, 1}, CapCBOR)
		cid, _, _ := key.recv()
		key.send(cid, CmdCBOR, []byte{0})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Transact(ctx, CmdCBOR, []byte{1}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Transact = %v, want DeadlineExceeded", err)
	}
	if _, err := c.Transact(context.Background(), CmdCBOR, []byte{4}, nil); err != nil {
		t.Fatalf("Transact after unanswered cancel: %v", err)
	}
}

func TestErrorPacket(t *testing.T) {
	c, key := openPair(t, testOptions())
	runKey(t, func() {
		key.recv()
		key.send(testCID, CmdError, []byte{byte(ErrInvalidLen)})
	})
	_, err := c.Transact(context.Background(), CmdMsg, []byte{0, 3, 0, 0, 0, 0, 0}, nil)
	var code ErrorCode
	if !errors.As(err, &code) || code != ErrInvalidLen {
		t.Fatalf("Transact = %v, want ErrorCode INVALID_LEN", err)
	}
	if !strings.Contains(err.Error(), "INVALID_LEN") || ErrorCode(0x55).String() != "ErrorCode(0x55)" {
		t.Fatalf("error text %q", err)
	}
}

func TestDeviceGoneMidMessage(t *testing.T) {
	c, key := openPair(t, testOptions())
	runKey(t, func() {
		key.recv()
		packets, _ := EncodeMessage(testCID, CmdCBOR, make([]byte, 200))
		key.sendRaw(packets[0])
		close(key.dev.gone) // unplugged after the first packet
	})
	_, err := c.Transact(context.Background(), CmdCBOR, []byte{1}, nil)
	if !errors.Is(err, ErrDeviceGone) || !errors.Is(err, errUnplugged) {
		t.Fatalf("Transact = %v, want ErrDeviceGone", err)
	}
	if _, err := c.Transact(context.Background(), CmdCBOR, []byte{1}, nil); !errors.Is(err, ErrDeviceGone) {
		t.Fatalf("second Transact = %v, want ErrDeviceGone", err)
	}
}

func TestTimeout(t *testing.T) {
	opts := testOptions()
	opts.ResponseTimeout = 60 * time.Millisecond
	c, key := openPair(t, opts)
	runKey(t, func() { key.recv() }) // never answers
	start := time.Now()
	_, err := c.Transact(context.Background(), CmdMsg, []byte{0, 3, 0, 0, 0, 0, 0}, nil)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Transact = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d < 60*time.Millisecond || d > 2*time.Second {
		t.Fatalf("timed out after %s", d)
	}
}

func TestMaxPayload(t *testing.T) {
	c, key := openPair(t, testOptions())
	big := make([]byte, MaxPayload)
	for i := range big {
		big[i] = byte(i * 7)
	}
	packets, err := EncodeMessage(testCID, CmdPing, big)
	if err != nil || len(packets) != 129 || packets[128][4] != 0x7F {
		t.Fatalf("EncodeMessage(7609 bytes): %d packets, %v", len(packets), err)
	}
	runKey(t, func() {
		_, cmd, got := key.recv()
		key.send(testCID, cmd, got) // echo
	})
	if err := c.Ping(context.Background(), big); err != nil {
		t.Fatalf("Ping(7609 bytes): %v", err)
	}
	if _, err := c.Transact(context.Background(), CmdPing, make([]byte, MaxPayload+1), nil); !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("Transact(7610 bytes) = %v, want ErrPayloadTooLarge", err)
	}
	// A response declaring more than MaxPayload is refused at parse time.
	bad := make([]byte, ReportSize)
	bad[4], bad[5], bad[6] = byte(CmdCBOR), 0x1D, 0xBA // 7610
	if _, err := ParsePacket(bad); !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("ParsePacket(len 7610) = %v", err)
	}
}

func TestBadReportSize(t *testing.T) {
	for _, n := range []int{0, 7, 63, 65} {
		if _, err := ParsePacket(make([]byte, n)); !errors.Is(err, ErrBadReportSize) {
			t.Errorf("ParsePacket(%d bytes) = %v", n, err)
		}
	}
}

func TestRequestCommandsOnly(t *testing.T) {
	c, _ := openPair(t, testOptions())
	for _, cmd := range []Command{CmdInit, CmdCancel, CmdKeepalive, CmdError} {
		if _, err := c.Transact(context.Background(), cmd, nil, nil); err == nil {
			t.Errorf("Transact(%s) accepted", cmd)
		}
	}
}

func TestStrings(t *testing.T) {
	cases := map[string]string{
		CmdCBOR.String(): "CBOR", Command(0xC1).String(): "VENDOR(0xc1)", StatusUPNeeded.String(): "UPNEEDED",
		ErrChannelBusy.String(): "CHANNEL_BUSY", testCID.String(): "01020304",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestOtherChannelTrafficDoesNotExtendTimeout(t *testing.T) {
	opts := testOptions()
	opts.ResponseTimeout = 80 * time.Millisecond
	c, key := openPair(t, opts)
	stop := make(chan struct{})
	runKey(t, func() {
		key.recv()
		for {
			select {
			case <-stop:
				return
			case key.dev.toHost <- func() []byte { p, _ := EncodeMessage(ChannelID{9, 9, 9, 9}, CmdKeepalive, []byte{1}); return p[0] }():
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
	_, err := c.Transact(context.Background(), CmdCBOR, []byte{4}, nil)
	close(stop)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Transact = %v, want ErrTimeout despite other channels' traffic", err)
	}
}
