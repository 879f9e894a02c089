package messaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

type testReply struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Result   json.RawMessage `json:"result"`
	Error    *Error          `json:"error"`
	Progress *Progress       `json:"progress"`
}

type harness struct {
	t    *testing.T
	inW  *io.PipeWriter
	outR *io.PipeReader
	done chan error
}

func mapTestError(err error) *Error {
	if errors.Is(err, context.Canceled) {
		return &Error{Code: "cancelled", Message: "cancelled"}
	}
	return nil
}

func start(t *testing.T, handlers map[string]HandlerFunc, opts Options) *harness {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	if opts.MapError == nil {
		opts.MapError = mapTestError
	}
	h := &harness{t: t, inW: inW, outR: outR, done: make(chan error, 1)}
	port := NewPort(inR, outW, handlers, opts)
	go func() {
		err := port.Serve(context.Background())
		outW.Close()
		h.done <- err
	}()
	t.Cleanup(func() { inW.Close(); go io.Copy(io.Discard, outR) })
	return h
}

func (h *harness) sendRaw(b []byte) {
	h.t.Helper()
	if err := WriteFrame(h.inW, b); err != nil {
		h.t.Fatalf("write: %v", err)
	}
}

func (h *harness) send(v any) {
	h.t.Helper()
	b, _ := json.Marshal(v)
	h.sendRaw(b)
}

func (h *harness) recv() testReply {
	h.t.Helper()
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() { b, err := ReadFrame(h.outR, MaxOutgoing); ch <- res{b, err} }()
	select {
	case r := <-ch:
		if r.err != nil {
			h.t.Fatalf("read reply: %v", r.err)
		}
		var w testReply
		if err := json.Unmarshal(r.b, &w); err != nil {
			h.t.Fatalf("reply is not JSON: %q", r.b)
		}
		return w
	case <-time.After(5 * time.Second):
		h.t.Fatal("no reply")
	}
	return testReply{}
}

func (h *harness) recvN(n int) map[string]testReply {
	out := map[string]testReply{}
	for range n {
		r := h.recv()
		out[r.ID+"/"+r.Type] = r
	}
	return out
}

func echo(_ context.Context, params json.RawMessage, _ *Call) (any, error) { return params, nil }

func blockUntilCancelled(started chan<- struct{}) HandlerFunc {
	return func(ctx context.Context, _ json.RawMessage, _ *Call) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}
}

func TestRoundTrip(t *testing.T) {
	h := start(t, map[string]HandlerFunc{"echo": echo}, Options{})
	h.send(Request{ID: "1", Type: "echo", Params: json.RawMessage(`{"x":"é"}`)})
	r := h.recv()
	if r.ID != "1" || r.Type != ReplyResult || string(r.Result) != `{"x":"é"}` {
		t.Fatalf("reply %+v", r)
	}
}

func TestMalformedMessages(t *testing.T) {
	h := start(t, map[string]HandlerFunc{"echo": echo}, Options{})
	cases := []struct {
		raw  []byte
		id   string
		code Code
	}{
		{[]byte(`{"id":`), "", CodeBadRequest},
		{[]byte("\xff\xfe"), "", CodeBadRequest},
		{[]byte(`[1,2]`), "", CodeBadRequest},
		{[]byte(`{"type":"echo"}`), "", CodeBadRequest},
		{[]byte(`{"id":"7"}`), "7", CodeBadRequest},
		{[]byte(`{"id":"8","type":"format-disk"}`), "8", CodeUnknownType},
		{[]byte(`{"id":"9","type":"cancel","params":{}}`), "9", CodeBadRequest},
		{[]byte(`{"id":"10","type":"cancel","params":{"target":"nope"}}`), "10", CodeUnknownTarget},
		{[]byte(`{"id":"11","type":"pin","params":{"target":"nope","pin":"1234"}}`), "11", CodeUnknownTarget},
	}
	for _, tc := range cases {
		h.sendRaw(tc.raw)
		r := h.recv()
		if r.Type != ReplyError || r.ID != tc.id || r.Error == nil || r.Error.Code != tc.code {
			t.Errorf("%q: reply %+v (error %+v)", tc.raw, r, r.Error)
		}
	}
	// The port still works.
	h.send(Request{ID: "ok", Type: "echo", Params: json.RawMessage(`1`)})
	if r := h.recv(); r.ID != "ok" || r.Type != ReplyResult {
		t.Fatalf("after malformed input: %+v", r)
	}
}

func TestOversizedFrameResyncs(t *testing.T) {
	h := start(t, map[string]HandlerFunc{"echo": echo}, Options{MaxIncoming: 100})
	h.sendRaw([]byte(`{"id":"big","type":"echo","params":"` + strings.Repeat("A", 200) + `"}`))
	if r := h.recv(); r.Type != ReplyError || r.Error.Code != CodeTooLarge || r.ID != "" {
		t.Fatalf("oversized: %+v", r)
	}
	h.send(Request{ID: "next", Type: "echo", Params: json.RawMessage(`2`)})
	if r := h.recv(); r.ID != "next" || string(r.Result) != "2" {
		t.Fatalf("after oversized frame: %+v", r)
	}
}

func TestOutgoingTooLarge(t *testing.T) {
	big := func(context.Context, json.RawMessage, *Call) (any, error) {
		return strings.Repeat("x", MaxOutgoing), nil
	}
	h := start(t, map[string]HandlerFunc{"big": big}, Options{})
	h.send(Request{ID: "1", Type: "big"})
	if r := h.recv(); r.Type != ReplyError || r.Error.Code != CodeTooLarge || r.ID != "1" {
		t.Fatalf("reply %+v", r)
	}
}

func TestCancel(t *testing.T) {
	started := make(chan struct{})
	h := start(t, map[string]HandlerFunc{"wait": blockUntilCancelled(started)}, Options{})
	h.send(Request{ID: "w", Type: "wait"})
	<-started
	h.send(Request{ID: "c", Type: "cancel", Params: json.RawMessage(`{"target":"w"}`)})
	got := h.recvN(2)
	if got["c/result"].ID != "c" || got["w/error"].Error == nil || got["w/error"].Error.Code != "cancelled" {
		t.Fatalf("replies %+v", got)
	}
}

func TestDuplicateID(t *testing.T) {
	started := make(chan struct{})
	h := start(t, map[string]HandlerFunc{"wait": blockUntilCancelled(started)}, Options{})
	h.send(Request{ID: "w", Type: "wait"})
	<-started
	h.send(Request{ID: "w", Type: "wait"})
	if r := h.recv(); r.Type != ReplyError || r.Error.Code != CodeDuplicateID {
		t.Fatalf("reply %+v", r)
	}
}

func TestPINQuestion(t *testing.T) {
	ask := func(ctx context.Context, _ json.RawMessage, call *Call) (any, error) {
		three := 3
		call.Progress(Progress{Event: "touch"})
		answer, err := call.Ask(ctx, Progress{Event: "pin-needed", Retries: &three}, AnswerPIN, nil)
		if err != nil {
			return nil, err
		}
		var a struct{ PIN string }
		json.Unmarshal(answer, &a)
		return map[string]int{"pinLength": len(a.PIN)}, nil
	}
	h := start(t, map[string]HandlerFunc{"op": ask}, Options{})
	h.send(Request{ID: "op1", Type: "op"})
	if r := h.recv(); r.Type != ReplyProgress || r.Progress.Event != "touch" {
		t.Fatalf("first progress %+v", r)
	}
	r := h.recv()
	if r.Type != ReplyProgress || r.Progress.Event != "pin-needed" || r.Progress.Retries == nil || *r.Progress.Retries != 3 {
		t.Fatalf("pin question %+v", r)
	}
	// An answer of the wrong type does not reach the question.
	h.send(Request{ID: "c1", Type: AnswerAccount, Params: json.RawMessage(`{"target":"op1","index":0}`)})
	if r := h.recv(); r.ID != "c1" || r.Type != ReplyError || r.Error.Code != CodeUnknownTarget {
		t.Fatalf("choose while a PIN is asked: %+v", r)
	}
	h.send(Request{ID: "p1", Type: "pin", Params: json.RawMessage(`{"target":"op1","pin":"123456"}`)})
	got := h.recvN(2)
	if got["p1/result"].ID != "p1" || string(got["op1/result"].Result) != `{"pinLength":6}` {
		t.Fatalf("replies %+v", got)
	}
}

func TestHandlerPanicIsAnError(t *testing.T) {
	boom := func(context.Context, json.RawMessage, *Call) (any, error) {
		var handlers []HandlerFunc
		return handlers[1](context.Background(), nil, nil) // index out of range: a bug in a handler
	}
	h := start(t, map[string]HandlerFunc{"boom": boom, "echo": echo}, Options{})
	h.send(Request{ID: "1", Type: "boom"})
	if r := h.recv(); r.Type != ReplyError || r.Error.Code != CodeInternal {
		t.Fatalf("reply %+v", r)
	}
	h.send(Request{ID: "2", Type: "echo", Params: json.RawMessage(`3`)})
	if r := h.recv(); r.Type != ReplyResult {
		t.Fatalf("after panic %+v", r)
	}
}

func TestEOFCancelsInFlightAndReturns(t *testing.T) {
	started := make(chan struct{})
	h := start(t, map[string]HandlerFunc{"wait": blockUntilCancelled(started)}, Options{})
	h.send(Request{ID: "w", Type: "wait"})
	<-started
	h.inW.Close()
	if r := h.recv(); r.ID != "w" || r.Error == nil || r.Error.Code != "cancelled" {
		t.Fatalf("reply %+v", r)
	}
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatalf("Serve = %v, want nil at EOF", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return at EOF")
	}
}

func TestTruncatedFrameEndsPort(t *testing.T) {
	h := start(t, nil, Options{})
	var hdr [4]byte
	binary.NativeEndian.PutUint32(hdr[:], 10)
	h.inW.Write(append(hdr[:], "abc"...))
	h.inW.Close()
	if err := <-h.done; !errors.Is(err, ErrTruncatedFrame) {
		t.Fatalf("Serve = %v, want ErrTruncatedFrame", err)
	}
}

func TestFrameByteOrder(t *testing.T) {
	var buf bytes.Buffer
	WriteFrame(&buf, []byte(`{}`))
	if got := buf.Bytes(); binary.NativeEndian.Uint32(got[:4]) != 2 || string(got[4:]) != "{}" {
		t.Fatalf("frame % x", got)
	}
}
