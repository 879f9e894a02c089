package vault

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MinPassphraseLength is the shortest passphrase Seal and ChangePassphrase accept, in Unicode characters.
const MinPassphraseLength = 8

// CheckPassphrase applies the rules a new passphrase must meet: not empty, at least MinPassphraseLength
// characters, valid UTF-8, at most 1024 bytes. It returns an error wrapping ErrWeakPassphrase that says which
// rule failed (and never quotes the passphrase).
func CheckPassphrase(passphrase string) error {
	switch n := utf8.RuneCountInString(passphrase); {
	case passphrase == "":
		return fmt.Errorf("%w: the passphrase is empty", ErrWeakPassphrase)
	case !utf8.ValidString(passphrase):
		return fmt.Errorf("%w: the passphrase is not valid UTF-8", ErrWeakPassphrase)
	case n < MinPassphraseLength:
		return fmt.Errorf("%w: the passphrase has %d characters, at least %d are needed", ErrWeakPassphrase, n, MinPassphraseLength)
	case len(passphrase) > maxPassphrase:
		return fmt.Errorf("%w: the passphrase is longer than %d bytes", ErrWeakPassphrase, maxPassphrase)
	}
	return nil
}

// Strength levels returned by PassphraseStrength, for a meter in the UI.
const (
	StrengthTooWeak    = 0 // refused by CheckPassphrase, a very common password, or under 28 bits
	StrengthWeak       = 1 // under 40 bits
	StrengthFair       = 2 // under 60 bits
	StrengthGood       = 3 // under 80 bits
	StrengthExcellent  = 4 // 80 bits or more
	strengthWeakBits   = 28
	strengthFairBits   = 40
	strengthGoodBits   = 60
	strengthStrongBits = 80
)

// isCommonPassword reports whether lower (a lower-cased passphrase of acceptable length) is one that guessers
// try first. The check is a hint, not a blocklist: PassphraseStrength rates these 0, Seal still accepts them.
func isCommonPassword(lower string) bool {
	switch lower {
	case "password", "password1", "password123", "12345678", "123456789", "1234567890", "qwertyuiop",
		"qwerty123", "iloveyou", "11111111", "00000000", "abcdefgh", "abc12345", "letmein1", "passw0rd",
		"sunshine", "princess", "football", "baseball", "welcome1", "trustno1", "superman", "starwars",
		"whatever", "1q2w3e4r", "asdfghjkl", "changeme", "twinkey1", "twinkey123":
		return true
	}
	return false
}

// PassphraseStrength estimates the strength of a passphrase as 0 (too weak) to 4 (excellent), for the UI. It is
// a rough estimate, not a guarantee: it counts the characters that do not continue a run or a sequence
// ("aaaa", "abcd", "4321") and multiplies by log2 of the size of the character classes used (lower case 26,
// upper case 26, digits 10, ASCII symbols and space 33, other characters 100). Long multi-word passphrases
// score high; a very common password scores 0.
func PassphraseStrength(passphrase string) int {
	if CheckPassphrase(passphrase) != nil {
		return StrengthTooWeak
	}
	if isCommonPassword(strings.ToLower(passphrase)) {
		return StrengthTooWeak
	}
	var hasLower, hasUpper, hasDigit, hasSymbol, hasOther bool
	effective := 0
	var prev, prevStep rune
	for i, r := range passphrase {
		switch {
		case r >= 'a' && r <= 'z':
			hasLower = true
		case r >= 'A' && r <= 'Z':
			hasUpper = true
		case r >= '0' && r <= '9':
			hasDigit = true
		case r < utf8.RuneSelf && (unicode.IsPunct(r) || unicode.IsSymbol(r) || r == ' '):
			hasSymbol = true
		default:
			hasOther = true
		}
		step := r - prev
		// A character that repeats the previous one or continues a +1/-1 sequence adds almost nothing.
		if i == 0 || !(step == 0 || (step == prevStep && (step == 1 || step == -1))) {
			effective++
		}
		prev, prevStep = r, step
	}
	pool := 0
	for _, c := range []struct {
		used bool
		size int
	}{{hasLower, 26}, {hasUpper, 26}, {hasDigit, 10}, {hasSymbol, 33}, {hasOther, 100}} {
		if c.used {
			pool += c.size
		}
	}
	bits := float64(effective) * math.Log2(float64(pool))
	switch {
	case bits < strengthWeakBits:
		return StrengthTooWeak
	case bits < strengthFairBits:
		return StrengthWeak
	case bits < strengthGoodBits:
		return StrengthFair
	case bits < strengthStrongBits:
		return StrengthGood
	}
	return StrengthExcellent
}
