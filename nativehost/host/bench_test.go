package host_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/twinkey/twinkey/nativehost/host"
	"github.com/twinkey/twinkey/nativehost/messaging"
)

// BenchmarkPortRoundTrip: one "hello" request and its reply through the real message loop, framed over an
// os.Pipe pair each way (the same kernel objects Chrome uses for stdin/stdout).
func BenchmarkPortRoundTrip(b *testing.B) {
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	h := host.New(host.Config{Version: "bench", Devices: host.HIDSource{}})
	done := make(chan struct{})
	go func() { h.Serve(context.Background(), inR, outW); outW.Close(); close(done) }()
	req, _ := json.Marshal(messaging.Request{ID: "1", Type: "hello"})
	b.ReportAllocs()
	for b.Loop() {
		if err := messaging.WriteFrame(inW, req); err != nil {
			b.Fatal(err)
		}
		reply, err := messaging.ReadFrame(outR, messaging.MaxOutgoing)
		if err != nil || len(reply) == 0 {
			b.Fatal(err)
		}
	}
	inW.Close()
	<-done
}

// BenchmarkDirectCall: the same "hello" handler called in-process, with the JSON encoding of its result but no
// framing, pipes or goroutine hop.
func BenchmarkDirectCall(b *testing.B) {
	h := host.New(host.Config{Version: "bench", Devices: host.HIDSource{}})
	hello := h.Handlers()["hello"]
	b.ReportAllocs()
	for b.Loop() {
		res, err := hello(context.Background(), nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(messaging.Reply{ID: "1", Type: messaging.ReplyResult, Result: res}); err != nil {
			b.Fatal(err)
		}
	}
}
