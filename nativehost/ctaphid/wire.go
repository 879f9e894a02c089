// Package ctaphid is the client side of the FIDO CTAPHID transport (CTAP 2.1 §11.2): it frames
// messages into 64-byte HID reports, allocates a channel with INIT, and runs one transaction at a time with strict
// checks (channel, command, sequence numbers, lengths), BUSY retry, KEEPALIVE progress, CANCEL on context
// cancellation and typed device ERROR codes.
//
// The package knows nothing of USB: it talks to a Device, a pipe of 64-byte reports. The HID layer
// (nativehost/hid) strips and adds the report-ID byte; tests use an in-memory fake.
package ctaphid

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ReportSize is the size of one HID report, hence of one CTAPHID packet, for FIDO devices (CTAP 2.1 §11.2.4).
const ReportSize = 64

const (
	initHeaderSize = 7 // CID[4] CMD[1] BCNTH[1] BCNTL[1]
	contHeaderSize = 5 // CID[4] SEQ[1]
	initDataSize   = ReportSize - initHeaderSize
	contDataSize   = ReportSize - contHeaderSize
	maxSeq         = 0x7F

	// MaxPayload is the largest message CTAPHID can carry with 64-byte reports: 57 + 128*59 (CTAP 2.1 §11.2.4).
	MaxPayload = initDataSize + (maxSeq+1)*contDataSize
)

// ChannelID is an opaque 4-byte channel identifier, echoed as received (CTAP 2.1 §11.2.4).
type ChannelID [4]byte

// BroadcastCID is the channel on which INIT is sent before a channel is allocated (CTAP 2.1 §11.2.9.1.3).
var BroadcastCID = ChannelID{0xFF, 0xFF, 0xFF, 0xFF}

func (c ChannelID) String() string { return fmt.Sprintf("%08x", c[:]) }

// Command is a CTAPHID command as it appears on the wire, bit 7 set (CTAP 2.1 §11.2.4).
type Command byte

// CTAPHID commands (CTAP 2.1 §11.2.9).
const (
	CmdPing      Command = 0x81
	CmdMsg       Command = 0x83 // U2F APDU
	CmdLock      Command = 0x84
	CmdInit      Command = 0x86
	CmdWink      Command = 0x88
	CmdCBOR      Command = 0x90 // CTAP2 command byte || CBOR
	CmdCancel    Command = 0x91 // no response
	CmdKeepalive Command = 0xBB // authenticator to host only
	CmdError     Command = 0xBF // authenticator to host only
)

func (c Command) String() string {
	switch c {
	case CmdPing:
		return "PING"
	case CmdMsg:
		return "MSG"
	case CmdLock:
		return "LOCK"
	case CmdInit:
		return "INIT"
	case CmdWink:
		return "WINK"
	case CmdCBOR:
		return "CBOR"
	case CmdCancel:
		return "CANCEL"
	case CmdKeepalive:
		return "KEEPALIVE"
	case CmdError:
		return "ERROR"
	}
	if c >= 0xC0 {
		return fmt.Sprintf("VENDOR(0x%02x)", byte(c))
	}
	return fmt.Sprintf("Command(0x%02x)", byte(c))
}

// ErrorCode is the one-byte payload of a CTAPHID_ERROR response (CTAP 2.1 §11.2.9.1.6). It is an error value.
type ErrorCode byte

// CTAPHID error codes (CTAP 2.1 §11.2.9.1.6).
const (
	ErrInvalidCmd     ErrorCode = 0x01
	ErrInvalidPar     ErrorCode = 0x02
	ErrInvalidLen     ErrorCode = 0x03
	ErrInvalidSeq     ErrorCode = 0x04
	ErrMsgTimeout     ErrorCode = 0x05
	ErrChannelBusy    ErrorCode = 0x06
	ErrLockRequired   ErrorCode = 0x0A
	ErrInvalidChannel ErrorCode = 0x0B
	ErrOther          ErrorCode = 0x7F
)

func (e ErrorCode) String() string {
	switch e {
	case ErrInvalidCmd:
		return "INVALID_CMD"
	case ErrInvalidPar:
		return "INVALID_PAR"
	case ErrInvalidLen:
		return "INVALID_LEN"
	case ErrInvalidSeq:
		return "INVALID_SEQ"
	case ErrMsgTimeout:
		return "MSG_TIMEOUT"
	case ErrChannelBusy:
		return "CHANNEL_BUSY"
	case ErrLockRequired:
		return "LOCK_REQUIRED"
	case ErrInvalidChannel:
		return "INVALID_CHANNEL"
	case ErrOther:
		return "OTHER"
	}
	return fmt.Sprintf("ErrorCode(0x%02x)", byte(e))
}

func (e ErrorCode) Error() string {
	return fmt.Sprintf("ctaphid: device error %s (0x%02x)", e.String(), byte(e))
}

// KeepaliveStatus is the one-byte payload of a CTAPHID_KEEPALIVE packet (CTAP 2.1 §11.2.9).
type KeepaliveStatus byte

// Keepalive statuses (CTAP 2.1 §11.2.9.2.1).
const (
	StatusProcessing KeepaliveStatus = 0x01
	StatusUPNeeded   KeepaliveStatus = 0x02 // the user must touch the key
)

func (s KeepaliveStatus) String() string {
	switch s {
	case StatusProcessing:
		return "PROCESSING"
	case StatusUPNeeded:
		return "UPNEEDED"
	}
	return fmt.Sprintf("KeepaliveStatus(0x%02x)", byte(s))
}

// Capabilities are the capability flags of the INIT response (CTAP 2.1 §11.2.9.1.3).
type Capabilities byte

// Capability flags.
const (
	CapWink Capabilities = 0x01
	CapLock Capabilities = 0x02
	CapCBOR Capabilities = 0x04 // CTAP2 supported
	CapNMSG Capabilities = 0x08 // CTAPHID_MSG (U2F) NOT supported
)

// Has reports whether all flags in f are set.
func (c Capabilities) Has(f Capabilities) bool { return c&f == f }

// Framing errors. A transaction that hits one of these is abandoned; the Conn re-synchronises (re-INIT) before
// its next transaction.
var (
	ErrBadReportSize         = errors.New("ctaphid: report is not 64 bytes")
	ErrPayloadTooLarge       = errors.New("ctaphid: payload larger than 7609 bytes")
	ErrUnexpectedSeq         = errors.New("ctaphid: unexpected continuation sequence number")
	ErrSpuriousContinuation  = errors.New("ctaphid: continuation packet without an initialization packet")
	ErrUnexpectedInit        = errors.New("ctaphid: initialization packet in the middle of a message")
	ErrUnexpectedCommand     = errors.New("ctaphid: response command does not match the request")
	ErrMalformedResponse     = errors.New("ctaphid: malformed response")
	ErrDeviceGone            = errors.New("ctaphid: the security key was removed or stopped answering")
	ErrTimeout               = errors.New("ctaphid: the security key did not answer in time")
	ErrBroadcastNotAllowed   = errors.New("ctaphid: the broadcast channel is reserved for INIT")
	ErrInitNonceNeverMatched = errors.New("ctaphid: no INIT response carried our nonce")
)

// Packet is one parsed CTAPHID packet. For an initialization packet Init is true and Cmd and Length are set; for
// a continuation packet Seq is set. Data is the packet's payload area (57 or 59 bytes, including padding).
type Packet struct {
	CID    ChannelID
	Init   bool
	Cmd    Command
	Length uint16 // total message payload length, init packets only
	Seq    byte   // continuation packets only
	Data   []byte
}

// ParsePacket parses one 64-byte report (CTAP 2.1 §11.2.4):
//
//	init:         | CID[4] | CMD[1] (bit7=1) | BCNTH | BCNTL | data[57] |
//	continuation: | CID[4] | SEQ[1] (bit7=0) | data[59] |
//
// It fails on a report of the wrong size, an init packet declaring more than MaxPayload, or a continuation
// packet with SEQ > 0x7F (impossible by construction). The returned Data aliases report.
func ParsePacket(report []byte) (Packet, error) {
	if len(report) != ReportSize {
		return Packet{}, fmt.Errorf("%w: got %d", ErrBadReportSize, len(report))
	}
	var p Packet
	copy(p.CID[:], report[0:4])
	if report[4]&0x80 != 0 {
		p.Init = true
		p.Cmd = Command(report[4])
		p.Length = binary.BigEndian.Uint16(report[5:7])
		if int(p.Length) > MaxPayload {
			return Packet{}, fmt.Errorf("%w: declared %d", ErrPayloadTooLarge, p.Length)
		}
		p.Data = report[initHeaderSize:]
		return p, nil
	}
	p.Seq = report[4]
	p.Data = report[contHeaderSize:]
	return p, nil
}

// EncodeMessage splits payload into zero-padded 64-byte packets for channel cid (CTAP 2.1 §11.2.4). An empty payload
// gives one init packet with length 0.
func EncodeMessage(cid ChannelID, cmd Command, payload []byte) ([][]byte, error) {
	if cmd&0x80 == 0 {
		return nil, fmt.Errorf("ctaphid: command 0x%02x lacks bit 7", byte(cmd))
	}
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("%w: %d", ErrPayloadTooLarge, len(payload))
	}
	first := make([]byte, ReportSize)
	copy(first, cid[:])
	first[4] = byte(cmd)
	binary.BigEndian.PutUint16(first[5:7], uint16(len(payload)))
	n := copy(first[initHeaderSize:], payload)
	packets := [][]byte{first}
	rest := payload[n:]
	for seq := byte(0); len(rest) > 0; seq++ {
		p := make([]byte, ReportSize)
		copy(p, cid[:])
		p[4] = seq
		n := copy(p[contHeaderSize:], rest)
		rest = rest[n:]
		packets = append(packets, p)
	}
	return packets, nil
}

// Assembler reassembles one message on one channel from its packets. The zero value is not usable; use
// NewAssembler with the init packet.
type Assembler struct {
	cid     ChannelID
	cmd     Command
	want    int
	buf     []byte
	nextSeq byte
}

// NewAssembler starts a message from its initialization packet. Done reports whether the message is complete.
func NewAssembler(first Packet) (*Assembler, error) {
	if !first.Init {
		return nil, ErrSpuriousContinuation
	}
	a := &Assembler{cid: first.CID, cmd: first.Cmd, want: int(first.Length), buf: make([]byte, 0, int(first.Length))}
	a.take(first.Data)
	return a, nil
}

func (a *Assembler) take(data []byte) {
	n := min(a.want-len(a.buf), len(data))
	a.buf = append(a.buf, data[:n]...)
}

// Add appends a continuation packet of the same channel. A packet with the wrong sequence number or an init
// packet is an error (CTAP 2.1 §11.2.4: sequence numbers start at 0 and increase by one).
func (a *Assembler) Add(p Packet) error {
	if a.Done() {
		return ErrSpuriousContinuation
	}
	if p.Init {
		return fmt.Errorf("%w: %s", ErrUnexpectedInit, p.Cmd)
	}
	if p.Seq != a.nextSeq {
		return fmt.Errorf("%w: got %d, want %d", ErrUnexpectedSeq, p.Seq, a.nextSeq)
	}
	a.nextSeq++
	a.take(p.Data)
	return nil
}

// Done reports whether all declared payload bytes have arrived.
func (a *Assembler) Done() bool { return len(a.buf) == a.want }

// Command is the message's command.
func (a *Assembler) Command() Command { return a.cmd }

// Payload returns the complete payload; only meaningful once Done.
func (a *Assembler) Payload() []byte { return a.buf }
