package messaging

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// Request is one message from the extension. ID is chosen by the extension and unique among its in-flight
// requests; every request gets exactly one final reply ("result" or "error") with the same ID, possibly
// preceded by "progress" replies.
type Request struct {
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	Params json.RawMessage `json:"params,omitempty"`
}

// Reply types.
const (
	ReplyResult   = "result"
	ReplyError    = "error"
	ReplyProgress = "progress"
)

// Reply is one message to the extension.
type Reply struct {
	ID       string    `json:"id"` // "" when the request could not be read far enough to know its ID
	Type     string    `json:"type"`
	Result   any       `json:"result,omitempty"`
	Error    *Error    `json:"error,omitempty"`
	Progress *Progress `json:"progress,omitempty"`
}

// Code is a machine-readable error code (the extension maps each to a DOMException / U2F error code in one
// function).
type Code string

// Error codes of the port itself; the host adds the ceremony outcomes (see nativehost/PROTOCOL.md).
const (
	CodeBadRequest    Code = "bad-request"    // not JSON, missing id/type, bad params
	CodeTooLarge      Code = "too-large"      // incoming frame over the limit, or reply over 1 MiB
	CodeUnknownType   Code = "unknown-type"   // no such message type
	CodeDuplicateID   Code = "duplicate-id"   // an in-flight request already has this id
	CodeUnknownTarget Code = "unknown-target" // cancel/pin for a request that is not in flight or not waiting
	CodeBusy          Code = "busy"           // too many requests in flight
	CodeInternal      Code = "internal"       // a bug in the host; details in its stderr log
)

// Error is the error member of an error reply. It is also a Go error, so handlers can return one directly.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Progress is the progress member of a progress reply. Event names are listed in nativehost/PROTOCOL.md.
type Progress struct {
	Event    string    `json:"event"`
	Retries  *int      `json:"retries,omitempty"`
	Accounts []Account `json:"accounts,omitempty"` // "choose-account"
}

// Account is one choice of a "choose-account" question: a discoverable credential's user.
type Account struct {
	UserID      string `json:"userId"` // base64url, unpadded
	Name        string `json:"name,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// Answer message types: the extension's replies to questions asked with Call.Ask.
const (
	AnswerPIN     = "pin"    // {"target", "pin"}
	AnswerAccount = "choose" // {"target", "index"}
)

// HandlerFunc serves one request type. ctx is cancelled by a "cancel" message for this request or when the port
// closes. The returned value becomes the result; an error is mapped with Options.MapError.
type HandlerFunc func(ctx context.Context, params json.RawMessage, call *Call) (any, error)

// Options configure a Port.
type Options struct {
	MaxIncoming int                // DefaultMaxIncoming if 0
	MaxInFlight int                // 8 if 0
	MapError    func(error) *Error // nil: *Error values pass through, anything else is CodeInternal
	Log         io.Writer          // diagnostics (never secrets); io.Discard if nil
}

// Port serves one native messaging connection.
type Port struct {
	in       io.Reader
	out      io.Writer
	handlers map[string]HandlerFunc
	opts     Options

	wmu sync.Mutex // one frame at a time on out

	mu       sync.Mutex
	inflight map[string]*Call
	wg       sync.WaitGroup
}

// NewPort returns a port reading requests from in and writing replies to out. The types "cancel" and "pin" are
// built in and cannot be overridden.
func NewPort(in io.Reader, out io.Writer, handlers map[string]HandlerFunc, opts Options) *Port {
	if opts.MaxIncoming <= 0 {
		opts.MaxIncoming = DefaultMaxIncoming
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 8
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	return &Port{in: in, out: out, handlers: handlers, opts: opts, inflight: map[string]*Call{}}
}

// Call is an in-flight request as seen by its handler.
type Call struct {
	ID      string
	port    *Port
	cancel  context.CancelFunc
	answers chan json.RawMessage // answer params for this call, while it waits in Ask
	waiting string               // the answer type Ask waits for, "" if none; guarded by port.mu
}

// Progress sends a progress reply for this request.
func (c *Call) Progress(p Progress) {
	c.port.send(Reply{ID: c.ID, Type: ReplyProgress, Progress: &p})
}

// Ask sends a progress reply that asks the extension a question (e.g. event "pin-needed") and waits for the
// answer message of type answer (AnswerPIN, AnswerAccount) naming this request; it returns that message's
// params. Only one question may be open per request.
func (c *Call) Ask(ctx context.Context, p Progress, answer string) (json.RawMessage, error) {
	c.port.mu.Lock()
	c.waiting = answer
	c.port.mu.Unlock()
	defer func() {
		c.port.mu.Lock()
		c.waiting = ""
		c.port.mu.Unlock()
	}()
	c.Progress(p)
	select {
	case a := <-c.answers:
		return a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Serve reads requests until the stream ends, then cancels the requests still in flight, waits for their
// handlers and returns. A clean EOF returns nil (Chrome closed the port); a truncated frame or read error is
// returned.
func (p *Port) Serve(ctx context.Context) error {
	ctx, cancelAll := context.WithCancel(ctx)
	defer func() {
		cancelAll()
		p.wg.Wait()
	}()
	for {
		frame, err := ReadFrame(p.in, p.opts.MaxIncoming)
		switch {
		case errors.Is(err, ErrFrameTooLarge):
			fmt.Fprintf(p.opts.Log, "twinkey-host: %v\n", err)
			p.send(errorReply("", &Error{Code: CodeTooLarge, Message: err.Error()}))
			continue
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
		p.dispatch(ctx, frame)
	}
}

func errorReply(id string, e *Error) Reply { return Reply{ID: id, Type: ReplyError, Error: e} }

func (p *Port) dispatch(ctx context.Context, frame []byte) {
	if !utf8.Valid(frame) {
		p.send(errorReply("", &Error{Code: CodeBadRequest, Message: "message is not UTF-8"}))
		return
	}
	var req Request
	if err := json.Unmarshal(frame, &req); err != nil {
		p.send(errorReply("", &Error{Code: CodeBadRequest, Message: "message is not a JSON request object"}))
		return
	}
	if req.ID == "" || req.Type == "" {
		p.send(errorReply(req.ID, &Error{Code: CodeBadRequest, Message: "id and type are required"}))
		return
	}
	switch req.Type {
	case "cancel":
		p.handleCancel(req)
		return
	case AnswerPIN, AnswerAccount:
		p.handleAnswer(req)
		return
	}
	h, ok := p.handlers[req.Type]
	if !ok {
		p.send(errorReply(req.ID, &Error{Code: CodeUnknownType, Message: fmt.Sprintf("unknown message type %q", req.Type)}))
		return
	}
	p.mu.Lock()
	if _, dup := p.inflight[req.ID]; dup {
		p.mu.Unlock()
		p.send(errorReply(req.ID, &Error{Code: CodeDuplicateID, Message: "a request with this id is in flight"}))
		return
	}
	if len(p.inflight) >= p.opts.MaxInFlight {
		p.mu.Unlock()
		p.send(errorReply(req.ID, &Error{Code: CodeBusy, Message: "too many requests in flight"}))
		return
	}
	cctx, cancel := context.WithCancel(ctx)
	call := &Call{ID: req.ID, port: p, cancel: cancel, answers: make(chan json.RawMessage, 1)}
	p.inflight[req.ID] = call
	p.wg.Add(1)
	p.mu.Unlock()
	go p.run(cctx, h, req, call)
}

func (p *Port) run(ctx context.Context, h HandlerFunc, req Request, call *Call) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.inflight, req.ID)
		p.mu.Unlock()
		call.cancel()
	}()
	var (
		result any
		err    error
	)
	func() {
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintf(p.opts.Log, "twinkey-host: handler %s panicked: %v\n", req.Type, r)
				err = &Error{Code: CodeInternal, Message: "internal error"}
			}
		}()
		result, err = h(ctx, req.Params, call)
	}()
	if err != nil {
		p.send(errorReply(req.ID, p.mapError(err)))
		return
	}
	if result == nil {
		result = struct{}{}
	}
	p.send(Reply{ID: req.ID, Type: ReplyResult, Result: result})
}

func (p *Port) mapError(err error) *Error {
	if p.opts.MapError != nil {
		if e := p.opts.MapError(err); e != nil {
			return e
		}
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	fmt.Fprintf(p.opts.Log, "twinkey-host: unmapped error: %v\n", err)
	return &Error{Code: CodeInternal, Message: "internal error"}
}

type targetParams struct {
	Target string `json:"target"`
}

func (p *Port) handleCancel(req Request) {
	var tp targetParams
	if err := json.Unmarshal(req.Params, &tp); err != nil || tp.Target == "" {
		p.send(errorReply(req.ID, &Error{Code: CodeBadRequest, Message: "cancel needs params.target"}))
		return
	}
	p.mu.Lock()
	call := p.inflight[tp.Target]
	p.mu.Unlock()
	if call == nil {
		p.send(errorReply(req.ID, &Error{Code: CodeUnknownTarget, Message: "no such request in flight"}))
		return
	}
	call.cancel()
	p.send(Reply{ID: req.ID, Type: ReplyResult, Result: struct{}{}})
}

// handleAnswer delivers an answer message to the request waiting in Ask for that type. Its params (a PIN) are
// never logged.
func (p *Port) handleAnswer(req Request) {
	var tp targetParams
	if err := json.Unmarshal(req.Params, &tp); err != nil || tp.Target == "" {
		p.send(errorReply(req.ID, &Error{Code: CodeBadRequest, Message: req.Type + " needs params.target"}))
		return
	}
	p.mu.Lock()
	call := p.inflight[tp.Target]
	delivered := false
	if call != nil && call.waiting == req.Type {
		select {
		case call.answers <- req.Params:
			delivered = true
		default:
		}
	}
	p.mu.Unlock()
	if !delivered {
		p.send(errorReply(req.ID, &Error{Code: CodeUnknownTarget, Message: "that request is not waiting for a " + req.Type + " message"}))
		return
	}
	p.send(Reply{ID: req.ID, Type: ReplyResult, Result: struct{}{}})
}

// send writes one reply. A reply that cannot be encoded or exceeds MaxOutgoing is replaced by an error reply.
// Write errors (the browser went away) are logged; Serve notices the closed stream on its side.
func (p *Port) send(r Reply) {
	msg, err := json.Marshal(r)
	if err == nil && len(msg) > MaxOutgoing {
		err = ErrOutgoingTooLarge
	}
	if err != nil {
		fmt.Fprintf(p.opts.Log, "twinkey-host: reply to %q not sent: %v\n", r.ID, err)
		code := CodeInternal
		if errors.Is(err, ErrOutgoingTooLarge) {
			code = CodeTooLarge
		}
		msg, _ = json.Marshal(errorReply(r.ID, &Error{Code: code, Message: "reply could not be sent: " + err.Error()}))
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if err := WriteFrame(p.out, msg); err != nil {
		fmt.Fprintf(p.opts.Log, "twinkey-host: write: %v\n", err)
	}
}
