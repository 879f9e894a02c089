package ctapcbor

import (
	"bytes"
	"testing"
)

func TestMarshalIsCanonical(t *testing.T) {
	// Keys sorted by encoded length, then bytewise: 1, 3, -1 (0x20), "fmt" (0x63...) before "authData".
	got, err := Marshal(map[any]any{"authData": 1, -1: 2, 3: 3, 1: 4, "fmt": 5})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0xa5, 0x01, 0x04, 0x03, 0x03, 0x20, 0x02, 0x63, 'f', 'm', 't', 0x05,
		0x68, 'a', 'u', 't', 'h', 'D', 'a', 't', 'a', 0x01}
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x\nwant % x", got, want)
	}
}

func TestUnmarshalIsStrict(t *testing.T) {
	var v map[int]int
	if err := Unmarshal([]byte{0xa2, 0x03, 0x01, 0x01, 0x02}, &v); err != nil || v[1] != 2 || v[3] != 1 {
		t.Fatalf("unsorted map refused: %v %v", v, err) // key order is not enforced
	}
	for name, b := range map[string][]byte{
		"duplicate key":     {0xa2, 0x01, 0x01, 0x01, 0x02},
		"indefinite length": {0xbf, 0x01, 0x01, 0xff},
		"tag":               {0xc1, 0x01},
		"trailing byte":     {0xa0, 0x00},
	} {
		var m any
		if err := Unmarshal(b, &m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	rest, err := UnmarshalFirst([]byte{0xa0, 0x01}, &v)
	if err != nil || !bytes.Equal(rest, []byte{0x01}) {
		t.Fatalf("UnmarshalFirst rest %x, %v", rest, err)
	}
}
