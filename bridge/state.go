package bridge

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/twinkey/twinkey/core"
	"github.com/twinkey/twinkey/core/counter"
	"github.com/twinkey/twinkey/core/vault"
)

// storageCounter keeps one role's next counter value as 4 big-endian bytes under "counter.<role>" in Local.
// Counters are kept when the vault is erased, so a phrase restored later in the same browser never repeats a value.
type storageCounter struct {
	st  Storage
	key string
}

func (c storageCounter) Load(ctx context.Context) (uint32, bool, error) {
	b, err := c.st.Get(ctx, c.key)
	if err != nil || b == nil {
		return 0, false, err
	}
	if len(b) != 4 {
		return 0, false, errors.New("bridge: corrupt counter record")
	}
	return binary.BigEndian.Uint32(b), true, nil
}

func (c storageCounter) Store(ctx context.Context, next uint32) error {
	return c.st.Set(ctx, c.key, binary.BigEndian.AppendUint32(nil, next))
}

// vaultFile returns the stored vault file or errVaultMissing.
func (s *server) vaultFile(ctx context.Context) ([]byte, error) {
	file, err := s.env.Local.Get(ctx, keyVault)
	if err != nil {
		return nil, err
	}
	if file == nil {
		return nil, errVaultMissing
	}
	return file, nil
}

// openVault opens the vault with the session's unlock key: errVaultMissing, errVaultLocked, or the contents.
// A stale key (the passphrase changed elsewhere) counts as locked and is dropped.
func (s *server) openVault(ctx context.Context) (vault.Contents, error) {
	file, err := s.vaultFile(ctx)
	if err != nil {
		return vault.Contents{}, err
	}
	key, err := s.env.Session.Get(ctx, keyVaultKey)
	if err != nil {
		return vault.Contents{}, err
	}
	if key == nil {
		return vault.Contents{}, errVaultLocked
	}
	c, err := vault.OpenWithKey(file, key)
	if errors.Is(err, vault.ErrWrongPassphrase) {
		s.env.Session.Delete(ctx, keyVaultKey)
		return vault.Contents{}, errVaultLocked
	}
	return c, err
}

// authenticator builds the authenticator of the unlocked vault, with its role's counter.
func (s *server) authenticator(ctx context.Context) (*core.Authenticator, error) {
	c, ctr, err := s.unlockedCounter(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Wipe()
	return core.New(c.Secret, ctr, s.env.Rand)
}

// unlockedCounter opens the unlocked vault and builds its role's counter. The caller wipes the contents; on error
// there is nothing to wipe.
func (s *server) unlockedCounter(ctx context.Context) (vault.Contents, *counter.Counter, error) {
	c, err := s.openVault(ctx)
	if err != nil {
		return vault.Contents{}, nil, err
	}
	ctr, err := s.counter(c)
	if err != nil {
		c.Wipe()
		return vault.Contents{}, nil, err
	}
	return c, ctr, nil
}

// counter builds the counter of the vault's role, with the role's Hand (values reserved ahead, kept for the life
// of this server).
func (s *server) counter(c vault.Contents) (*counter.Counter, error) {
	role := counter.Role(c.Role)
	var floor uint32
	if c.Restored && role == counter.RolePrimary {
		floor = counter.RestoredPrimaryFloor(time.Unix(c.CreatedUnix, 0))
	}
	ctr, err := counter.New(storageCounter{s.env.Local, keyCounterPrefix + string(role)}, role, floor)
	if err != nil {
		return nil, err
	}
	hand, ok := s.hands[role]
	if !ok {
		hand = &counter.Hand{}
		s.hands[role] = hand
	}
	return ctr.WithHand(hand), nil
}
