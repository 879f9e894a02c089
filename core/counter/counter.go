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
//
// Reserving ahead: ReserveAhead does Reserve's durable write early (while a person looks at the consent prompt)
// and keeps the value in a Hand; the next Reserve with that Hand answers it without touching the store again. The
// rule above still holds: the value was stored as used before anyone sees it. A held value is only answered
// while the store still records it as the last one reserved (next == held+1), so a value is never handed out
// twice and values still only go up; a held value lost with the process is skipped, like any reserved value.
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
	hand  *Hand
}

// Hand holds at most one counter value reserved ahead of use (ReserveAhead), in memory, across Counters built
// over the same store (a bridge builds a Counter per request and keeps one Hand per role). The zero value is
// empty. A Hand is not safe for concurrent use: like Reserve, callers serialise its use.
type Hand struct {
	value uint32
	ok    bool
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

// WithHand makes c answer values held in h and lets ReserveAhead fill it; it returns c.
func (c *Counter) WithHand(h *Hand) *Counter {
	c.hand = h
	return c
}

// Reserve returns the next counter value after durably recording that it is used. Callers serialise Reserve
// calls for one store (the service worker queues signing requests). A value held by c's Hand is answered first
// (its durable write happened in ReserveAhead) when it is still valid; the Hand is empty afterwards.
func (c *Counter) Reserve(ctx context.Context) (uint32, error) {
	if v, ok, err := c.takeHeld(ctx); err != nil || ok {
		return v, err
	}
	return c.reserve(ctx)
}

// ReserveAhead durably reserves the next value and keeps it in c's Hand for the next Reserve. A Hand that already
// holds a valid value keeps it (nothing is stored), so asking again spends nothing. Without a Hand it does nothing.
func (c *Counter) ReserveAhead(ctx context.Context) error {
	if c.hand == nil {
		return nil
	}
	if c.hand.ok {
		valid, err := c.heldValid(ctx, c.hand.value)
		if err != nil || valid {
			return err
		}
		c.hand.ok = false
	}
	v, err := c.reserve(ctx)
	if err != nil {
		return err
	}
	c.hand.value, c.hand.ok = v, true
	return nil
}

// takeHeld empties the Hand and answers its value when it is still valid.
func (c *Counter) takeHeld(ctx context.Context) (uint32, bool, error) {
	if c.hand == nil || !c.hand.ok {
		return 0, false, nil
	}
	v := c.hand.value
	c.hand.ok = false
	valid, err := c.heldValid(ctx, v)
	if err != nil || !valid {
		return 0, false, err
	}
	return v, true, nil
}

// heldValid says whether held v may still be answered: it is in c's range and above its floor, and the store
// records v+1 as next, so nothing was reserved after it (by another Counter without this Hand, another process,
// a restored vault with a higher floor).
func (c *Counter) heldValid(ctx context.Context, v uint32) (bool, error) {
	if v < c.floor || v < c.rng.First || v > c.rng.Last {
		return false, nil
	}
	next, ok, err := c.store.Load(ctx)
	if err != nil {
		return false, fmt.Errorf("counter: load: %w", err)
	}
	return ok && next == v+1, nil
}

// reserve is Reserve without the Hand: load, durably store next+1, answer next.
func (c *Counter) reserve(ctx context.Context) (uint32, error) {
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
