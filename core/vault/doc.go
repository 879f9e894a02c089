// Package vault keeps Twinkey's 32-byte device secret: encrypted at rest under a passphrase (the vault file) and
// written on paper as a 24-word BIP39 recovery phrase.
//
// The package is pure Go and builds for GOOS=js GOARCH=wasm: it reads no files, reads no clock, draws randomness
// only from the io.Reader it is given and keeps no mutable package state. Time comes in as Contents.CreatedUnix.
//
// # Vault file, version 1
//
// The file is one UTF-8 JSON object, written by the caller as a single storage value (chrome.storage.local key
// "vault"). Example (line breaks added):
//
//	{"v":1,
//	 "kdf":{"alg":"argon2id","t":1,"m":65536,"p":1,"salt":"q83vEjRWeJC6s7zN7/EjRQ=="},
//	 "aead":"xchacha20poly1305",
//	 "role":"primary","created":1763888000,"restored":false,
//	 "check":"…32 bytes, base64…",
//	 "nonce":"…24 bytes, base64…",
//	 "ct":"…48 bytes, base64…"}
//
// Fields (byte strings are standard base64 with padding, RFC 4648 §4):
//
//	v         integer  format version; 1. A larger value is ErrUnsupportedVersion, anything else ErrCorrupt.
//	kdf.alg   string   "argon2id" (RFC 9106, version 0x13, as implemented by golang.org/x/crypto/argon2).
//	kdf.t     integer  argon2id passes (Params.Time), 1..MaxTime.
//	kdf.m     integer  argon2id memory in KiB (Params.MemoryKiB), 8*p..MaxMemoryKiB.
//	kdf.p     integer  argon2id lanes (Params.Threads), 1..MaxThreads.
//	kdf.salt  bytes    16 random bytes, fresh at every Seal and ChangePassphrase.
//	aead      string   "xchacha20poly1305" (draft-irtf-cfrg-xchacha-03, golang.org/x/crypto/chacha20poly1305.NewX).
//	role      string   "primary" or "backup" (Role).
//	created   integer  Unix seconds at which the secret was created or restored (Contents.CreatedUnix).
//	restored  boolean  true when the secret came from a recovery phrase rather than from this vault's RNG.
//	check     bytes    32-byte key check (see Keys). Tells a wrong passphrase from a modified file.
//	nonce     bytes    24 random bytes, fresh at every Seal.
//	ct        bytes    48 bytes: XChaCha20-Poly1305(aeadKey, nonce, plaintext = the 32-byte secret, AD).
//
// Unknown fields are rejected (ErrCorrupt); so is a file larger than MaxFileSize.
//
// # Keys
//
//	unlockKey = argon2.IDKey(passphrase as UTF-8 bytes, salt, t, m, p, 32)     // returned to the caller
//	aeadKey   = HKDF-Expand-SHA256(unlockKey, "twinkey vault v1 aead", 32)      // RFC 5869 §2.3
//	check     = HKDF-Expand-SHA256(unlockKey, "twinkey vault v1 key check", 32)  // stored in the file
//
// The unlock key is already uniformly random, so HKDF-Extract is skipped (RFC 5869 §3.3). The key check reveals
// nothing about the AEAD key (HKDF-Expand outputs with different info strings are independent); it costs an
// offline guesser the same KDF run per guess as the AEAD tag does. The passphrase is used
// as given, with no Unicode normalization: it is only ever typed again in the same browser.
//
// # Associated data
//
// Every header field is bound to the ciphertext through the associated data AD of the AEAD, a canonical
// byte string built from the parsed values (not from the JSON text, so JSON spacing does not matter and a changed
// value always does). Integers are big-endian; strings are prefixed with their length in one byte:
//
//	offset  size  field
//	0       18    "twinkey-vault-ad\x00\x01"  (label, NUL, format version 1)
//	18      1+n   kdf.alg
//	.       4     kdf.t
//	.       4     kdf.m
//	.       1     kdf.p
//	.       1+16  kdf.salt
//	.       1+n   aead
//	.       1+n   role
//	.       8     created (two's complement)
//	.       1     restored (0 or 1)
//
// # Opening and errors
//
// Open derives the unlock key from the passphrase and the file's own KDF parameters; OpenWithKey starts from a
// stored unlock key and skips the KDF. Both compare the key check in constant time and verify the AEAD tag:
//
//	key check  AEAD tag  result
//	matches    valid     the contents
//	matches    invalid   ErrCorrupt: the right key, but the header or ciphertext was changed
//	differs    valid     ErrCorrupt: the right key, but the key check was changed
//	differs    invalid   ErrWrongPassphrase: a wrong passphrase, a stale unlock key, or a changed salt or KDF
//	                     parameter (these change the key, so they cannot be told from a wrong passphrase)
//
// A file that does not parse is ErrCorrupt; a file from a newer format is ErrUnsupportedVersion. No input makes
// this package panic, and a failed call returns zero Contents and a nil key.
//
// # Atomicity
//
// Seal and ChangePassphrase return a complete new file and never modify their input. The caller stores the file
// as one value (one chrome.storage.local.set of one key), so after a crash storage holds either the old file or
// the new one, never a mix. ChangePassphrase draws a new salt, so the unlock key held for the old file stops
// opening the new one (ErrWrongPassphrase): the caller replaces the stored unlock key together with the file.
//
// # Default KDF parameters
//
// DefaultParams is argon2id t=1, m=64 MiB, p=1. On the project's 2-core reference machine it costs about 400 ms
// in Go wasm inside the extension and 167 ms natively (shared/ENVIRONMENT.md); BenchmarkKDFDefault measured
// 140-200 ms under Node 20 (GOOS=js) and 62-82 ms natively (amd64), Go 1.26. The cost is paid at unlock (once per browser session) and again
// whenever a request needs user verification, where the user is waiting on a consent prompt, so it must stay
// under about half a second in wasm. 64 MiB with one pass is above OWASP's Password Storage Cheat Sheet minimum
// for argon2id (46 MiB, t=1, p=1) and matches the memory of RFC 9106 §4's second recommended option (which uses
// t=3: three times our wasm budget). Memory, not passes, is what makes GPU guessing expensive, so the budget goes
// to memory. p=1 because Go wasm runs on one thread: more lanes would add no speed for us and none for an
// attacker's cost. The parameters live in each file, so raising the default later needs no format change: a file
// with weaker parameters (see Inspect) can be re-sealed at the next unlock.
//
// # Recovery phrase
//
// Phrase encodes the secret as BIP39 English (BIP-0039, "Generating the mnemonic"): the 256-bit secret is the
// entropy, followed by the first 8 bits of its SHA-256 as checksum; the 264 bits are cut into 24 groups of 11
// bits, each an index into the 2048-word English list (bip39_english.txt, SHA-256
// 2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda, the list published with BIP-0039).
// ParsePhrase reverses it. The phrase is the secret: never log it, nor errors from ParsePhrase, which quote the
// word the user typed.
//
// # Memory hygiene
//
// Buffers this package allocates for the passphrase bytes, derived keys, plaintext and phrase bits are
// overwritten with zeros before it returns. Not wiped: argon2's internal work memory (golang.org/x/crypto does not
// expose it), the cipher state inside the AEAD, Go strings (passphrases, phrases) cannot be wiped, the garbage collector may have copied
// buffers, and Contents and the unlock key belong to the caller once returned: wiping them is the caller's job
// (see Contents.Wipe).
package vault
