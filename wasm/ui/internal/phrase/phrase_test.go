package phrase

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/cosmos/go-bip39"
)

type vector struct {
	entropy []byte
	words   []string
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	f, err := os.Open("testdata/vectors-24.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		hexEntropy, words, _ := strings.Cut(line, " ")
		e, err := hex.DecodeString(hexEntropy)
		if err != nil {
			t.Fatalf("bad vector %q: %v", line, err)
		}
		out = append(out, vector{e, strings.Fields(words)})
	}
	if len(out) == 0 {
		t.Fatal("no vectors loaded")
	}
	return out
}

func TestCheckAcceptsPublishedVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.words[0]+"-"+v.words[23], func(t *testing.T) {
			if err := Check(v.words); err != nil {
				t.Fatalf("Check: %v", err)
			}
			// The vector's entropy encodes to the same words in the independent implementation.
			m, err := bip39.NewMnemonic(v.entropy)
			if err != nil || m != strings.Join(v.words, " ") {
				t.Fatalf("go-bip39 disagrees with the vector: %q %v", m, err)
			}
		})
	}
}

func TestCheckUnknownWordNamesPosition(t *testing.T) {
	words := loadVectors(t)[1].words
	bad := append([]string(nil), words...)
	bad[6] = "wordy"
	bad[9] = "zzz"
	err := Check(bad)
	var unknown *UnknownWordError
	if !errors.As(err, &unknown) || !errors.Is(err, ErrUnknownWord) {
		t.Fatalf("Check = %v, want *UnknownWordError", err)
	}
	if unknown.Position != 7 || unknown.Word != "wordy" {
		t.Fatalf("got position %d word %q, want 7 %q", unknown.Position, unknown.Word, "wordy")
	}
}

func TestCheckWordCount(t *testing.T) {
	words := loadVectors(t)[0].words
	for _, n := range []int{0, 12, 23, 25} {
		in := make([]string, n)
		for i := range in {
			in[i] = words[i%24]
		}
		if err := Check(in); !errors.Is(err, ErrWordCount) {
			t.Errorf("%d words: Check = %v, want ErrWordCount", n, err)
		}
	}
}

// Agrees with go-bip39 (an implementation we did not write) on random phrases and on single-word changes of
// them, which break the checksum in 255 of 256 cases.
func TestCheckAgreesWithGoBIP39(t *testing.T) {
	list := List()
	for i := 0; i < 200; i++ {
		entropy := make([]byte, 32)
		rand.Read(entropy)
		m, err := bip39.NewMnemonic(entropy)
		if err != nil {
			t.Fatal(err)
		}
		words := strings.Fields(m)
		if err := Check(words); err != nil {
			t.Fatalf("Check(%q) = %v", m, err)
		}
		var pick [3]byte
		rand.Read(pick[:])
		words[int(pick[0])%24] = list[(int(pick[1])<<8|int(pick[2]))%2048]
		_, theirs := bip39.MnemonicToByteArray(strings.Join(words, " "))
		ours := Check(words)
		if (theirs == nil) != (ours == nil) {
			t.Fatalf("disagreement on %q: go-bip39 %v, ours %v", words, theirs, ours)
		}
		if ours != nil && !errors.Is(ours, ErrChecksum) {
			t.Fatalf("Check = %v, want ErrChecksum", ours)
		}
	}
}

func TestSplitAndNormalize(t *testing.T) {
	got := Split("1. Legal  winner,\n2) THANK\t year ")
	want := []string{"legal", "winner", "thank", "year"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Split = %q, want %q", got, want)
	}
	if _, ok := Index("  Zoo "); !ok {
		t.Fatal("Index should normalize")
	}
	if len(List()) != 2048 {
		t.Fatalf("List has %d words", len(List()))
	}
}

func TestPickPositions(t *testing.T) {
	counts := make([]int, Words+1)
	for i := 0; i < 2000; i++ {
		p, err := PickPositions(rand.Reader, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != 3 || !(1 <= p[0] && p[0] < p[1] && p[1] < p[2] && p[2] <= Words) {
			t.Fatalf("PickPositions = %v", p)
		}
		for _, x := range p {
			counts[x]++
		}
	}
	for pos := 1; pos <= Words; pos++ { // expected 250 each; a position never drawn would be a bug
		if counts[pos] < 150 {
			t.Errorf("position %d drawn %d times of 6000", pos, counts[pos])
		}
	}
	if _, err := PickPositions(bytes.NewReader([]byte{1, 1, 1}), 3); err == nil {
		t.Fatal("a reader that runs dry must be an error")
	}
	if _, err := PickPositions(rand.Reader, 25); err == nil {
		t.Fatal("25 positions must be refused")
	}
}

// FuzzCheck: typed or pasted text never panics Check, and Check agrees with go-bip39 on 24-word inputs.
func FuzzCheck(f *testing.F) {
	f.Add("legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title")
	f.Add("1. zoo, 2. zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote")
	f.Add("abandon ABANDON \u00e9 \x00")
	f.Fuzz(func(t *testing.T, in string) {
		words := Split(in)
		err := Check(words)
		if len(words) != Words {
			if !errors.Is(err, ErrWordCount) {
				t.Fatalf("%d words: %v", len(words), err)
			}
			return
		}
		_, theirs := bip39.MnemonicToByteArray(strings.Join(words, " "))
		if (err == nil) != (theirs == nil) {
			t.Fatalf("disagreement on %q: ours %v, go-bip39 %v", words, err, theirs)
		}
	})
}
