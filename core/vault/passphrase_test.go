package vault

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPassphrase(t *testing.T) {
	for _, ok := range []string{"12345678", "éééééééé", "correct horse battery staple", strings.Repeat("x", 1024)} {
		if err := CheckPassphrase(ok); err != nil {
			t.Errorf("CheckPassphrase(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1234567", "ééé", "abcdefg\xff", strings.Repeat("x", 1025)} {
		if err := CheckPassphrase(bad); !errors.Is(err, ErrWeakPassphrase) {
			t.Errorf("CheckPassphrase(%q) = %v, want ErrWeakPassphrase", bad, err)
		}
	}
	if err := CheckPassphrase("1234567"); !strings.Contains(err.Error(), "7 characters, at least 8") {
		t.Errorf("message %q does not say what is wrong", err)
	}
}

func TestPassphraseStrength(t *testing.T) {
	for _, tc := range []struct {
		passphrase string
		want       int
	}{
		{"", StrengthTooWeak},
		{"short", StrengthTooWeak},            // refused by CheckPassphrase
		{"password", StrengthTooWeak},         // common
		{"PassWord", StrengthTooWeak},         // common, any case
		{"aaaaaaaaaaaaaaaa", StrengthTooWeak}, // one effective character
		{"abcdefghijklmnop", StrengthTooWeak}, // a sequence
		{"98765432109876", StrengthTooWeak},   // descending runs
		{"kdmwqpxz", StrengthWeak},            // 8 × log2(26) = 37.6 bits
		{"kdmwqpxzat", StrengthFair},          // 10 × 4.70 = 47 bits
		{"Kd7!wq#Pz2", StrengthGood},          // 10 × log2(95) = 65.7 bits
		{"correct horse battery staple", StrengthExcellent},
		{"Tr0ub4dor&3", StrengthGood}, // 11 × log2(95) = 72 bits
	} {
		if got := PassphraseStrength(tc.passphrase); got != tc.want {
			t.Errorf("PassphraseStrength(%q) = %d, want %d", tc.passphrase, got, tc.want)
		}
	}
}
