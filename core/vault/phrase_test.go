package vault

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	bip39 "github.com/cosmos/go-bip39"
)

type bip39Vector struct {
	Entropy  string `json:"entropy"`
	Mnemonic string `json:"mnemonic"`
}

// loadBIP39Vectors reads the Trezor reference vectors (256-bit entropy, English) from testdata.
func loadBIP39Vectors(t testing.TB) []bip39Vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/bip39_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Vectors []bip39Vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Vectors) == 0 {
		t.Fatal("no BIP39 vectors loaded")
	}
	return doc.Vectors
}

func TestPhraseReferenceVectors(t *testing.T) {
	for _, v := range loadBIP39Vectors(t) {
		t.Run(v.Entropy[:8], func(t *testing.T) {
			raw, err := hex.DecodeString(v.Entropy)
			if err != nil || len(raw) != 32 {
				t.Fatalf("bad vector entropy %q", v.Entropy)
			}
			secret := [32]byte(raw)
			if got := Phrase(secret); got != v.Mnemonic {
				t.Errorf("Phrase = %q\nwant    %q", got, v.Mnemonic)
			}
			got, err := ParsePhrase(v.Mnemonic)
			if err != nil || got != secret {
				t.Errorf("ParsePhrase = %x, %v; want %s", got, err, v.Entropy)
			}
		})
	}
}

// TestPhraseMatchesGoBIP39 compares random secrets with github.com/cosmos/go-bip39, an implementation we did not
// write.
func TestPhraseMatchesGoBIP39(t *testing.T) {
	for range 200 {
		secret, err := NewSecret(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		want, err := bip39.NewMnemonic(secret[:])
		if err != nil {
			t.Fatal(err)
		}
		phrase := Phrase(secret)
		if phrase != want {
			t.Fatalf("Phrase(%x) = %q, go-bip39 says %q", secret, phrase, want)
		}
		theirs, err := bip39.MnemonicToByteArray(phrase)
		if err != nil || len(theirs) != 33 || [32]byte(theirs[:32]) != secret {
			t.Fatalf("go-bip39 reads our phrase as %x, %v", theirs, err)
		}
		if got, err := ParsePhrase(want); err != nil || got != secret {
			t.Fatalf("ParsePhrase(go-bip39's phrase) = %x, %v", got, err)
		}
	}
}

func TestWordlist(t *testing.T) {
	// SHA-256 of bip-0039/english.txt as published with BIP-0039.
	const wantHash = "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"
	if got := sha256.Sum256([]byte(englishWordlistFile)); hex.EncodeToString(got[:]) != wantHash {
		t.Fatalf("bip39_english.txt has SHA-256 %x, want %s", got, wantHash)
	}
	list := Wordlist()
	if len(list) != 2048 {
		t.Fatalf("%d words", len(list))
	}
	if !slices.Equal(list, bip39.EnglishWordList) {
		t.Fatal("word list differs from go-bip39's")
	}
	if !slices.IsSorted(list) {
		t.Fatal("word list is not sorted: binary search would fail")
	}
	prefixes := map[string]string{}
	for _, w := range list {
		p := w[:min(4, len(w))]
		if other, dup := prefixes[p]; dup {
			t.Errorf("%q and %q share the prefix %q", other, w, p)
		}
		prefixes[p] = w
	}
	list[0] = "mutated"
	if Wordlist()[0] != "abandon" {
		t.Fatal("Wordlist returned the shared list, not a copy")
	}
}

func TestParsePhraseTolerance(t *testing.T) {
	v := loadBIP39Vectors(t)[4]
	want, _ := hex.DecodeString(v.Entropy)
	words := strings.Fields(v.Mnemonic)
	for name, s := range map[string]string{
		"upper case":       strings.ToUpper(v.Mnemonic),
		"capitalized":      capitalizeWords(words),
		"surrounding":      "  \n\t" + v.Mnemonic + " \r\n",
		"new lines":        strings.Join(words, "\n"),
		"runs of spaces":   strings.Join(words, "   \t "),
		"no-break spaces":  strings.Join(words, "\u00a0"),
		"one word a line":  strings.Join(words, "\r\n") + "\r\n",
		"ideographic sp.":  strings.Join(words, "\u3000"),
		"lower and upper ": strings.Join(words[:12], " ") + " " + strings.ToUpper(strings.Join(words[12:], " ")),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePhrase(s)
			if err != nil || got != [32]byte(want) {
				t.Fatalf("ParsePhrase = %x, %v", got, err)
			}
		})
	}
}

func TestParsePhraseUnknownWord(t *testing.T) {
	words := strings.Fields(loadBIP39Vectors(t)[0].Mnemonic) // abandon ×23, art
	for _, tc := range []struct {
		typed, want string
		position    int
	}{
		{"abandn", "abandon", 7},   // letter dropped
		{"abnadon", "abandon", 7},  // neighbours swapped
		{"Abandonn", "abandon", 1}, // letter doubled, upper case
		{"aban", "abandon", 24},    // cut short
		{"zoooo", "zoo", 3},
	} {
		w := slices.Clone(words)
		w[tc.position-1] = tc.typed
		secret, err := ParsePhrase(strings.Join(w, " "))
		var uw *UnknownWordError
		if !errors.As(err, &uw) || !errors.Is(err, ErrUnknownWord) || secret != ([32]byte{}) {
			t.Fatalf("%q: ParsePhrase = %x, %v", tc.typed, secret, err)
		}
		if uw.Position != tc.position || uw.Word != strings.ToLower(tc.typed) {
			t.Errorf("%q: position %d word %q", tc.typed, uw.Position, uw.Word)
		}
		if len(uw.Suggestions) == 0 || uw.Suggestions[0] != tc.want || len(uw.Suggestions) > 5 {
			t.Errorf("%q: suggestions %q, want %q first", tc.typed, uw.Suggestions, tc.want)
		}
	}

	w := slices.Clone(words)
	w[6] = "abandn"
	_, err := ParsePhrase(strings.Join(w, " "))
	if got, want := err.Error(), `word 7 "abandn" is not in the BIP39 English list (did you mean: abandon`; !strings.HasPrefix(got, want) {
		t.Errorf("message %q, want it to start with %q", got, want)
	}
	w[6] = "qqqqqqqqqq"
	_, err = ParsePhrase(strings.Join(w, " "))
	if got, want := err.Error(), `word 7 "qqqqqqqqqq" is not in the BIP39 English list`; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	w[6] = strings.Repeat("é", 100)
	_, err = ParsePhrase(strings.Join(w, " "))
	if errors.As(err, new(*UnknownWordError)) && len([]rune(err.(*UnknownWordError).Word)) != 32 {
		t.Errorf("long unknown word not cut to 32 characters: %v", err)
	}
	// An unknown word is reported even when the count is also wrong: it is the more precise message.
	if _, err := ParsePhrase("abandon abandn"); !errors.Is(err, ErrUnknownWord) {
		t.Errorf("short phrase with a typo: %v", err)
	}
}

func TestParsePhraseChecksum(t *testing.T) {
	for _, v := range loadBIP39Vectors(t) {
		words := strings.Fields(v.Mnemonic)
		if words[0] == words[1] {
			continue // swapping equal words changes nothing
		}
		words[0], words[1] = words[1], words[0]
		secret, err := ParsePhrase(strings.Join(words, " "))
		// A swap keeps the words valid; 1 in 256 swaps would pass the 8-bit checksum, none of these vectors' do.
		if !errors.Is(err, ErrChecksum) || secret != ([32]byte{}) {
			t.Errorf("%s with words 1 and 2 swapped: %x, %v", v.Entropy[:8], secret, err)
		}
	}
	secret, err := ParsePhrase(strings.Repeat("abandon ", 24))
	if !errors.Is(err, ErrChecksum) || secret != ([32]byte{}) {
		t.Fatalf("24 × abandon: %x, %v", secret, err)
	}
	if got, want := err.Error(), "the words do not check out (checksum): a word is wrong or out of order"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestParsePhraseWordCount(t *testing.T) {
	words := strings.Fields(loadBIP39Vectors(t)[1].Mnemonic)
	for _, tc := range []struct {
		phrase string
		msg    string
	}{
		{strings.Join(words[:23], " "), "expected 24 words, got 23"},
		{strings.Join(append(slices.Clone(words), "legal"), " "), "expected 24 words, got 25"},
		// A valid 12-word BIP39 phrase (Trezor vector for 128-bit entropy): right list, wrong length for us.
		{"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", "expected 24 words, got 12"},
		{"", "expected 24 words, got 0"},
		{" \n\t ", "expected 24 words, got 0"},
	} {
		secret, err := ParsePhrase(tc.phrase)
		if !errors.Is(err, ErrWordCount) || secret != ([32]byte{}) {
			t.Errorf("%q: %x, %v", tc.phrase, secret, err)
			continue
		}
		if err.Error() != tc.msg {
			t.Errorf("message %q, want %q", err.Error(), tc.msg)
		}
	}
}

func TestCompleteWord(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"aba", []string{"abandon"}},
		{" ABA ", []string{"abandon"}},
		{"zo", []string{"zone", "zoo"}},
		{"actr", []string{"actress"}},
		{"act", []string{"act", "action", "actor", "actress", "actual"}},
		{"xyz", nil},
		{"", nil},
		{"abandonment", nil},
	} {
		if got := CompleteWord(tc.prefix); !slices.Equal(got, tc.want) {
			t.Errorf("CompleteWord(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
	// Four letters identify every word (BIP-0039, "Wordlist"), and every word completes to itself.
	for _, w := range Wordlist() {
		got := CompleteWord(w[:min(4, len(w))])
		if len(w) >= 4 && !slices.Equal(got, []string{w}) {
			t.Errorf("CompleteWord(%q) = %q", w[:4], got)
		}
		if !slices.Contains(CompleteWord(w), w) {
			t.Errorf("CompleteWord(%q) misses the word itself", w)
		}
	}
}

// FuzzParsePhrase: no panic; a failure is one of the documented errors with a zero secret; a success is a
// canonical phrase round trip.
func FuzzParsePhrase(f *testing.F) {
	for _, v := range loadBIP39Vectors(f) {
		f.Add(v.Mnemonic)
		f.Add(strings.ToUpper(v.Mnemonic))
		words := strings.Fields(v.Mnemonic)
		f.Add(strings.Join(words[:23], " "))
		words[6] = "abandn"
		f.Add(strings.Join(words, "\n"))
	}
	f.Add(strings.Repeat("abandon ", 24))
	f.Add("")
	f.Add("\u00a0zoo\xff")
	f.Fuzz(func(t *testing.T, s string) {
		secret, err := ParsePhrase(s)
		if err != nil {
			if secret != ([32]byte{}) {
				t.Fatalf("failed parse returned secret %x", secret)
			}
			var uw *UnknownWordError
			switch {
			case errors.As(err, &uw):
				if n := len(strings.Fields(strings.ToLower(s))); uw.Position < 1 || uw.Position > n || len(uw.Suggestions) > 5 {
					t.Fatalf("bad UnknownWordError %+v for %d words", uw, n)
				}
				if slices.Contains(Wordlist(), uw.Word) {
					t.Fatalf("%q reported unknown", uw.Word)
				}
			case errors.Is(err, ErrWordCount), errors.Is(err, ErrChecksum):
			default:
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		if got, want := Phrase(secret), strings.Join(strings.Fields(strings.ToLower(s)), " "); got != want {
			t.Fatalf("ParsePhrase(%q) = %x, whose phrase is %q", s, secret, got)
		}
	})
}

func capitalizeWords(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(out, " ")
}
