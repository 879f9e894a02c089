package messaging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"unicode/utf8"
)

// Request is one message from the extension. ID is chosen by the extension and unique among its in-flight
// requests; every request gets exactly one final reply ("result" or "error") with the same ID, possibly
// preceded by "progress" replies. The reply carries the id exactly as the request spelled it (the same JSON
// bytes), so that the extension can match it whatever escapes it used.
type Request struct {
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	Params json.RawMessage `json:"params,omitempty"`
}

// MaxIDLength bounds a request id as sent: the JSON string token, quotes and escapes included. A longer id, or
// one holding a lone UTF-16 surrogate escape (which decodes to U+FFFD and could never be matched again), is
// refused with bad-request; the refusal still carries the id byte for byte.
const MaxIDLength = 256

// envelope is a request as read from the wire; id stays raw so that replies echo it byte for byte.
type envelope struct {
	ID     json.RawMessage `json:"id"`
	Type   string          `json:"type"`
	Params json.RawMessage `json:"params"`
}

// Reply types.
const (
	ReplyResult   = "result"
	ReplyError    = "error"
	ReplyProgress = "progress"
)

// Reply is one message to the extension, as the extension decodes it.
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

// wireReply is a Reply as written: the id is the request's raw id token.
type wireReply struct {
	ID       json.RawMessage `json:"id"`
	Type     string          `json:"type"`
	Result   any             `json:"result,omitempty"`
	Error    *Error          `json:"error,omitempty"`
	Progress *Progress       `json:"progress,omitempty"`
}

// noID is the id of a reply to a message whose id could not be read.
var noID = json.RawMessage(`""`)

// HandlerFunc serves one request type. ctx is cancelled by a "cancel" message for this request or when the port
// closes. The returned value becomes the result; an error is mapped with Options.MapError.
type HandlerFunc func(ctx context.Context, params json.RawMessage, call *Call) (any, error)

// Options configure a Port.
type Options struct {
	MaxIncoming int // DefaultMaxIncoming if 0 or above it
	MaxInFlight int // 8 if 0
	// Inline lists request types answered at once by the reading loop, without taking an in-flight slot (so
	// they are never busy). Their handlers must return immediately: they get a context but no Call to ask on.
	Inline   []string
	MapError func(error) *Error // nil: *Error values pass through, anything else is CodeInternal
	Log      io.Writer          // diagnostics (never secrets); io.Discard if nil
}

// Port serves one native messaging connection.
type Port struct {
	in       io.Reader
	out      io.Writer
	handlers map[string]HandlerFunc
	opts     Options

	wmu       sync.Mutex    // one frame at a time on out
	broken    chan struct{} // closed when a write to out failed: the browser end is gone
	breakOnce sync.Once

	mu       sync.Mutex
	inflight map[string]*Call
	wg       sync.WaitGroup
}

// NewPort returns a port reading requests from in and writing replies to out. The types "cancel" and "pin" are
// built in and cannot be overridden.
func NewPort(in io.Reader, out io.Writer, handlers map[string]HandlerFunc, opts Options) *Port {
	if opts.MaxIncoming <= 0 || opts.MaxIncoming > DefaultMaxIncoming {
		opts.MaxIncoming = DefaultMaxIncoming
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 8
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	return &Port{in: in, out: out, handlers: handlers, opts: opts, inflight: map[string]*Call{}, broken: make(chan struct{})}
}

// Call is an in-flight request as seen by its handler.
type Call struct {
	ID      string
	rawID   json.RawMessage
	port    *Port
	cancel  context.CancelFunc
	answers chan json.RawMessage        // answer params for this call, while it waits in Ask
	waiting string                      // the answer type Ask waits for, "" if none; guarded by port.mu
	accept  func(json.RawMessage) error // Ask's check of an answer; guarded by port.mu
}

// Progress sends a progress reply for this request.
func (c *Call) Progress(p Progress) {
	c.port.send(wireReply{ID: c.rawID, Type: ReplyProgress, Progress: &p})
}

// Ask sends a progress reply that asks the extension a question (e.g. event "pin-needed") and waits for the
// answer message of type answer (AnswerPIN, AnswerAccount) naming this request; it returns that message's
// params. Only one question may be open per request. accept (nil: any) checks each answer before it is
// delivered: an answer it refuses gets a bad-request error reply carrying accept's message, and the question
// stays open for the next answer.
func (c *Call) Ask(ctx context.Context, p Progress, answer string, accept func(json.RawMessage) error) (json.RawMessage, error) {
	c.port.mu.Lock()
	c.waiting, c.accept = answer, accept
	c.port.mu.Unlock()
	defer func() {
		c.port.mu.Lock()
		c.waiting, c.accept = "", nil
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

// ErrOutputClosed is returned by Serve when a reply could not be written: the browser closed its end.
var ErrOutputClosed = errors.New("messaging: the browser end of the port is closed")

type readResult struct {
	frame []byte
	err   error
}

// Serve reads requests until the stream ends, then cancels the requests still in flight, waits for their
// handlers and returns. A clean EOF returns nil (Chrome closed the port); a truncated frame or read error is
// returned; a failed write (the browser stopped reading) returns ErrOutputClosed, leaving the goroutine that
// reads p's input blocked until that input ends.
func (p *Port) Serve(ctx context.Context) error {
	ctx, cancelAll := context.WithCancel(ctx)
	defer func() {
		cancelAll()
		p.wg.Wait()
	}()
	frames := make(chan readResult)
	go func() {
		for {
			frame, err := ReadFrame(p.in, p.opts.MaxIncoming)
			select {
			case frames <- readResult{frame, err}:
			case <-ctx.Done():
				return
			}
			if err != nil && !errors.Is(err, ErrFrameTooLarge) {
				return
			}
		}
	}()
	for {
		var r readResult
		select {
		case r = <-frames:
		case <-p.broken:
			return ErrOutputClosed
		}
		switch err := r.err; {
		case errors.Is(err, ErrFrameTooLarge):
			fmt.Fprintf(p.opts.Log, "twinkey-host: %v\n", err)
			p.send(errorReply(noID, &Error{Code: CodeTooLarge, Message: err.Error()}))
			continue
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
		p.dispatch(ctx, r.frame)
	}
}

func errorReply(id json.RawMessage, e *Error) wireReply {
	return wireReply{ID: id, Type: ReplyError, Error: e}
}

// readID checks a raw id token: a JSON string of at most MaxIDLength bytes without lone surrogate escapes.
// It returns the decoded id, or a reason to refuse it.
func readID(raw json.RawMessage) (string, string) {
	var id string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &id) != nil {
		return "", "id must be a string"
	}
	switch {
	case id == "":
		return "", "id and type are required"
	case len(raw) > MaxIDLength:
		return "", fmt.Sprintf("id longer than %d bytes", MaxIDLength)
	case hasLoneSurrogate(raw):
		return "", "id holds a lone UTF-16 surrogate"
	}
	return id, ""
}

// hasLoneSurrogate reports whether a JSON string token holds a \uD800-\uDFFF escape not part of a pair.
func hasLoneSurrogate(raw []byte) bool {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return 0, false
		}
		var r rune
		for _, c := range raw[i+2 : i+6] {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // a two-byte escape such as \\ or \"
			continue
		}
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			if lo, ok := hex4(i + 6); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				i += 11
				continue
			}
			return true
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		}
		i += 5
	}
	return false
}

// salvageID finds the first top-level "id" key of a message that failed strict decoding, so that the refusal
// can still name the request. It returns noID when there is none or it is unusable.
func salvageID(frame []byte) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(frame))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return noID
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return noID
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return noID
		}
		if kt == "id" {
			if _, reason := readID(v); reason == "" {
				return v
			}
			return noID
		}
	}
	return noID
}

func (p *Port) dispatch(ctx context.Context, frame []byte) {
	if !utf8.Valid(frame) {
		p.send(errorReply(noID, &Error{Code: CodeBadRequest, Message: "message is not UTF-8"}))
		return
	}
	var env envelope
	if err := DecodeStrict(frame, &env); err != nil {
		p.send(errorReply(salvageID(frame), &Error{Code: CodeBadRequest, Message: "message is not a request object: " + err.Error()}))
		return
	}
	rawID := noID
	if env.ID != nil {
		rawID = env.ID
	}
	id, reason := readID(env.ID)
	if reason != "" {
		if env.ID == nil || reason == "id must be a string" {
			rawID = noID
		}
		p.send(errorReply(rawID, &Error{Code: CodeBadRequest, Message: reason}))
		return
	}
	if env.Type == "" {
		p.send(errorReply(rawID, &Error{Code: CodeBadRequest, Message: "id and type are required"}))
		return
	}
	req := Request{ID: id, Type: env.Type, Params: env.Params}
	switch req.Type {
	case "cancel":
		p.handleCancel(req, rawID)
		return
	case AnswerPIN, AnswerAccount:
		p.handleAnswer(req, rawID)
		return
	}
	h, ok := p.handlers[req.Type]
	if !ok {
		p.send(errorReply(rawID, &Error{Code: CodeUnknownType, Message: fmt.Sprintf("unknown message type %q", req.Type)}))
		return
	}
	p.mu.Lock()
	if _, dup := p.inflight[req.ID]; dup {
		p.mu.Unlock()
		p.send(errorReply(rawID, &Error{Code: CodeDuplicateID, Message: "a request with this id is in flight"}))
		return
	}
	if slices.Contains(p.opts.Inline, req.Type) {
		p.mu.Unlock()
		cctx, cancel := context.WithCancel(ctx)
		final := p.final(cctx, h, req, &Call{ID: req.ID, rawID: rawID, port: p, cancel: cancel})
		cancel()
		p.send(final)
		return
	}
	if len(p.inflight) >= p.opts.MaxInFlight {
		p.mu.Unlock()
		p.send(errorReply(rawID, &Error{Code: CodeBusy, Message: "too many requests in flight"}))
		return
	}
	cctx, cancel := context.WithCancel(ctx)
	call := &Call{ID: req.ID, rawID: rawID, port: p, cancel: cancel, answers: make(chan json.RawMessage, 1)}
	p.inflight[req.ID] = call
	p.wg.Add(1)
	p.mu.Unlock()
	go p.run(cctx, h, req, call)
}

func (p *Port) run(ctx context.Context, h HandlerFunc, req Request, call *Call) {
	defer p.wg.Done()
	final := p.final(ctx, h, req, call)
	// The request leaves the in-flight set before its final reply goes out, so that the extension may reuse
	// the id as soon as it has the reply.
	p.mu.Lock()
	delete(p.inflight, req.ID)
	p.mu.Unlock()
	call.cancel()
	p.send(final)
}

// final runs the handler and returns its final reply.
func (p *Port) final(ctx context.Context, h HandlerFunc, req Request, call *Call) wireReply {
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
		return errorReply(call.rawID, p.mapError(err))
	}
	if result == nil {
		result = struct{}{}
	}
	return wireReply{ID: call.rawID, Type: ReplyResult, Result: result}
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

func (p *Port) handleCancel(req Request, rawID json.RawMessage) {
	var tp targetParams
	if err := DecodeStrict(req.Params, &tp); err != nil || tp.Target == "" {
		p.send(errorReply(rawID, &Error{Code: CodeBadRequest, Message: "cancel needs params {\"target\"} and nothing else"}))
		return
	}
	p.mu.Lock()
	call := p.inflight[tp.Target]
	p.mu.Unlock()
	if call == nil {
		p.send(errorReply(rawID, &Error{Code: CodeUnknownTarget, Message: "no such request in flight"}))
		return
	}
	call.cancel()
	p.send(wireReply{ID: rawID, Type: ReplyResult, Result: struct{}{}})
}

// handleAnswer delivers an answer message to the request waiting in Ask for that type, if the question's
// accept function takes it. Its params (a PIN) are never logged.
func (p *Port) handleAnswer(req Request, rawID json.RawMessage) {
	var fields map[string]json.RawMessage
	var target string
	if err := DecodeStrict(req.Params, &fields); err != nil || DecodeStrict(fields["target"], &target) != nil || target == "" {
		p.send(errorReply(rawID, &Error{Code: CodeBadRequest, Message: req.Type + " needs params.target"}))
		return
	}
	p.mu.Lock()
	call := p.inflight[target]
	var accept func(json.RawMessage) error
	waiting := call != nil && call.waiting == req.Type
	if waiting {
		accept = call.accept
	}
	p.mu.Unlock()
	if !waiting {
		p.send(errorReply(rawID, &Error{Code: CodeUnknownTarget, Message: "that request is not waiting for a " + req.Type + " message"}))
		return
	}
	if accept != nil {
		if err := accept(req.Params); err != nil {
			p.send(errorReply(rawID, &Error{Code: CodeBadRequest, Message: err.Error()}))
			return
		}
	}
	delivered := false
	p.mu.Lock()
	if call.waiting == req.Type {
		select {
		case call.answers <- req.Params:
			delivered = true
		default:
		}
	}
	p.mu.Unlock()
	if !delivered {
		p.send(errorReply(rawID, &Error{Code: CodeUnknownTarget, Message: "that request is not waiting for a " + req.Type + " message"}))
		return
	}
	p.send(wireReply{ID: rawID, Type: ReplyResult, Result: struct{}{}})
}

// marshal encodes a reply without HTML escaping, so that the raw id goes out byte for byte.
func marshal(r wireReply) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// send writes one reply. A reply that cannot be encoded or exceeds MaxOutgoing is replaced by an error reply
// with the same id (which fits: ids are at most MaxIDLength bytes). A failed write means the browser end is
// gone: Serve then returns ErrOutputClosed.
func (p *Port) send(r wireReply) {
	msg, err := marshal(r)
	if err == nil && len(msg) > MaxOutgoing {
		err = ErrOutgoingTooLarge
	}
	if err != nil {
		fmt.Fprintf(p.opts.Log, "twinkey-host: reply to %s not sent: %v\n", r.ID, err)
		code := CodeInternal
		if errors.Is(err, ErrOutgoingTooLarge) {
			code = CodeTooLarge
		}
		msg, _ = marshal(errorReply(r.ID, &Error{Code: code, Message: "reply could not be sent: " + err.Error()}))
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	select {
	case <-p.broken:
		return
	default:
	}
	if err := WriteFrame(p.out, msg); err != nil {
		fmt.Fprintf(p.opts.Log, "twinkey-host: write: %v\n", err)
		p.breakOnce.Do(func() { close(p.broken) })
	}
}
