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
