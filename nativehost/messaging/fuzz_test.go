package messaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"testing"
)

func frame(s string) []byte {
	b := binary.NativeEndian.AppendUint32(nil, uint32(len(s)))
	return append(b, s...)
}

// FuzzReadFrame: arbitrary input never panics; frames returned respect the limit and consume exactly their
// declared length.
func FuzzReadFrame(f *testing.F) {
	f.Add(frame(`{"id":"1","type":"hello"}`))
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 1})
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for {
			before := r.Len()
			b, err := ReadFrame(r, 64)
			if err != nil {
				if b != nil {
					t.Fatal("partial frame returned with an error")
				}
				if err == ErrTruncatedFrame || r.Len() == 0 {
					return
				}
				continue
			}
			if len(b) > 64 || before-r.Len() != 4+len(b) {
				t.Fatalf("frame of %d bytes consumed %d", len(b), before-r.Len())
			}
		}
	})
}

// FuzzPort: whatever the browser side sends, Serve returns and every reply is a well-formed frame of JSON.
func FuzzPort(f *testing.F) {
	f.Add(frame(`{"id":"1","type":"echo","params":[1]}`))
	f.Add(append(frame(`{"id":"1","type":"cancel","params":{"target":"1"}}`), frame(`nope`)...))
	f.Add(frame(`{"id":"2","type":"pin","params":{"target":"2"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		p := NewPort(bytes.NewReader(data), &out, map[string]HandlerFunc{"echo": echo}, Options{MaxIncoming: 256})
		_ = p.Serve(context.Background())
		for out.Len() > 0 {
			b, err := ReadFrame(&out, MaxOutgoing)
			if err != nil {
				t.Fatalf("bad reply frame: %v", err)
			}
			var r Reply
			if err := json.Unmarshal(b, &r); err != nil || (r.Type != ReplyResult && r.Type != ReplyError) {
				t.Fatalf("bad reply %q", b)
			}
		}
	})
}
