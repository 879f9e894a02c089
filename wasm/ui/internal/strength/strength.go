// Package strength gives a rough, explainable estimate of how hard a passphrase is to guess, for the hint shown
// while a person chooses one. It is a hint, not a guarantee: the vault's slow key derivation (core/vault) is what
// makes each guess expensive.
//
// The estimate adds, per character, log2(size of the character classes used) for a character that starts a word
// or is not a letter, and 2 bits for a letter that continues a word (roughly what a letter adds to dictionary
// words); a character repeating the previous one counts a quarter, one continuing a sequence ("abc", "321") a
// half. The most common passwords, with or without trailing digits, are refused outright.
package strength

import (
	"math"
	"strings"
	"unicode"
)

// Level orders the hints from worst to best.
type Level int

const (
	TooShort   Level = iota // fewer than MinLength characters: refused
	VeryWeak                // refused: guessed quickly even through a slow key derivation
	Weak                    // accepted with a warning
	Fair                    // accepted
	Strong                  // accepted
	VeryStrong              // accepted
)

// MinLength is the shortest passphrase the UI accepts, in characters.
const MinLength = 8

// String is the word shown to people.
func (l Level) String() string {
	switch l {
	case TooShort:
		return "Too short"
	case VeryWeak:
		return "Very weak"
	case Weak:
		return "Weak"
	case Fair:
		return "Fair"
	case Strong:
		return "Strong"
	case VeryStrong:
		return "Very strong"
	}
	return "Unknown"
}

// Acceptable reports whether the UI lets a person choose a passphrase of this level.
func (l Level) Acceptable() bool { return l >= Weak }

// Estimate is the result of Assess.
type Estimate struct {
	Bits  float64 // estimated guessing entropy
	Level Level
	Hint  string // one sentence saying what would make it better, or that it is fine
}

// isCommon reports whether stem (lower-cased, trailing digits and symbols removed) is one of the passwords
// attackers try first; those are refused outright.
func isCommon(stem string) bool {
	switch stem {
	case "password", "passphrase", "qwerty", "qwertyuiop", "letmein", "iloveyou", "admin", "welcome", "monkey",
		"dragon", "football", "baseball", "abc", "abcdef", "twinkey", "security", "secret", "login", "master",
		"sunshine", "princess", "trustno", "changeme":
		return true
	}
	return false
}

// Assess estimates the strength of passphrase.
func Assess(passphrase string) Estimate {
	runes := []rune(passphrase)
	if len(runes) < MinLength {
		return Estimate{Level: TooShort, Hint: "Use at least 8 characters; several unrelated words work well."}
	}
	stem := strings.TrimRightFunc(strings.ToLower(passphrase), func(r rune) bool {
		return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	})
	if isCommon(stem) || strings.Trim(stem, "0123456789") == "" {
		return Estimate{Level: VeryWeak, Hint: "This is one of the first passphrases an attacker tries."}
	}

	var lower, upper, digit, symbol, other bool
	for _, r := range runes {
		switch {
		case r < 128 && unicode.IsLower(r):
			lower = true
		case r < 128 && unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		case r < 128:
			symbol = true
		default:
			other = true
		}
	}
	pool := 0.0
	for _, c := range []struct {
		used bool
		size float64
	}{{lower, 26}, {upper, 26}, {digit, 10}, {symbol, 33}, {other, 100}} {
		if c.used {
			pool += c.size
		}
	}
	perChar := math.Log2(pool)
	bits := 0.0
	for i, r := range runes {
		cost := perChar
		if i > 0 && unicode.IsLetter(r) && unicode.IsLetter(runes[i-1]) {
			cost = 2 // a letter continuing a word
		}
		switch {
		case i > 0 && r == runes[i-1]: // repeat: "aaaa"
			cost *= 0.25
		case i > 0 && (r == runes[i-1]+1 || r == runes[i-1]-1): // sequence: "abcd", "4321"
			cost *= 0.5
		}
		bits += cost
	}

	e := Estimate{Bits: bits}
	switch {
	case bits < 28:
		e.Level, e.Hint = VeryWeak, "Make it longer: add two or three unrelated words."
	case bits < 40:
		e.Level, e.Hint = Weak, "Acceptable, but a few more words would make it much harder to guess."
	case bits < 60:
		e.Level, e.Hint = Fair, "Good. One more word would make it strong."
	case bits < 80:
		e.Level, e.Hint = Strong, "A good choice."
	default:
		e.Level, e.Hint = VeryStrong, "An excellent choice."
	}
	return e
}
