package messaging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// recvRaw reads one reply frame as bytes.
func (h *harness) recvRaw() []byte {
	h.t.Helper()
	ch := make(chan []byte, 1)
	go func() { b, _ := ReadFrame(h.outR, MaxOutgoing); ch <- b }()
	select {
	case b := <-ch:
		return b
	case <-time.After(5 * time.Second):
		h.t.Fatal("no reply")
	}
	return nil
}

func TestDecodeStrictExactKeysNoDuplicatesNoUnknown(t *testing.T) {
	type inner struct {
		ID string `json:"id"`
	}
	type params struct {
		RPID  string            `json:"rpId"`
		User  inner             `json:"user"`
		List  []inner           `json:"list,omitempty"`
		Extra map[string]string `json:"extra,omitempty"`
		Raw   json.RawMessage   `json:"raw,omitempty"`
	}
	for _, bad := range []string{
		`{"rpId":"a.example","RPID":"evil.example"}`,
		`{"RPID":"evil.example"}`,
		`{"rpid":"evil.example"}`,
		`{"rpId":"a.example","rpId":"evil.example"}`,
		`{"rpId":"a.example","surprise":1}`,
		`{"rpId":"a.example","user":{"ID":"x"}}`,
		`{"rpId":"a.example","user":{"id":"x","id":"y"}}`,
		`{"rpId":"a.example","list":[{"id":"x"},{"Id":"y"}]}`,
		`{"rpId":"a.example","extra":{"k":"1","k":"2"}}`,
		`{"rpId":"a.example","raw":{"k":1,"k":2}}`,
		`{"rpId":"a.example"} {}`,
		`{"rpId":"a.example"`,
		`{"rpId":5}`,
	} {
		var p params
		if err := DecodeStrict([]byte(bad), &p); !errors.Is(err, ErrStrictJSON) {
			t.Errorf("%s: err = %v, want ErrStrictJSON", bad, err)
		}
	}
	var p params
	if err := DecodeStrict([]byte(`{"rpId":"a.example","user":{"id":"x"},"list":[{"id":"y"}],"raw":{"k":[1,{"a":2}]}}`), &p); err != nil ||
		p.RPID != "a.example" || p.User.ID != "x" || p.List[0].ID != "y" {
		t.Fatalf("DecodeStrict = %v, %+v", err, p)
	}
}

func TestStrictEnvelopeCaseVariantKeysRefusedWithID(t *testing.T) {
	h := start(t, map[string]HandlerFunc{"echo": echo}, Options{})
	for _, raw := range []string{
		`{"id":"e1","Type":"echo"}`,
		`{"id":"e1","type":"echo","type":"cancel"}`,
		`{"id":"e1","type":"echo","Params":{}}`,
		`{"id":"e1","type":"echo","extra":true}`,
	} {
		h.sendRaw([]byte(raw))
		if r := h.recv(); r.ID != "e1" || r.Type != ReplyError || r.Error.Code != CodeBadRequest {
			t.Errorf("%s: reply %+v %+v", raw, r, r.Error)
		}
	}
	h.sendRaw([]byte(`{"id":"c1","type":"cancel","params":{"target":"x","Target":"y"}}`))
	if r := h.recv(); r.ID != "c1" || r.Error == nil || r.Error.Code != CodeBadRequest {
		t.Errorf("cancel with case-variant key: %+v", r)
	}
}

func TestIDEchoedByteExact(t *testing.T) {
	h := start(t, map[string]HandlerFunc{"echo": echo}, Options{})
	for _, id := range []string{`"a\u0041<&>\/é"`, `"\ud83d\ude00"`, `"\u0000"`} {
		h.sendRaw([]byte(`{"id":` + id + `,"type":"echo","params":1}`))
		if b := h.recvRaw(); !bytes.HasPrefix(b, []byte(`{"id":`+id+`,"type":"result"`)) {
			t.Errorf("id %s: reply %s", id, b)
		}
	}
}

func TestLoneSurrogateIDRefusedByteExact(t *testing.T) {
	h := start(t, map[string]HandlerFunc{"echo": echo}, Options{})
	for _, id := range []string{`"\ud800"`, `"x\udc00"`, `"\uD83D\u0041"`, `"\ud83d"`} {
		h.sendRaw([]byte(`{"id":` + id + `,"type":"echo"}`))
		b := h.recvRaw()
		if !bytes.HasPrefix(b, []byte(`{"id":`+id+`,"type":"error","error":{"code":"bad-request"`)) {
			t.Errorf("id %s: reply %s", id, b)
		}
	}
}

func TestOverLongIDRefusedWithItsID(t *testing.T) {
	h := start(t, map[string]HandlerFunc{"echo": echo}, Options{})
	for _, n := range []int{MaxIDLength + 6, DefaultMaxIncoming - 40} {
		id := `"` + strings.Repeat(`\u0001`, n/6) + `"`
		msg := `{"id":` + id + `,"type":"echo"}`
		if len(msg) > DefaultMaxIncoming {
			t.Fatalf("test frame of %d bytes", len(msg))
		}
		h.sendRaw([]byte(msg))
		b := h.recvRaw()
		if !bytes.HasPrefix(b, []byte(`{"id":`+id+`,"type":"error","error":{"code":"bad-request"`)) {
			t.Errorf("id of %d bytes: reply %.200s", len(id), b)
		}
	}
}

func TestInlineRequestsNeverBusy(t *testing.T) {
	started := make(chan struct{})
	hello := func(context.Context, json.RawMessage, *Call) (any, error) { return "hi", nil }
	h := start(t, map[string]HandlerFunc{"wait": blockUntilCancelled(started), "hello": hello},
		Options{MaxInFlight: 1, Inline: []string{"hello"}})
	h.send(Request{ID: "w", Type: "wait"})
	<-started
	for i := range 200 {
		h.send(Request{ID: "h" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), Type: "hello"})
		if r := h.recv(); r.Type != ReplyResult {
			t.Fatalf("hello %d: %+v %+v", i, r, r.Error)
		}
	}
	h.send(Request{ID: "w2", Type: "wait"})
	if r := h.recv(); r.ID != "w2" || r.Error == nil || r.Error.Code != CodeBusy {
		t.Fatalf("second wait: %+v", r)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestClosedOutputEndsServe(t *testing.T) {
	inR, inW := io.Pipe()
	defer inW.Close()
	started := make(chan struct{})
	p := NewPort(inR, failingWriter{}, map[string]HandlerFunc{"echo": echo, "wait": blockUntilCancelled(started)}, Options{})
	done := make(chan error, 1)
	go func() { done <- p.Serve(context.Background()) }()
	WriteFrame(inW, []byte(`{"id":"w","type":"wait"}`))
	<-started
	WriteFrame(inW, []byte(`{"id":"1","type":"echo","params":1}`))
	select {
	case err := <-done:
		if !errors.Is(err, ErrOutputClosed) {
			t.Fatalf("Serve = %v, want ErrOutputClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve kept running with its output closed")
	}
}

func TestAskRefusedAnswerKeepsQuestionOpen(t *testing.T) {
	ask := func(ctx context.Context, _ json.RawMessage, call *Call) (any, error) {
		return call.Ask(ctx, Progress{Event: "pin-needed"}, AnswerPIN, func(p json.RawMessage) error {
			var a struct {
				Target string `json:"target"`
				PIN    string `json:"pin"`
			}
			if err := DecodeStrict(p, &a); err != nil || a.PIN == "" {
				return errors.New("pin must not be empty")
			}
			return nil
		})
	}
	h := start(t, map[string]HandlerFunc{"op": ask}, Options{})
	h.send(Request{ID: "op", Type: "op"})
	if r := h.recv(); r.Progress == nil || r.Progress.Event != "pin-needed" {
		t.Fatalf("question %+v", r)
	}
	h.sendRaw([]byte(`{"id":"p1","type":"pin","params":{"target":"op","pin":""}}`))
	if r := h.recv(); r.ID != "p1" || r.Error == nil || r.Error.Code != CodeBadRequest {
		t.Fatalf("empty answer: %+v", r)
	}
	h.sendRaw([]byte(`{"id":"p2","type":"pin","params":{"target":"op","pin":"1234"}}`))
	got := h.recvN(2)
	if got["p2/result"].ID != "p2" || got["op/result"].ID != "op" {
		t.Fatalf("replies %+v", got)
	}
}

func TestIDReusableAfterFinalReply(t *testing.T) {
	fail := func(context.Context, json.RawMessage, *Call) (any, error) { return nil, &Error{Code: CodeBadRequest} }
	h := start(t, map[string]HandlerFunc{"fail": fail}, Options{})
	for i := range 300 {
		h.send(Request{ID: "same", Type: "fail"})
		if r := h.recv(); r.ID != "same" || r.Error == nil || r.Error.Code != CodeBadRequest {
			t.Fatalf("round %d: %+v %+v", i, r, r.Error)
		}
	}
}
