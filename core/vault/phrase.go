package vault

import (
	"crypto/sha256"
	"crypto/subtle"
	_ "embed" // the BIP39 English word list
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// PhraseWords is the number of words of a recovery phrase: 256 bits of secret plus 8 bits of checksum, 11 bits a
// word (BIP-0039, "Generating the mnemonic": ENT=256, CS=8, MS=24).
const PhraseWords = 24

const (
	bitsPerWord      = 11
	wordIndexMask    = 1<<bitsPerWord - 1
	wordlistSize     = 1 << bitsPerWord
	maxSuggestions   = 5
	maxQuotedWordLen = 32 // runes of an unknown word kept in an UnknownWordError
)

// Errors of ParsePhrase. Their messages are meant for the person typing the phrase. ParsePhrase's errors may quote
// a typed word, which is part of the secret: show them, never log them.
var (
	// ErrWordCount: the phrase does not have 24 words. The error returned wraps it with the count found.
	ErrWordCount = errors.New("expected 24 words")
	// ErrChecksum: every word is in the list but the BIP39 checksum does not match.
	ErrChecksum = errors.New("the words do not check out (checksum): a word is wrong or out of order")
	// ErrUnknownWord matches (errors.Is) every *UnknownWordError.
	ErrUnknownWord = errors.New("a word is not in the BIP39 English list")
)

// UnknownWordError reports the first word of a phrase that is not in the BIP39 English list.
type UnknownWordError struct {
	Position    int      // 1-based position of the word in the phrase
	Word        string   // the word as read (lower case, at most 32 characters)
	Suggestions []string // list words close to it, closest first (at most 5; may be empty)
}

func (e *UnknownWordError) Error() string {
	msg := fmt.Sprintf("word %d %q is not in the BIP39 English list", e.Position, e.Word)
	if len(e.Suggestions) > 0 {
		msg += " (did you mean: " + strings.Join(e.Suggestions, ", ") + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrUnknownWord) true.
func (e *UnknownWordError) Is(target error) bool { return target == ErrUnknownWord }

//go:embed bip39_english.txt
var englishWordlistFile string

// englishWordlist returns the 2048 words of the BIP39 English list in list order (which is sorted, so it can be
// binary searched). Callers must not modify it.
var englishWordlist = sync.OnceValue(func() []string {
	return strings.Fields(englishWordlistFile)
})

// Wordlist returns a copy of the 2048 words of the BIP39 English list, in order: word i encodes the 11-bit value i.
func Wordlist() []string { return slices.Clone(englishWordlist()) }

// Phrase returns the 24-word BIP39 English recovery phrase of secret, words separated by single spaces.
func Phrase(secret [32]byte) string {
	list := englishWordlist()
	var bits [secretSize + 2]byte // secret, checksum byte, and one zero byte so every 3-byte read is in range
	copy(bits[:], secret[:])
	sum := sha256.Sum256(secret[:])
	bits[secretSize] = sum[0]
	defer clear(bits[:])
	defer clear(sum[:])

	words := make([]string, PhraseWords)
	for i := range words {
		words[i] = list[wordIndex(&bits, i)]
	}
	return strings.Join(words, " ")
}

// wordIndex reads the i-th 11-bit group of bits, most significant bit first.
func wordIndex(bits *[secretSize + 2]byte, i int) int {
	bit := i * bitsPerWord
	at := bit / 8
	v := int(bits[at])<<16 | int(bits[at+1])<<8 | int(bits[at+2])
	return v >> (24 - bitsPerWord - bit%8) & wordIndexMask
}

// ParsePhrase decodes a 24-word BIP39 English recovery phrase into the secret. It ignores case and any run of
// white space (spaces, tabs, new lines) around and between words.
//
// Errors, checked in this order: *UnknownWordError (errors.Is ErrUnknownWord) for the first word not in the list,
// ErrWordCount, ErrChecksum. On error the secret is zero.
func ParsePhrase(s string) ([32]byte, error) {
	words := strings.Fields(strings.ToLower(s))
	list := englishWordlist()
	indices := make([]int, len(words))
	defer clear(indices)
	for i, w := range words {
		idx, ok := slices.BinarySearch(list, w)
		if !ok {
			w = truncateRunes(w, maxQuotedWordLen)
			return [32]byte{}, &UnknownWordError{Position: i + 1, Word: w, Suggestions: suggest(list, w)}
		}
		indices[i] = idx
	}
	if len(words) != PhraseWords {
		return [32]byte{}, fmt.Errorf("%w, got %d", ErrWordCount, len(words))
	}

	var bits [secretSize + 2]byte
	defer clear(bits[:])
	for i, idx := range indices {
		bit := i * bitsPerWord
		at := bit / 8
		v := idx << (24 - bitsPerWord - bit%8)
		bits[at] |= byte(v >> 16)
		bits[at+1] |= byte(v >> 8)
		bits[at+2] |= byte(v)
	}
	var secret [32]byte
	copy(secret[:], bits[:secretSize])
	sum := sha256.Sum256(secret[:])
	defer clear(sum[:])
	if subtle.ConstantTimeByteEq(sum[0], bits[secretSize]) != 1 {
		clear(secret[:])
		return [32]byte{}, ErrChecksum
	}
	return secret, nil
}

// CompleteWord returns the words of the BIP39 English list that start with prefix (case and surrounding white
// space ignored), in list order; none for an empty prefix. Four letters always identify a word (BIP-0039,
// "Wordlist").
func CompleteWord(prefix string) []string {
	p := strings.ToLower(strings.TrimSpace(prefix))
	if p == "" {
		return nil
	}
	list := englishWordlist()
	start, _ := slices.BinarySearch(list, p)
	var out []string
	for _, w := range list[start:] {
		if !strings.HasPrefix(w, p) {
			break
		}
		out = append(out, w)
	}
	return out
}

// suggest returns up to maxSuggestions list words close to w: first the words w is a prefix of or that share
// w's first four letters, then words at edit distance 1, then 2 (optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours).
func suggest(list []string, w string) []string {
	type candidate struct {
		word string
		rank int
	}
	var found []candidate
	typed := []rune(w)
	var d editDistance
	for _, c := range list {
		switch {
		case strings.HasPrefix(c, w) || (len(w) >= 4 && strings.HasPrefix(c, w[:4])):
			found = append(found, candidate{c, 0})
		default:
			if dist := d.within(typed, c, 2); dist <= 2 {
				found = append(found, candidate{c, dist})
			}
		}
	}
	slices.SortStableFunc(found, func(a, b candidate) int { return a.rank - b.rank })
	out := make([]string, 0, maxSuggestions)
	for _, c := range found {
		if len(out) == maxSuggestions {
			break
		}
		out = append(out, c.word)
	}
	return out
}

// editDistance computes optimal string alignment distances, reusing its three rows of the dynamic programming
// table (i-2, i-1, i) from call to call.
type editDistance struct{ prev2, prev, cur []int }

// within returns the distance between a and the ASCII word b, or limit+1 when it exceeds limit.
func (d *editDistance) within(a []rune, b string, limit int) int {
	if diff := len(a) - len(b); diff > limit || -diff > limit {
		return limit + 1
	}
	n := len(b) + 1
	if cap(d.cur) < n {
		d.prev2, d.prev, d.cur = make([]int, n), make([]int, n), make([]int, n)
	}
	prev2, prev, cur := d.prev2[:n], d.prev[:n], d.cur[:n]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j < n; j++ {
			cost := 1
			if a[i-1] == rune(b[j-1]) {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == rune(b[j-2]) && a[i-2] == rune(b[j-1]) {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[n-1], limit+1)
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
