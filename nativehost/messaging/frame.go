// Package messaging is Chrome native messaging for the Twinkey host (Chrome for Developers, Native messaging): frames
// of a 4-byte native-order length followed by UTF-8 JSON, and a long-lived port protocol on top (request IDs,
// concurrent requests, cancellation, progress events, questions to the browser such as the PIN). The message formats
// are documented with one example each in nativehost/PROTOCOL.md.
//
// The host never crashes or hangs on what it reads: a malformed, oversized or unknown message gets an error
// reply and the port carries on; only a broken stream (EOF, truncated frame) ends it.
package messaging

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxOutgoing is Chrome's limit for one host→browser message; a larger one makes Chrome drop the port (Chrome for
// Developers, Native messaging).
const MaxOutgoing = 1 << 20

// DefaultMaxIncoming bounds one browser→host message: 1 MiB less 1 KiB, so that any reply the port makes up
// itself (an error echoing the request's id) fits in MaxOutgoing. Chrome allows up to 4 GiB; nothing Twinkey
// sends comes near 1 MiB, so a larger frame is a bug: it is skipped (read and discarded, so the stream stays in
// sync) and answered with an error.
const DefaultMaxIncoming = MaxOutgoing - 1024

// Frame errors.
var (
	// ErrFrameTooLarge: an incoming frame exceeded the limit; its body was discarded and the stream is in sync.
	ErrFrameTooLarge = errors.New("messaging: incoming message too large")
	// ErrOutgoingTooLarge: a reply would exceed MaxOutgoing; it was not written.
	ErrOutgoingTooLarge = errors.New("messaging: outgoing message larger than 1 MiB")
	// ErrTruncatedFrame: the stream ended inside a frame.
	ErrTruncatedFrame = errors.New("messaging: stream ended inside a frame")
)

// ReadFrame reads one frame:
//
//	| length uint32, native byte order | length bytes of UTF-8 JSON |
//
// It returns io.EOF at a clean end of stream (between frames), ErrTruncatedFrame inside one, and
// ErrFrameTooLarge (after discarding the body) when length > limit.
func ReadFrame(r io.Reader, limit int) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrTruncatedFrame
		}
		return nil, err
	}
	n := binary.NativeEndian.Uint32(hdr[:])
	if uint64(n) > uint64(limit) {
		if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
			return nil, ErrTruncatedFrame
		}
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrFrameTooLarge, n, limit)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, ErrTruncatedFrame
	}
	return body, nil
}

// WriteFrame writes one frame in a single Write call. Messages over MaxOutgoing are refused.
func WriteFrame(w io.Writer, msg []byte) error {
	if len(msg) > MaxOutgoing {
		return fmt.Errorf("%w: %d bytes", ErrOutgoingTooLarge, len(msg))
	}
	buf := make([]byte, 4, 4+len(msg))
	binary.NativeEndian.PutUint32(buf, uint32(len(msg)))
	_, err := w.Write(append(buf, msg...))
	return err
}
