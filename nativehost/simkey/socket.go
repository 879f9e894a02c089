package simkey

import (
	"context"
	"sync"
)

// socket is the USB port a simulated key sits in: plugged in or not, at most one open handle at a time (like
// libfido2's exclusive flock on a hidraw node), and the queue of answer packets for that handle. Both simulated
// keys embed one; make it with newSocket.
type socket struct {
	out       chan []byte   // answer packets, read by the open handle
	unplugged chan struct{} // closed when the key is removed
	unplugOne sync.Once

	openMu sync.Mutex
	open   bool
}

func newSocket() socket {
	return socket{out: make(chan []byte, 1024), unplugged: make(chan struct{})}
}

// Unplug simulates removing the key: open handles fail and Open refuses.
func (s *socket) Unplug() { s.unplugOne.Do(func() { close(s.unplugged) }) }

// Plugged reports whether the key is still attached.
func (s *socket) Plugged() bool {
	select {
	case <-s.unplugged:
		return false
	default:
		return true
	}
}

// acquire claims the one handle, dropping answers nobody read (e.g. keepalives racing a finished request).
func (s *socket) acquire() error {
	if !s.Plugged() {
		return ErrUnplugged
	}
	s.openMu.Lock()
	defer s.openMu.Unlock()
	if s.open {
		return ErrInUse
	}
	s.open = true
	for len(s.out) > 0 {
		<-s.out
	}
	return nil
}

// release gives the handle back.
func (s *socket) release() {
	s.openMu.Lock()
	s.open = false
	s.openMu.Unlock()
}

// read waits for the next answer packet, the key's removal or ctx.
func (s *socket) read(ctx context.Context) ([]byte, error) {
	if !s.Plugged() {
		return nil, ErrUnplugged
	}
	select {
	case p := <-s.out:
		return p, nil
	case <-s.unplugged:
		return nil, ErrUnplugged
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// send queues an answer packet; when nobody reads and the queue is full it is dropped, like a full HID queue.
func (s *socket) send(p []byte) {
	select {
	case s.out <- p:
	default:
	}
}

// handle is what every open handle on a socket shares: once closed, Read and Write fail with ErrClosed.
type handle struct {
	sock   *socket
	mu     sync.Mutex // guards closed and the embedding device's own state
	closed bool
}

// usable says why h cannot take a report now (closed, or the key removed). Caller holds h.mu.
func (h *handle) usable() error {
	if h.closed {
		return ErrClosed
	}
	if !h.sock.Plugged() {
		return ErrUnplugged
	}
	return nil
}

// read waits for the next answer packet on an open handle.
func (h *handle) read(ctx context.Context) ([]byte, error) {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	return h.sock.read(ctx)
}

// closeLocked closes h and gives the socket back; it is false if h was closed already. Caller holds h.mu.
func (h *handle) closeLocked() bool {
	if h.closed {
		return false
	}
	h.closed = true
	h.sock.release()
	return true
}
