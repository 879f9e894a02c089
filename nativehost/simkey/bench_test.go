package simkey

import (
	"bytes"
	"context"
	"testing"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

func benchKey(b *testing.B) (*Key, *ctaphid.Conn) {
	k, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { k.Close() })
	dev, _ := k.Open()
	c, err := ctaphid.Open(context.Background(), dev, ctaphid.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return k, c
}

// BenchmarkGetInfoOverCTAPHID: authenticatorGetInfo through our CTAPHID client and virtual-fido's CTAPHID server
// (framing, channel checks, the pump goroutine and the guard).
func BenchmarkGetInfoOverCTAPHID(b *testing.B) {
	_, c := benchKey(b)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Transact(context.Background(), ctaphid.CmdCBOR, []byte{0x04}, nil)
		if err != nil || resp[0] != 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetInfoDirect: the same command handed straight to virtual-fido's CTAP2 handler.
func BenchmarkGetInfoDirect(b *testing.B) {
	k, _ := benchKey(b)
	b.ReportAllocs()
	for b.Loop() {
		if resp := k.CTAPServer().HandleMessage([]byte{0x04}); resp[0] != 0 {
			b.Fatal("getInfo failed")
		}
	}
}

// BenchmarkPing1KiB: a 1 KiB PING (18 packets each way) over CTAPHID.
func BenchmarkPing1KiB(b *testing.B) {
	_, c := benchKey(b)
	data := bytes.Repeat([]byte{0x5A}, 1024)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Ping(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	}
}
