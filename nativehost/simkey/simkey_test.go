package simkey

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

func openConn(t *testing.T, cfg Config) (*Key, *ctaphid.Conn) {
	t.Helper()
	k, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	dev, err := k.Open()
	if err != nil {
		t.Fatal(err)
	}
	c, err := ctaphid.Open(context.Background(), dev, ctaphid.Options{})
	if err != nil {
		t.Fatalf("INIT against virtual-fido: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return k, c
}

func TestInitPingAndGetInfo(t *testing.T) {
	k, c := openConn(t, Config{})
	if !c.Info().Capabilities.Has(ctaphid.CapCBOR) {
		t.Fatalf("virtual-fido capabilities %x lack CBOR", c.Info().Capabilities)
	}
	if err := c.Ping(context.Background(), bytes.Repeat([]byte("ping"), 100)); err != nil {
		t.Fatalf("PING: %v", err)
	}
	resp, err := c.Transact(context.Background(), ctaphid.CmdCBOR, []byte{0x04}, nil)
	if err != nil || len(resp) < 2 || resp[0] != 0 {
		t.Fatalf("getInfo = %x, %v", resp, err)
	}
	if _, err := k.Open(); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open = %v, want ErrInUse", err)
	}
}

func TestGuardAnswersWhatVirtualFidoWouldPanicOn(t *testing.T) {
	_, c := openConn(t, Config{})
	ctx := context.Background()
	cases := []struct {
		name string
		cmd  ctaphid.Command
		req  []byte
		want []byte
	}{
		{"short APDU", ctaphid.CmdMsg, []byte{0, 3, 0, 0, 0}, []byte{0x67, 0}},
		{"unknown INS", ctaphid.CmdMsg, []byte{0, 0x44, 0, 0, 0, 0, 0}, []byte{0x6D, 0}},
		{"foreign key handle", ctaphid.CmdMsg, append(append([]byte{0, 2, 3, 0, 0, 0, 65 + 3}, make([]byte, 64)...), 3, 0xA1, 1, 2), []byte{0x6A, 0x80}},
		{"unknown CTAP2 command", ctaphid.CmdCBOR, []byte{0x0B}, []byte{0x01}},
		{"invalid CBOR", ctaphid.CmdCBOR, []byte{0x01, 0xFF}, []byte{0x12}},
	}
	for _, tc := range cases {
		got, err := c.Transact(ctx, tc.cmd, tc.req, nil)
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: got %x, %v; want %x", tc.name, got, err, tc.want)
		}
	}
	if _, err := c.Transact(ctx, ctaphid.CmdWink, nil, nil); !errors.Is(err, ctaphid.ErrInvalidCmd) {
		t.Errorf("WINK = %v, want INVALID_CMD", err)
	}
	// VERSION still works after all that.
	got, err := c.Transact(ctx, ctaphid.CmdMsg, []byte{0, 3, 0, 0, 0, 0, 0}, nil)
	if err != nil || string(got) != "U2F_V2\x90\x00" {
		t.Fatalf("VERSION = %q, %v", got, err)
	}
}

func TestUnplugAfterKeepalive(t *testing.T) {
	k, c := openConn(t, Config{UnplugAfterKeepalive: true, TouchDelay: 300 * time.Millisecond})
	// makeCredential with a minimal valid request: the key waits for a touch, sends KEEPALIVE, then vanishes.
	req := []byte{0x01, 0xA4,
		0x01, 0x58, 0x20}
	req = append(req, make([]byte, 32)...)
	req = append(req, 0x02, 0xA1, 0x62, 'i', 'd', 0x61, 'a',
		0x03, 0xA1, 0x62, 'i', 'd', 0x41, 1,
		0x04, 0x81, 0xA2, 0x63, 'a', 'l', 'g', 0x26, 0x64, 't', 'y', 'p', 'e', 0x6A)
	req = append(req, "public-key"...)
	var seen []ctaphid.KeepaliveStatus
	_, err := c.Transact(context.Background(), ctaphid.CmdCBOR, req, func(s ctaphid.KeepaliveStatus) { seen = append(seen, s) })
	if !errors.Is(err, ctaphid.ErrDeviceGone) || len(seen) == 0 || seen[0] != ctaphid.StatusUPNeeded {
		t.Fatalf("Transact = %v after keepalives %v; want ErrDeviceGone after UPNEEDED", err, seen)
	}
	if _, err := k.Open(); !errors.Is(err, ErrUnplugged) {
		t.Fatalf("Open after unplug = %v", err)
	}
}

// TestMalformedCredentialIsMadeAgain: when the first makeCredential answer is judged malformed (forced here;
// virtual-fido really drops a leading zero byte from one credential key in 128), the host never sees it: the
// request goes to virtual-fido again and the second, well-formed answer is delivered.
func TestMalformedCredentialIsMadeAgain(t *testing.T) {
	var judged [][]byte
	malformed = func(resp []byte) bool {
		judged = append(judged, resp)
		return len(judged) == 1
	}
	t.Cleanup(func() { malformed = malformedCredentialKey })
	_, c := openConn(t, Config{})
	req, _ := cbor.Marshal(map[int]any{1: make([]byte, 32), 2: map[string]string{"id": "example.com"},
		3: map[string]any{"id": []byte{1}}, 4: []map[string]any{{"type": "public-key", "alg": -7}}})
	resp, err := c.Transact(context.Background(), ctaphid.CmdCBOR, append([]byte{0x01}, req...), nil)
	if err != nil || len(resp) == 0 || resp[0] != 0 {
		t.Fatalf("makeCredential: %x, %v", resp, err)
	}
	if len(judged) != 2 || bytes.Equal(judged[0], judged[1]) || !bytes.Equal(resp, judged[1]) {
		t.Fatalf("%d answers judged; delivered the second: %v", len(judged), len(judged) == 2 && bytes.Equal(resp, judged[1]))
	}
	if malformedCredentialKey(resp) {
		t.Fatal("delivered a malformed key")
	}
}

func TestMalformedCredentialKeyDetection(t *testing.T) {
	answer := func(x, y []byte) []byte {
		key, _ := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
		ad := append(make([]byte, 32), 0x41, 0, 0, 0, 1)
		ad = append(append(ad, make([]byte, 16)...), 0, 2, 0xAA, 0xBB)
		m, _ := cbor.Marshal(map[int]any{1: "none", 2: append(ad, key...), 3: map[string]any{}})
		return append([]byte{0}, m...)
	}
	full, short := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{1}, 31)
	if malformedCredentialKey(answer(full, full)) || !malformedCredentialKey(answer(short, full)) ||
		!malformedCredentialKey(answer(full, short)) || malformedCredentialKey([]byte{0x2E}) {
		t.Fatal("detection wrong")
	}
}
