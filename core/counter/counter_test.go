package counter

import (
	"context"
	"errors"
	"testing"
	"time"
)

var errCrash = errors.New("crash")

func TestReserveSurvivesCrashWithoutReuse(t *testing.T) {
	ctx := context.Background()
	store := &MemoryStore{}
	c, _ := New(store, RolePrimary, 0)
	a, _ := c.Reserve(ctx)
	// Simulated crash: the value a was reserved and persisted, the signature never left. A new process (a new
	// Counter over the same store) must not hand out a again.
	c2, _ := New(store, RolePrimary, 0)
	b, err := c2.Reserve(ctx)
	if err != nil || b <= a {
		t.Fatalf("after a crash: %d then %d (%v)", a, b, err)
	}
}

type failingStore struct{ MemoryStore }

func (f *failingStore) Store(context.Context, uint32) error { return errCrash }

func TestReserveFailsWhenTheCounterCannotBePersisted(t *testing.T) {
	c, _ := New(&failingStore{}, RolePrimary, 0)
	if v, err := c.Reserve(context.Background()); !errors.Is(err, errCrash) || v != 0 {
		t.Fatalf("reserved %d without persisting it (%v)", v, err)
	}
}

func TestRangesAndMonotonicity(t *testing.T) {
	ctx := context.Background()
	p, _ := New(&MemoryStore{}, RolePrimary, 0)
	b, _ := New(&MemoryStore{}, RoleBackup, 0)
	last := uint32(0)
	for i := 0; i < 100; i++ {
		v, err := p.Reserve(ctx)
		if err != nil || v <= last || v >= BackupOffset {
			t.Fatalf("primary %d after %d: %v", v, last, err)
		}
		last = v
	}
	if v, _ := b.Reserve(ctx); v != BackupOffset {
		t.Fatalf("backup starts at %d", v)
	}
}

func TestPrimaryNeverSpillsIntoBackupRange(t *testing.T) {
	s := &MemoryStore{next: BackupOffset - 1, ok: true}
	c, _ := New(s, RolePrimary, 0)
	if v, err := c.Reserve(context.Background()); err != nil || v != BackupOffset-1 {
		t.Fatalf("last primary value: %d %v", v, err)
	}
	if _, err := c.Reserve(context.Background()); !errors.Is(err, ErrExhausted) {
		t.Fatalf("past the primary range: %v", err)
	}
}

func TestRestoredPrimaryFloor(t *testing.T) {
	at := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	f := RestoredPrimaryFloor(at)
	if f < 1_000_000 || f >= BackupOffset {
		t.Fatalf("floor %d", f)
	}
	if RestoredPrimaryFloor(at.Add(time.Hour)) != f+60 {
		t.Fatal("floor does not count minutes")
	}
	c, _ := New(&MemoryStore{}, RolePrimary, f)
	if v, _ := c.Reserve(context.Background()); v != f {
		t.Fatalf("restored primary starts at %d, want %d", v, f)
	}
	// A stored value above the floor wins.
	c2, _ := New(&MemoryStore{next: f + 10, ok: true}, RolePrimary, f)
	if v, _ := c2.Reserve(context.Background()); v != f+10 {
		t.Fatalf("stored value ignored: %d", v)
	}
}

func TestParsePolicy(t *testing.T) {
	for in, want := range map[string]Policy{"": PolicyTwin, "twin": PolicyTwin, "zero": PolicyZero} {
		if got, err := ParsePolicy(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParsePolicy("random"); err == nil {
		t.Error("unknown policy accepted")
	}
}

// countingStore counts durable writes.
type countingStore struct {
	MemoryStore
	stores int
}

func (s *countingStore) Store(ctx context.Context, next uint32) error {
	s.stores++
	return s.MemoryStore.Store(ctx, next)
}

func TestReserveAheadIsDurableAndAnsweredWithoutAnotherWrite(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{}
	hand := &Hand{}
	c, _ := New(store, RolePrimary, 0)
	if err := c.WithHand(hand).ReserveAhead(ctx); err != nil {
		t.Fatal(err)
	}
	if store.stores != 1 || store.next != 2 {
		t.Fatalf("ahead: %d writes, stored next %d; want the held value 1 recorded as used", store.stores, store.next)
	}
	// A later request builds a new Counter over the same store and Hand.
	c2, _ := New(store, RolePrimary, 0)
	v, err := c2.WithHand(hand).Reserve(ctx)
	if err != nil || v != 1 || store.stores != 1 {
		t.Fatalf("reserve with a held value: %d %v, %d writes", v, err, store.stores)
	}
	if v, _ := c2.Reserve(ctx); v != 2 || store.stores != 2 {
		t.Fatalf("after the held value: %d, %d writes", v, store.stores)
	}
}

func TestReserveAheadTwiceHoldsOneValue(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{}
	hand := &Hand{}
	c, _ := New(store, RolePrimary, 0)
	c.WithHand(hand)
	for i := 0; i < 3; i++ {
		if err := c.ReserveAhead(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if store.stores != 1 {
		t.Fatalf("three ReserveAhead calls wrote %d times; a held value must be kept", store.stores)
	}
	if v, _ := c.Reserve(ctx); v != 1 {
		t.Fatalf("held value %d, want 1", v)
	}
}

// A crash loses the Hand: the held value was stored as used, so it is skipped, never reused.
func TestReserveAheadSurvivesCrashWithoutReuse(t *testing.T) {
	ctx := context.Background()
	store := &MemoryStore{}
	c, _ := New(store, RolePrimary, 0)
	c.WithHand(&Hand{}).ReserveAhead(ctx)
	held := store.next - 1
	c2, _ := New(store, RolePrimary, 0) // a new process: no Hand
	if v, err := c2.Reserve(ctx); err != nil || v <= held {
		t.Fatalf("after a crash with %d held: got %d (%v)", held, v, err)
	}
}

// A value reserved after the held one (another Counter without the Hand) makes the held one stale: answering it
// would send the counter down.
func TestHeldValueDiscardedWhenTheStoreMovedOn(t *testing.T) {
	ctx := context.Background()
	store := &MemoryStore{}
	hand := &Hand{}
	c, _ := New(store, RolePrimary, 0)
	c.WithHand(hand).ReserveAhead(ctx) // holds 1
	other, _ := New(store, RolePrimary, 0)
	if v, _ := other.Reserve(ctx); v != 2 {
		t.Fatalf("other reserved %d", v)
	}
	if v, err := c.Reserve(ctx); err != nil || v != 3 {
		t.Fatalf("after the store moved on: %d (%v), want a fresh 3", v, err)
	}
	if hand.ok {
		t.Fatal("stale value still held")
	}
	// ReserveAhead replaces a stale held value too.
	c.ReserveAhead(ctx) // holds 4
	other.Reserve(ctx)  // 5
	if err := c.ReserveAhead(ctx); err != nil || !hand.ok || hand.value != 6 {
		t.Fatalf("ReserveAhead over a stale value: held %d ok=%v (%v), want 6", hand.value, hand.ok, err)
	}
}

// A held value below a Counter's floor (a restored primary starts higher) is not answered.
func TestHeldValueBelowFloorDiscarded(t *testing.T) {
	ctx := context.Background()
	store := &MemoryStore{}
	hand := &Hand{}
	c, _ := New(store, RolePrimary, 0)
	c.WithHand(hand).ReserveAhead(ctx) // holds 1
	restored, _ := New(store, RolePrimary, 1000)
	if v, err := restored.WithHand(hand).Reserve(ctx); err != nil || v != 1000 {
		t.Fatalf("restored primary: %d (%v), want its floor 1000", v, err)
	}
}

func TestReserveAheadFailsWhenTheCounterCannotBePersisted(t *testing.T) {
	hand := &Hand{}
	c, _ := New(&failingStore{}, RolePrimary, 0)
	if err := c.WithHand(hand).ReserveAhead(context.Background()); !errors.Is(err, errCrash) || hand.ok {
		t.Fatalf("held %v without persisting it (%v)", hand.ok, err)
	}
}

func TestReserveAheadWithoutHandDoesNothing(t *testing.T) {
	store := &countingStore{}
	c, _ := New(store, RolePrimary, 0)
	if err := c.ReserveAhead(context.Background()); err != nil || store.stores != 0 {
		t.Fatalf("%d writes (%v)", store.stores, err)
	}
}

func TestReserveAheadAtTheEndOfTheRange(t *testing.T) {
	ctx := context.Background()
	s := &MemoryStore{next: BackupOffset - 1, ok: true}
	hand := &Hand{}
	c, _ := New(s, RolePrimary, 0)
	if err := c.WithHand(hand).ReserveAhead(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Reserve(ctx); err != nil || v != BackupOffset-1 {
		t.Fatalf("last primary value: %d %v", v, err)
	}
	if err := c.ReserveAhead(ctx); !errors.Is(err, ErrExhausted) || hand.ok {
		t.Fatalf("ahead past the primary range: %v, held %v", err, hand.ok)
	}
}
