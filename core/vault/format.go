package vault

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// FormatVersion is the vault file format this package writes (the "v" field).
const FormatVersion = 1

// Wire names of the algorithms of format version 1.
const (
	kdfArgon2id             = "argon2id"
	aeadXChaCha20Poly1305   = "xchacha20poly1305"
	saltSize                = 16
	checkSize               = 32 // HMAC-SHA256
	secretSize              = 32
	ciphertextSize          = secretSize + 16 // Poly1305 tag
	associatedDataLabel     = "twinkey-vault-ad\x00\x01"
	maxAssociatedDataLength = 128
)

// MaxFileSize bounds the vault files Open and Inspect accept. A version 1 file is about 400 bytes.
const MaxFileSize = 4096

// Bounds on the KDF parameters accepted from a file or given to Seal. They keep a modified file from making the
// KDF run for minutes or exhaust the 4 GiB wasm address space.
const (
	MaxTime      = 16
	MaxMemoryKiB = 256 * 1024 // 256 MiB
	MaxThreads   = 4
)

// fileV1 is the JSON envelope of format version 1, field by field as documented in the package doc.
type fileV1 struct {
	Version  int    `json:"v"`
	KDF      kdfV1  `json:"kdf"`
	AEAD     string `json:"aead"`
	Role     Role   `json:"role"`
	Created  int64  `json:"created"`
	Restored bool   `json:"restored"`
	Check    []byte `json:"check"`
	Nonce    []byte `json:"nonce"`
	Cipher   []byte `json:"ct"`
}

type kdfV1 struct {
	Alg     string `json:"alg"`
	Time    uint32 `json:"t"`
	Memory  uint32 `json:"m"`
	Threads uint8  `json:"p"`
	Salt    []byte `json:"salt"`
}

// Header is the unencrypted part of a vault file. Inspect returns it without a passphrase and without
// authenticating it: trust it for display and routing only; Open and OpenWithKey authenticate the same fields.
type Header struct {
	Version     int
	Params      Params
	Role        Role
	CreatedUnix int64
	Restored    bool
}

// Inspect parses a vault file and returns its header without decrypting or authenticating anything. It fails
// exactly when Open would fail before the KDF: ErrCorrupt or ErrUnsupportedVersion.
func Inspect(file []byte) (Header, error) {
	f, err := parseFile(file)
	if err != nil {
		return Header{}, err
	}
	return f.header(), nil
}

func (f *fileV1) header() Header {
	return Header{
		Version:     f.Version,
		Params:      Params{Time: f.KDF.Time, MemoryKiB: f.KDF.Memory, Threads: f.KDF.Threads},
		Role:        f.Role,
		CreatedUnix: f.Created,
		Restored:    f.Restored,
	}
}

// parseFile decodes and validates the envelope. Every structural check lives here, so that the KDF never runs on
// a file that could not open.
func parseFile(file []byte) (*fileV1, error) {
	if len(file) > MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes, larger than %d", ErrCorrupt, len(file), MaxFileSize)
	}
	// The version decides how to read the rest, so it is read first and on its own.
	var probe struct {
		Version *json.Number `json:"v"`
	}
	if err := json.Unmarshal(file, &probe); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object: %v", ErrCorrupt, err)
	}
	if probe.Version == nil {
		return nil, fmt.Errorf("%w: no version field", ErrCorrupt)
	}
	version, err := probe.Version.Int64()
	if err != nil || version < 1 {
		return nil, fmt.Errorf("%w: version %q", ErrCorrupt, probe.Version.String())
	}
	if version != FormatVersion {
		return nil, fmt.Errorf("%w: version %d (this build reads version %d)", ErrUnsupportedVersion, version, FormatVersion)
	}

	dec := json.NewDecoder(bytes.NewReader(file))
	dec.DisallowUnknownFields()
	f := new(fileV1)
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrCorrupt)
	}
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return f, nil
}

// validate checks every field against the package doc's table.
func (f *fileV1) validate() error {
	if f.KDF.Alg != kdfArgon2id {
		return fmt.Errorf("kdf %q, want %q", f.KDF.Alg, kdfArgon2id)
	}
	if err := f.header().Params.Validate(); err != nil {
		return err
	}
	if len(f.KDF.Salt) != saltSize {
		return fmt.Errorf("salt is %d bytes, want %d", len(f.KDF.Salt), saltSize)
	}
	if f.AEAD != aeadXChaCha20Poly1305 {
		return fmt.Errorf("aead %q, want %q", f.AEAD, aeadXChaCha20Poly1305)
	}
	if !f.Role.Valid() {
		return fmt.Errorf("role %q", f.Role)
	}
	if len(f.Check) != checkSize {
		return fmt.Errorf("key check is %d bytes, want %d", len(f.Check), checkSize)
	}
	if len(f.Nonce) != nonceSize {
		return fmt.Errorf("nonce is %d bytes, want %d", len(f.Nonce), nonceSize)
	}
	if len(f.Cipher) != ciphertextSize {
		return fmt.Errorf("ciphertext is %d bytes, want %d", len(f.Cipher), ciphertextSize)
	}
	return nil
}

// associatedData encodes the header as the canonical byte string of the package doc ("Associated data").
// It is called only on validated files, so every length fits in its one-byte prefix.
func (f *fileV1) associatedData() []byte {
	ad := make([]byte, 0, maxAssociatedDataLength)
	ad = append(ad, associatedDataLabel...)
	ad = appendShortBytes(ad, []byte(f.KDF.Alg))
	ad = binary.BigEndian.AppendUint32(ad, f.KDF.Time)
	ad = binary.BigEndian.AppendUint32(ad, f.KDF.Memory)
	ad = append(ad, f.KDF.Threads)
	ad = appendShortBytes(ad, f.KDF.Salt)
	ad = appendShortBytes(ad, []byte(f.AEAD))
	ad = appendShortBytes(ad, []byte(f.Role))
	ad = binary.BigEndian.AppendUint64(ad, uint64(f.Created))
	if f.Restored {
		ad = append(ad, 1)
	} else {
		ad = append(ad, 0)
	}
	return ad
}

func appendShortBytes(b, s []byte) []byte {
	b = append(b, byte(len(s)))
	return append(b, s...)
}

func (f *fileV1) marshal() ([]byte, error) {
	out, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("vault: encoding file: %w", err)
	}
	return out, nil
}
