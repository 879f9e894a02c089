package ctaphid

import (
	"bytes"
	"testing"
)

// FuzzReassemble feeds arbitrary bytes, cut into 64-byte reports, through ParsePacket and the Assembler as the
// Conn does. Invariants: no panic; a completed message has exactly the declared length and re-encodes into
// packets whose payload areas carry the same bytes; a failed parse yields no packet.
func FuzzReassemble(f *testing.F) {
	for _, payload := range [][]byte{nil, {0}, bytes.Repeat([]byte{1}, 57), bytes.Repeat([]byte{2}, 58), bytes.Repeat([]byte{3}, 300)} {
		packets, _ := EncodeMessage(ChannelID{1, 2, 3, 4}, CmdCBOR, payload)
		f.Add(bytes.Join(packets, nil))
	}
	bad, _ := EncodeMessage(ChannelID{1, 2, 3, 4}, CmdMsg, make([]byte, 100))
	bad[1][4] = 5
	f.Add(bytes.Join(bad, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		var asm *Assembler
		for len(data) >= ReportSize {
			report := data[:ReportSize]
			data = data[ReportSize:]
			p, err := ParsePacket(report)
			if err != nil {
				if p.Data != nil || p.Init {
					t.Fatalf("failed parse returned a packet: %+v", p)
				}
				return
			}
			if asm == nil {
				asm, err = NewAssembler(p)
			} else {
				err = asm.Add(p)
			}
			if err != nil {
				return
			}
			if asm.Done() {
				break
			}
		}
		if asm == nil || !asm.Done() {
			return
		}
		payload := asm.Payload()
		packets, err := EncodeMessage(ChannelID{}, asm.Command(), payload)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var again []byte
		for i, pk := range packets {
			if i == 0 {
				again = append(again, pk[initHeaderSize:]...)
			} else {
				again = append(again, pk[contHeaderSize:]...)
			}
		}
		if !bytes.Equal(again[:len(payload)], payload) {
			t.Fatalf("round trip differs")
		}
	})
}
