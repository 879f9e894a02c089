package vault

import (
	"crypto/hkdf"
	"crypto/hmac" // hmac.Equal: constant-time comparison
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Sentinel errors: the decisions a caller makes on a failed Seal, Open, OpenWithKey or ChangePassphrase.
var (
	// ErrWrongPassphrase: the passphrase or unlock key does not open this file. Ask the user again (a stale
	// unlock key means: lock and ask for the passphrase).
	ErrWrongPassphrase = errors.New("vault: wrong passphrase")
	// ErrCorrupt: the file does not parse, or the right key found its contents modified.
	ErrCorrupt = errors.New("vault: file is corrupt")
	// ErrUnsupportedVersion: the file was written by a newer format version.
	ErrUnsupportedVersion = errors.New("vault: unsupported file version")
	// ErrWeakPassphrase: Seal or ChangePassphrase refused the new passphrase (empty, or shorter than
	// MinPassphraseLength characters).
	ErrWeakPassphrase = errors.New("vault: passphrase too weak")
)

// Role says which twin of a device secret a vault holds. The primary is created in the browser; the backup is
// restored from the recovery phrase and reports counters above the primary's range.
type Role string

// The roles, as written in the file's "role" field.
const (
	RolePrimary Role = "primary"
	RoleBackup  Role = "backup"
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return r == RolePrimary || r == RoleBackup }

// Params are the argon2id cost parameters (RFC 9106 §3.1: t, m, p). They are stored in each file.
type Params struct {
	Time      uint32 // passes over memory, t
	MemoryKiB uint32 // memory in KiB, m
	Threads   uint8  // lanes, p
}

// DefaultParams are the parameters new vaults get; the package doc gives the rationale.
var DefaultParams = Params{Time: 1, MemoryKiB: 64 * 1024, Threads: 1}

// Validate checks p against the bounds of this package (RFC 9106 §3.1 requires m >= 8*p).
func (p Params) Validate() error {
	switch {
	case p.Time < 1 || p.Time > MaxTime:
		return fmt.Errorf("argon2id time %d outside 1..%d", p.Time, MaxTime)
	case p.Threads < 1 || p.Threads > MaxThreads:
		return fmt.Errorf("argon2id threads %d outside 1..%d", p.Threads, MaxThreads)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > MaxMemoryKiB:
		return fmt.Errorf("argon2id memory %d KiB outside %d..%d", p.MemoryKiB, 8*uint32(p.Threads), MaxMemoryKiB)
	}
	return nil
}

// Contents is what a vault file holds. Only Secret is encrypted; the other fields are stored in clear and
// authenticated.
type Contents struct {
	Secret      [32]byte // the device secret; the recovery phrase encodes it
	Role        Role
	CreatedUnix int64 // Unix seconds the secret was created or restored (given by the caller: no clock here)
	Restored    bool  // the secret came from a recovery phrase
}

// Wipe overwrites the secret with zeros.
func (c *Contents) Wipe() { clear(c.Secret[:]) }

// UnlockKeySize is the length of the unlock key returned by Seal, Open and ChangePassphrase.
const UnlockKeySize = 32

const (
	nonceSize       = chacha20poly1305.NonceSizeX
	infoAEADKey     = "twinkey vault v1 aead"
	infoKeyCheck    = "twinkey vault v1 key check"
	maxPassphrase   = 1024 // bytes; longer input is refused rather than hashed
	derivedKeyBytes = 32
)

// NewSecret draws a fresh device secret from rand (crypto/rand.Reader in production).
func NewSecret(rand io.Reader) ([32]byte, error) {
	var s [32]byte
	if _, err := io.ReadFull(rand, s[:]); err != nil {
		return [32]byte{}, fmt.Errorf("vault: drawing the device secret: %w", err)
	}
	return s, nil
}

// Seal encrypts c under passphrase with KDF parameters p and returns the file bytes and the unlock key (the KDF
// output). The extension keeps the unlock key in chrome.storage.session while unlocked, so that each request can
// call OpenWithKey without the KDF. rand supplies the salt and nonce (crypto/rand.Reader in production).
//
// Errors: ErrWeakPassphrase for a passphrase CheckPassphrase refuses; other errors name the bad argument.
func Seal(rand io.Reader, passphrase string, c Contents, p Params) (file []byte, unlockKey []byte, err error) {
	if err := CheckPassphrase(passphrase); err != nil {
		return nil, nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, nil, fmt.Errorf("vault: seal: %w", err)
	}
	if !c.Role.Valid() {
		return nil, nil, fmt.Errorf("vault: seal: role %q is neither %q nor %q", c.Role, RolePrimary, RoleBackup)
	}
	f := &fileV1{
		Version:  FormatVersion,
		KDF:      kdfV1{Alg: kdfArgon2id, Time: p.Time, Memory: p.MemoryKiB, Threads: p.Threads, Salt: make([]byte, saltSize)},
		AEAD:     aeadXChaCha20Poly1305,
		Role:     c.Role,
		Created:  c.CreatedUnix,
		Restored: c.Restored,
		Nonce:    make([]byte, nonceSize),
	}
	if _, err := io.ReadFull(rand, f.KDF.Salt); err != nil {
		return nil, nil, fmt.Errorf("vault: seal: drawing the salt: %w", err)
	}
	if _, err := io.ReadFull(rand, f.Nonce); err != nil {
		return nil, nil, fmt.Errorf("vault: seal: drawing the nonce: %w", err)
	}
	key := deriveUnlockKey(passphrase, f)
	if err := f.seal(key, c.Secret[:]); err != nil {
		clear(key)
		return nil, nil, err
	}
	out, err := f.marshal()
	if err != nil {
		clear(key)
		return nil, nil, err
	}
	return out, key, nil
}

// Open decrypts file with passphrase, running the KDF with the parameters stored in the file, and returns the
// contents and the unlock key.
//
// Errors: ErrWrongPassphrase, ErrCorrupt, ErrUnsupportedVersion (see the package doc). On error the Contents are
// zero and the key is nil.
func Open(file []byte, passphrase string) (Contents, []byte, error) {
	f, err := parseFile(file)
	if err != nil {
		return Contents{}, nil, err
	}
	// No vault has an empty or oversized passphrase: refuse without paying for the KDF.
	if passphrase == "" || len(passphrase) > maxPassphrase {
		return Contents{}, nil, ErrWrongPassphrase
	}
	key := deriveUnlockKey(passphrase, f)
	c, err := f.open(key)
	if err != nil {
		clear(key)
		return Contents{}, nil, err
	}
	return c, key, nil
}

// OpenWithKey decrypts file with an unlock key returned earlier by Seal, Open or ChangePassphrase, without the
// KDF.
//
// Errors: ErrWrongPassphrase when the key does not open this file (for example a key kept from before
// ChangePassphrase), ErrCorrupt, ErrUnsupportedVersion. On error the Contents are zero.
func OpenWithKey(file []byte, unlockKey []byte) (Contents, error) {
	f, err := parseFile(file)
	if err != nil {
		return Contents{}, err
	}
	if len(unlockKey) != UnlockKeySize {
		return Contents{}, fmt.Errorf("%w: unlock key is %d bytes, want %d", ErrWrongPassphrase, len(unlockKey), UnlockKeySize)
	}
	return f.open(unlockKey)
}

// ChangePassphrase opens file with old and seals the same contents under new with KDF parameters p, a fresh
// salt and a fresh nonce. The old unlock key does not open the new file. The input file is not modified.
//
// Errors: those of Open for old, then those of Seal for new.
func ChangePassphrase(rand io.Reader, file []byte, old, new string, p Params) (newFile, newKey []byte, err error) {
	if err := CheckPassphrase(new); err != nil {
		return nil, nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, nil, fmt.Errorf("vault: change passphrase: %w", err)
	}
	c, oldKey, err := Open(file, old)
	if err != nil {
		return nil, nil, err
	}
	clear(oldKey)
	defer c.Wipe()
	return Seal(rand, new, c, p)
}

// deriveUnlockKey runs argon2id on the passphrase with f's parameters and salt. f must be validated.
func deriveUnlockKey(passphrase string, f *fileV1) []byte {
	pass := []byte(passphrase)
	defer clear(pass)
	return argon2.IDKey(pass, f.KDF.Salt, f.KDF.Time, f.KDF.Memory, f.KDF.Threads, UnlockKeySize)
}

// subkeys derives the AEAD key and the key-check value from the unlock key (package doc, "Keys").
func subkeys(unlockKey []byte) (aeadKey, check []byte, err error) {
	aeadKey, err = hkdf.Expand(sha256.New, unlockKey, infoAEADKey, derivedKeyBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("vault: deriving the aead key: %w", err)
	}
	check, err = hkdf.Expand(sha256.New, unlockKey, infoKeyCheck, checkSize)
	if err != nil {
		clear(aeadKey)
		return nil, nil, fmt.Errorf("vault: deriving the key check: %w", err)
	}
	return aeadKey, check, nil
}

// seal fills f.Check and f.Cipher. f's header fields, salt and nonce must be set.
func (f *fileV1) seal(unlockKey, secret []byte) error {
	aeadKey, check, err := subkeys(unlockKey)
	if err != nil {
		return err
	}
	defer clear(aeadKey)
	aead, err := chacha20poly1305.NewX(aeadKey)
	if err != nil {
		return fmt.Errorf("vault: seal: %w", err)
	}
	f.Check = check
	f.Cipher = aead.Seal(nil, f.Nonce, secret, f.associatedData())
	return nil
}

// open decrypts f with unlockKey. f must be validated. The key check and the AEAD tag decide the outcome:
//
//	key check  AEAD tag  result
//	matches    valid     the contents
//	matches    invalid   ErrCorrupt: the right key, but the header or ciphertext changed
//	differs    valid     ErrCorrupt: the right key, but the key check field changed
//	differs    invalid   ErrWrongPassphrase: the wrong key (or changed KDF parameters or salt)
func (f *fileV1) open(unlockKey []byte) (Contents, error) {
	aeadKey, check, err := subkeys(unlockKey)
	if err != nil {
		return Contents{}, err
	}
	defer clear(aeadKey)
	checkMatches := hmac.Equal(check, f.Check)
	aead, err := chacha20poly1305.NewX(aeadKey)
	if err != nil {
		return Contents{}, fmt.Errorf("vault: open: %w", err)
	}
	plain, err := aead.Open(nil, f.Nonce, f.Cipher, f.associatedData())
	if err != nil {
		if !checkMatches {
			return Contents{}, ErrWrongPassphrase
		}
		return Contents{}, fmt.Errorf("%w: the key is right but the file was modified", ErrCorrupt)
	}
	defer clear(plain)
	if !checkMatches {
		return Contents{}, fmt.Errorf("%w: the key is right but its key check was modified", ErrCorrupt)
	}
	if len(plain) != secretSize {
		return Contents{}, fmt.Errorf("%w: secret is %d bytes, want %d", ErrCorrupt, len(plain), secretSize)
	}
	c := Contents{Role: f.Role, CreatedUnix: f.Created, Restored: f.Restored}
	copy(c.Secret[:], plain)
	return c, nil
}
