package ctaphid

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Device is a pipe of 64-byte HID reports to one authenticator. The report-ID byte some operating systems need is
// the implementation's business, not the caller's.
//
// Read blocks until one input report arrives or ctx is done; it returns ctx.Err() (possibly wrapped) in the
// latter case. Any other error from Read or Write means the device is unusable (typically unplugged).
type Device interface {
	Write(report []byte) error
	Read(ctx context.Context) ([]byte, error)
	Close() error
}

// Options tune a Conn. The zero value gives the defaults documented on each field.
type Options struct {
	// Rand supplies INIT nonces; crypto/rand when nil.
	Rand io.Reader
	// ResponseTimeout bounds the silence between two packets of a response, KEEPALIVE packets included, so a
	// CTAP2 request waiting for a touch lives as long as the key keeps sending keepalives (§5.5). Default 3 s,
	// the U2FHID transaction timeout.
	ResponseTimeout time.Duration
	// BusyRetryDelay is the wait before re-sending a request answered with CHANNEL_BUSY. Default 100 ms.
	BusyRetryDelay time.Duration
	// CancelGrace bounds how long a cancelled transaction waits for the key's final answer to CANCEL before the
	// channel is re-initialised instead. Default 1 s.
	CancelGrace time.Duration
}

func (o Options) withDefaults() Options {
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.ResponseTimeout <= 0 {
		o.ResponseTimeout = 3 * time.Second
	}
	if o.BusyRetryDelay <= 0 {
		o.BusyRetryDelay = 100 * time.Millisecond
	}
	if o.CancelGrace <= 0 {
		o.CancelGrace = time.Second
	}
	return o
}

// DeviceInfo is what the INIT response says about the device (§5.3).
type DeviceInfo struct {
	CID             ChannelID
	ProtocolVersion byte
	Major           byte
	Minor           byte
	Build           byte
	Capabilities    Capabilities
}

// Conn is an allocated CTAPHID channel on one Device. It runs one transaction at a time; concurrent calls queue.
type Conn struct {
	dev  Device
	opts Options

	mu     sync.Mutex // serialises transactions; guards the fields below
	info   DeviceInfo
	resync bool // a transaction was abandoned mid-way: re-INIT before the next one
	gone   bool // the device failed: every later call fails with ErrDeviceGone
}

// Open allocates a channel on dev with INIT. The Conn owns dev from then on (Close closes it).
func Open(ctx context.Context, dev Device, opts Options) (*Conn, error) {
	c := &Conn{dev: dev, opts: opts.withDefaults()}
	if err := c.init(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Info returns the INIT response of the current channel.
func (c *Conn) Info() DeviceInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.info
}

// Close closes the underlying device.
func (c *Conn) Close() error { return c.dev.Close() }

// init sends INIT on the broadcast channel and waits for the response that echoes our nonce; responses with
// other nonces belong to other processes sharing the device and are skipped (§5.3).
func (c *Conn) init(ctx context.Context) error {
	var nonce [8]byte
	if _, err := io.ReadFull(c.opts.Rand, nonce[:]); err != nil {
		return fmt.Errorf("ctaphid: INIT nonce: %w", err)
	}
	if err := c.send(ctx, BroadcastCID, CmdInit, nonce[:]); err != nil {
		return err
	}
	for {
		p, err := c.readPacket(ctx, BroadcastCID)
		if err != nil {
			if errors.Is(err, ErrTimeout) {
				return fmt.Errorf("%w (%w)", ErrInitNonceNeverMatched, err)
			}
			return fmt.Errorf("ctaphid: INIT: %w", err)
		}
		if !p.Init {
			continue // a continuation of another process's broadcast message
		}
		switch p.Cmd {
		case CmdError:
			return fmt.Errorf("ctaphid: INIT: %w", ErrorCode(p.Data[0]))
		case CmdInit:
		default:
			continue
		}
		// | nonce[8] | CID[4] | version | major | minor | build | capabilities |  (§5.3)
		if p.Length < 17 || int(p.Length) > initDataSize {
			return fmt.Errorf("%w: INIT response of %d bytes", ErrMalformedResponse, p.Length)
		}
		d := p.Data
		if [8]byte(d[0:8]) != nonce {
			continue
		}
		info := DeviceInfo{CID: ChannelID(d[8:12]), ProtocolVersion: d[12], Major: d[13], Minor: d[14],
			Build: d[15], Capabilities: Capabilities(d[16])}
		if info.CID == BroadcastCID || info.CID == (ChannelID{}) {
			return fmt.Errorf("%w: INIT allocated reserved channel %s", ErrMalformedResponse, info.CID)
		}
		c.info = info
		c.resync = false
		return nil
	}
}

// send writes all packets of one message back to back (§5.5).
func (c *Conn) send(ctx context.Context, cid ChannelID, cmd Command, payload []byte) error {
	packets, err := EncodeMessage(cid, cmd, payload)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, p := range packets { // back to back: a half-sent message would leave the channel mid-transaction
		if err := c.dev.Write(p); err != nil {
			c.gone = true
			return fmt.Errorf("%w: write: %w", ErrDeviceGone, err)
		}
	}
	return nil
}

// readPacket reads and parses the next report for channel cid, skipping (unparsed) reports of other channels,
// which every reader of the device sees (§5.6). It allows ResponseTimeout of silence on cid: traffic of other
// channels does not keep a transaction alive. It returns ctx's error when ctx ends, ErrTimeout when cid was
// silent too long and ErrDeviceGone when the device failed.
func (c *Conn) readPacket(ctx context.Context, cid ChannelID) (Packet, error) {
	rctx, cancel := context.WithTimeout(ctx, c.opts.ResponseTimeout)
	defer cancel()
	for {
		report, err := c.dev.Read(rctx)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return Packet{}, ctx.Err()
			case rctx.Err() != nil:
				return Packet{}, fmt.Errorf("%w (%s of silence)", ErrTimeout, c.opts.ResponseTimeout)
			}
			c.gone = true
			return Packet{}, fmt.Errorf("%w: %w", ErrDeviceGone, err)
		}
		if len(report) >= 4 && ChannelID(report[0:4]) != cid {
			continue
		}
		p, err := ParsePacket(report)
		if err != nil {
			return Packet{}, fmt.Errorf("%w: %w", ErrMalformedResponse, err)
		}
		return p, nil
	}
}

// Transact sends one request on the channel and returns the response payload. onKeepalive (may be nil) sees every
// KEEPALIVE status while the key works; UPNEEDED means "touch the key". A CHANNEL_BUSY error is retried after
// BusyRetryDelay until ctx ends. When ctx is cancelled during a CBOR request, CTAPHID_CANCEL is sent (§5.4) and
// the error wraps ctx.Err(). A device ERROR response is returned as an ErrorCode; a removed key as ErrDeviceGone.
func (c *Conn) Transact(ctx context.Context, cmd Command, payload []byte, onKeepalive func(KeepaliveStatus)) ([]byte, error) {
	switch cmd {
	case CmdInit, CmdCancel, CmdKeepalive, CmdError:
		return nil, fmt.Errorf("ctaphid: %s is not a request command", cmd)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone {
		return nil, ErrDeviceGone
	}
	for {
		if c.resync {
			if err := c.init(ctx); err != nil {
				return nil, err
			}
		}
		resp, err := c.transactOnce(ctx, cmd, payload, onKeepalive)
		if errors.Is(err, ErrChannelBusy) {
			select {
			case <-time.After(c.opts.BusyRetryDelay):
				continue
			case <-ctx.Done():
				return nil, fmt.Errorf("ctaphid: waiting for a busy key: %w", ctx.Err())
			}
		}
		return resp, err
	}
}

func (c *Conn) transactOnce(ctx context.Context, cmd Command, payload []byte, onKeepalive func(KeepaliveStatus)) ([]byte, error) {
	cid := c.info.CID
	if err := c.send(ctx, cid, cmd, payload); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ctaphid: %s: %w", cmd, ctx.Err())
		}
		return nil, err
	}
	var asm *Assembler
	for {
		p, err := c.readPacket(ctx, cid)
		if err != nil {
			if ctx.Err() != nil {
				c.cancel(cmd)
				return nil, fmt.Errorf("ctaphid: %s cancelled: %w", cmd, ctx.Err())
			}
			if !c.gone {
				c.resync = true
			}
			return nil, fmt.Errorf("ctaphid: %s: %w", cmd, err)
		}
		done, resp, err := step(&asm, p, cmd, onKeepalive)
		if err != nil {
			var code ErrorCode
			if !errors.As(err, &code) {
				c.resync = true
			}
			return nil, fmt.Errorf("ctaphid: %s: %w", cmd, err)
		}
		if done {
			return resp, nil
		}
	}
}

// step feeds one packet of our channel into the response state machine.
func step(asm **Assembler, p Packet, cmd Command, onKeepalive func(KeepaliveStatus)) (done bool, resp []byte, err error) {
	if *asm != nil {
		if err := (*asm).Add(p); err != nil {
			return false, nil, err
		}
		return (*asm).Done(), (*asm).Payload(), nil
	}
	if !p.Init {
		return false, nil, fmt.Errorf("%w (seq %d)", ErrSpuriousContinuation, p.Seq)
	}
	switch p.Cmd {
	case CmdKeepalive:
		if p.Length < 1 {
			return false, nil, fmt.Errorf("%w: empty KEEPALIVE", ErrMalformedResponse)
		}
		if onKeepalive != nil {
			onKeepalive(KeepaliveStatus(p.Data[0]))
		}
		return false, nil, nil
	case CmdError:
		if p.Length < 1 {
			return false, nil, fmt.Errorf("%w: empty ERROR", ErrMalformedResponse)
		}
		return false, nil, ErrorCode(p.Data[0])
	case cmd:
		a, err := NewAssembler(p)
		if err != nil {
			return false, nil, err
		}
		*asm = a
		return a.Done(), a.Payload(), nil
	}
	return false, nil, fmt.Errorf("%w: sent %s, got %s", ErrUnexpectedCommand, cmd, p.Cmd)
}

// cancel sends CTAPHID_CANCEL for the pending request and waits up to CancelGrace for the key's final answer
// (for CTAP2, status KEEPALIVE_CANCEL). If it does not come, the channel is re-initialised before the next
// transaction so that a late answer cannot be taken for the next request's response.
func (c *Conn) cancel(cmd Command) {
	ctx, stop := context.WithTimeout(context.Background(), c.opts.CancelGrace)
	defer stop()
	cid := c.info.CID
	if err := c.send(ctx, cid, CmdCancel, nil); err != nil {
		c.resync = true
		return
	}
	var asm *Assembler
	for {
		p, err := c.readPacket(ctx, cid)
		if err != nil {
			c.resync = true
			return
		}
		done, _, err := step(&asm, p, cmd, nil)
		if err != nil {
			var code ErrorCode
			if !errors.As(err, &code) {
				c.resync = true
			}
			return
		}
		if done {
			return
		}
	}
}

// Ping sends data and checks that the key echoes it (CTAPHID_PING).
func (c *Conn) Ping(ctx context.Context, data []byte) error {
	resp, err := c.Transact(ctx, CmdPing, data, nil)
	if err != nil {
		return err
	}
	if string(resp) != string(data) {
		return fmt.Errorf("%w: PING echo differs", ErrMalformedResponse)
	}
	return nil
}

// Wink asks the key to identify itself visually; only if it advertises CapWink.
func (c *Conn) Wink(ctx context.Context) error {
	if !c.Info().Capabilities.Has(CapWink) {
		return fmt.Errorf("ctaphid: key does not support WINK")
	}
	_, err := c.Transact(ctx, CmdWink, nil, nil)
	return err
}
