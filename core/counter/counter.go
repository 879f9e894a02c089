// Package counter hands out signature counters that never repeat and never go down for one device role, and keeps
// the backup twin's counters above anything the primary can report.
//
// The twin scheme (Dmitry Frank, "Reliable, Secure and Universal Backup for U2F Token"): the primary counts in
// [1, BackupOffset), the backup in [BackupOffset, 2^32-1). A relying party that checks that counters only increase
// accepts the backup's first assertion and from then on refuses the primary as a possible clone: using the backup
// once revokes the lost primary at that site, and only there.
//
// One counter serves every site of a role (deterministic keys keep no per-site state). Privacy trade-off, stated in
// ARCHITECTURE.md: two sites comparing notes can see that counter values are close and from one device, and a
// value at or above BackupOffset tells a site this is a restored backup.
//
// Crash safety: Reserve stores next+1 before returning next, so a value is handed out at most once even if the
// process dies between "reserved" and "signature returned" (the value is then skipped, never reused).
package counter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// BackupOffset is the first counter value of the backup role (Frank's scheme used +2,000,000,000).
const BackupOffset uint32 = 2_000_000_000

// Role selects the counter range.
type Role string

const (
	RolePrimary Role = "primary"
	RoleBackup  Role = "backup"
)

// Range is an inclusive range of counter values.
type Range struct{ First, Last uint32 }

// RangeOf returns the counter range of a role.
func RangeOf(r Role) (Range, error) {
	switch r {
	case RolePrimary:
		return Range{First: 1, Last: BackupOffset - 1}, nil
	case RoleBackup:
		return Range{First: BackupOffset, Last: math.MaxUint32 - 1}, nil
	}
	return Range{}, fmt.Errorf("counter: unknown role %q", r)
}

// Policy is a site's counter policy.
type Policy string

const (
	// PolicyTwin (the default) reports the role's monotonic counter: the backup's first use revokes the primary at
	// counter-checking sites.
	PolicyTwin Policy = "twin"
	// PolicyZero always reports 0 ("no counter", WebAuthn L3 §6.1.1) for sites that punish counter jumps (some
	// invalidate a credential after a jump of 20,000 or more). Primary and backup then both keep working there,
	// and the backup revokes nothing.
	PolicyZero Policy = "zero"
)

// ParsePolicy maps "" to the default PolicyTwin and refuses unknown names.
func ParsePolicy(s string) (Policy, error) {
	switch Policy(s) {
	case "", PolicyTwin:
		return PolicyTwin, nil
	case PolicyZero:
		return PolicyZero, nil
	}
	return "", fmt.Errorf("counter: unknown policy %q", s)
}

// Store persists the next counter value of one role. Load answers ok=false when nothing was stored yet. Store
// must be durable when it returns.
type Store interface {
	Load(ctx context.Context) (next uint32, ok bool, err error)
	Store(ctx context.Context, next uint32) error
}

// ErrExhausted is returned when a role has used its whole range; the primary never spills into the backup's.
var ErrExhausted = errors.New("counter: range exhausted")

// Counter reserves counter values for one role.
type Counter struct {
	store Store
	rng   Range
	floor uint32
}

// New returns the counter of role over store. floor is the lowest value to start from when the store is empty
// (see RestoredPrimaryFloor); values below the role's range are raised to its first value.
func New(store Store, role Role, floor uint32) (*Counter, error) {
	rng, err := RangeOf(role)
	if err != nil {
		return nil, err
	}
	return &Counter{store: store, rng: rng, floor: max(floor, rng.First)}, nil
}

// Reserve returns the next counter value after durably recording that it is used. Callers serialise Reserve
// calls for one store (the service worker queues signing requests).
func (c *Counter) Reserve(ctx context.Context) (uint32, error) {
	next, ok, err := c.store.Load(ctx)
	if err != nil {
		return 0, fmt.Errorf("counter: load: %w", err)
	}
	if !ok || next < c.floor {
		next = c.floor
	}
	if next > c.rng.Last || next < c.rng.First {
		return 0, ErrExhausted
	}
	if err := c.store.Store(ctx, next+1); err != nil { // Last < MaxUint32: no overflow
		return 0, fmt.Errorf("counter: store: %w", err)
	}
	return next, nil
}

// floorEpoch is the origin of RestoredPrimaryFloor.
var floorEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// RestoredPrimaryFloor is where a primary restored from its phrase starts counting: the minutes between
// 2024-01-01 and the restore. The lost primary's counter is unknown; this floor is above it unless the lost
// primary signed more than once a minute on average since 2024, and it stays far below BackupOffset (3,800 years of
// minutes). Trezor does the same with seconds; minutes leave the primary room for 2 billion signatures.
func RestoredPrimaryFloor(restoredAt time.Time) uint32 {
	m := restoredAt.Sub(floorEpoch) / time.Minute
	if m < 1 {
		return 1
	}
	if m >= time.Duration(BackupOffset) {
		return BackupOffset - 1
	}
	return uint32(m)
}

// MemoryStore is a Store in memory, for tests and native tools. The zero value is empty.
type MemoryStore struct {
	next uint32
	ok   bool
}

func (m *MemoryStore) Load(context.Context) (uint32, bool, error) { return m.next, m.ok, nil }

func (m *MemoryStore) Store(_ context.Context, next uint32) error {
	m.next, m.ok = next, true
	return nil
}
