package strength

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAssessLevels(t *testing.T) {
	cases := []struct {
		in   string
		want Level
	}{
		{"", TooShort},
		{"abc1234", TooShort},
		{"password123!", VeryWeak},
		{"Twinkey2024", VeryWeak},
		{"1234567890", VeryWeak},
		{"aaaaaaaaaaaa", VeryWeak},
		{"abcdefghijkl", VeryWeak},
		{"kettle-orbit", Weak},
		{"kettle orbit walnut", Fair},
		{"kettle orbit walnut grape", Strong},
		{"kettle orbit walnut grape lantern fossil mosaic", VeryStrong},
	}
	for _, c := range cases {
		got := Assess(c.in)
		if got.Level != c.want {
			t.Errorf("Assess(%q) = %v (%.1f bits), want %v", c.in, got.Level, got.Bits, c.want)
		}
		if got.Hint == "" {
			t.Errorf("Assess(%q) has no hint", c.in)
		}
		if got.Level.Acceptable() != (c.want >= Weak) {
			t.Errorf("Acceptable(%v) wrong", got.Level)
		}
	}
}

// Adding characters never makes the estimate worse than the prefix it extends (for non-repeating text).
func TestAssessMonotoneInWords(t *testing.T) {
	words := strings.Fields("kettle orbit walnut grape lantern fossil mosaic")
	prev := -1.0
	for i := 1; i <= len(words); i++ {
		e := Assess(strings.Join(words[:i], " "))
		if e.Bits < prev {
			t.Fatalf("%d words: %.1f bits < %.1f", i, e.Bits, prev)
		}
		prev = e.Bits
	}
}

func FuzzAssess(f *testing.F) {
	f.Add("kettle orbit walnut")
	f.Add("\xff\xfe\x00password")
	f.Fuzz(func(t *testing.T, in string) {
		e := Assess(in)
		if utf8.RuneCountInString(in) < MinLength && e.Level != TooShort {
			t.Fatalf("%q: level %v for a short passphrase", in, e.Level)
		}
		if e.Bits < 0 || e.Level.String() == "Unknown" || e.Hint == "" {
			t.Fatalf("%q: bad estimate %+v", in, e)
		}
	})
}
