package vault_test

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/twinkey/twinkey/core/vault"
)

// The first run of the extension: draw a secret, seal it, show the phrase once; later requests open the vault
// with the unlock key kept in session storage.
func ExampleSeal() {
	secret, err := vault.NewSecret(rand.Reader)
	if err != nil {
		panic(err)
	}
	c := vault.Contents{Secret: secret, Role: vault.RolePrimary, CreatedUnix: 1763888000}
	file, unlockKey, err := vault.Seal(rand.Reader, "correct horse battery staple", c, vault.DefaultParams)
	if err != nil {
		panic(err)
	}
	phrase := vault.Phrase(secret) // shown to the user once, never stored or logged
	_ = phrase

	opened, err := vault.OpenWithKey(file, unlockKey)
	fmt.Println(opened.Role, opened.Secret == secret, err)
	// Output: primary true <nil>
}

func ExampleParsePhrase() {
	_, err := vault.ParsePhrase("abandon abandon abandon abandon abandon abandon abandn abandon abandon abandon " +
		"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art")
	var unknown *vault.UnknownWordError
	if errors.As(err, &unknown) {
		fmt.Println(unknown.Position, unknown.Suggestions[0])
	}
	fmt.Println(err)

	_, err = vault.ParsePhrase("abandon abandon abandon")
	fmt.Println(err)
	// Output:
	// 7 abandon
	// word 7 "abandn" is not in the BIP39 English list (did you mean: abandon)
	// expected 24 words, got 3
}
