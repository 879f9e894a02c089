// Package phrase checks a 24-word BIP39 English recovery phrase as a person types it, before the phrase is sent
// to the bridge (which checks it again: bridge/PROTOCOL.md, /v1/vault/restore answers BadPhrase). The word list
// and the BIP39 checksum are core/vault's (one implementation for the bridge and the pages); this package adds
// what the page needs around them: splitting pasted text, the order in which problems are reported, and the random
// choice of words to confirm.
package phrase

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/twinkey/twinkey/core/vault"
)

// Words is the number of words in a Twinkey recovery phrase (256 bits of entropy, BIP39 "ENT=256").
const Words = 24

// Sentinel errors: each is a distinct thing the person must fix.
var (
	// ErrWordCount: the phrase does not have exactly Words words.
	ErrWordCount = errors.New("a recovery phrase has 24 words")
	// ErrUnknownWord: a word is not in the BIP39 English list (the error is an *UnknownWordError).
	ErrUnknownWord = errors.New("word not in the recovery word list")
	// ErrChecksum: every word is known but the BIP39 checksum does not match (a wrong, missing or swapped word).
	ErrChecksum = errors.New("the recovery phrase checksum does not match")
)

// UnknownWordError names the first word that is not in the list. Position is 1-based, as shown to people.
type UnknownWordError struct {
	Position int
	Word     string
}

func (e *UnknownWordError) Error() string {
	return "word " + strconv.Itoa(e.Position) + " (" + strconv.Quote(e.Word) + ") is not in the recovery word list"
}

// Unwrap makes errors.Is(err, ErrUnknownWord) true.
func (e *UnknownWordError) Unwrap() error { return ErrUnknownWord }

// wordlist is core/vault's BIP39 English list, read once per page.
var wordlist = vault.Wordlist()

// List returns the BIP39 English word list in index order (2048 words). The slice is shared: do not modify it.
func List() []string { return wordlist }

// Normalize turns what a person typed for one word into the form the list uses: trimmed and lower case.
func Normalize(typed string) string { return strings.ToLower(strings.TrimSpace(typed)) }

// Index returns the word's position in the list, or false when the (normalized) word is not in it.
func Index(word string) (int, bool) {
	return slices.BinarySearch(wordlist, Normalize(word)) // the BIP39 English list is sorted
}

// Split breaks a pasted phrase into normalized words, accepting any run of spaces, tabs, newlines or commas and
// leading numbers such as "1." or "1)" that people copy from a numbered list.
func Split(pasted string) []string {
	fields := strings.FieldsFunc(pasted, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == ','
	})
	words := make([]string, 0, len(fields))
	for _, f := range fields {
		f = strings.TrimRight(strings.TrimLeft(f, "0123456789"), ".)")
		if f = Normalize(f); f != "" {
			words = append(words, f)
		}
	}
	return words
}

// Check verifies a phrase given as its words, in order. It returns nil, an error wrapping ErrWordCount, an
// *UnknownWordError (the first unknown word), or ErrChecksum.
func Check(words []string) error {
	if len(words) != Words {
		return errors.Join(ErrWordCount, errors.New("got "+strconv.Itoa(len(words))))
	}
	for i, w := range words {
		if _, ok := Index(w); !ok {
			return &UnknownWordError{Position: i + 1, Word: Normalize(w)}
		}
	}
	if _, err := vault.ParsePhrase(strings.Join(words, " ")); errors.Is(err, vault.ErrChecksum) {
		return ErrChecksum
	} else if err != nil {
		return err
	}
	return nil
}

// PickPositions draws n distinct 1-based positions in [1, Words] from r, in increasing order, for the "confirm
// these words" step. It uses rejection sampling so every position is equally likely.
func PickPositions(r io.Reader, n int) ([]int, error) {
	if n < 1 || n > Words {
		return nil, errors.New("phrase: cannot pick " + strconv.Itoa(n) + " of 24 positions")
	}
	var chosen [Words + 1]bool
	picked := make([]int, 0, n)
	var b [1]byte
	for len(picked) < n {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.Join(errors.New("phrase: reading randomness"), err)
		}
		if b[0] >= 240 { // 240 = 10*24: keep the draw uniform
			continue
		}
		p := int(b[0])%Words + 1
		if !chosen[p] {
			chosen[p] = true
			picked = append(picked, p)
		}
	}
	out := picked[:0]
	for p := 1; p <= Words; p++ {
		if chosen[p] {
			out = append(out, p)
		}
	}
	return out, nil
}
