package main

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func TestStorageCacheMissFillHit(t *testing.T) {
	c := newStorageCache()
	if _, _, ok := c.get("vault"); ok {
		t.Fatal("empty cache claims to know vault")
	}
	v := c.version("vault")
	stored := []byte{1, 2, 3}
	c.fill("vault", v, "AQID", stored, true)
	stored[0] = 9 // the cache keeps its own copy
	got, present, ok := c.get("vault")
	if !ok || !present || !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Fatalf("get = %v, %v, %v", got, present, ok)
	}
	got[1] = 9 // and hands out copies
	if again, _, _ := c.get("vault"); !bytes.Equal(again, []byte{1, 2, 3}) {
		t.Fatalf("cache changed through a returned slice: %v", again)
	}
	c.fill("missing", c.version("missing"), "", nil, false)
	if _, present, ok := c.get("missing"); !ok || present {
		t.Fatalf("missing key: present=%v ok=%v, want a known absence", present, ok)
	}
}

// A read that started before a write or an outside change must not store what it read.
func TestStorageCacheStaleFillIgnored(t *testing.T) {
	c := newStorageCache()
	v := c.version("counter.primary")
	c.drop("counter.primary") // a Set began (or onChanged reported a change) while the read was in flight
	c.fill("counter.primary", v, "AAAABQ==", []byte{0, 0, 0, 5}, true)
	if _, _, ok := c.get("counter.primary"); ok {
		t.Fatal("a stale read was cached")
	}
	c.store("counter.primary", "AAAABg==", []byte{0, 0, 0, 6}, true)
	c.fill("counter.primary", v, "AAAABQ==", []byte{0, 0, 0, 5}, true)
	if got, _, _ := c.get("counter.primary"); !bytes.Equal(got, []byte{0, 0, 0, 6}) {
		t.Fatalf("stale read replaced the written value: %v", got)
	}
}

func TestStorageCacheKeepIf(t *testing.T) {
	c := newStorageCache()
	c.store("vault", "AQID", []byte{1, 2, 3}, true)
	same := func(e cacheEntry) bool { return e.present && e.encoded == "AQID" }
	c.keepIf("vault", same) // our own write echoed by onChanged
	if _, _, ok := c.get("vault"); !ok {
		t.Fatal("own write dropped")
	}
	v := c.version("vault")
	c.keepIf("vault", func(e cacheEntry) bool { return e.present && e.encoded == "BAUG" }) // someone else wrote
	if _, _, ok := c.get("vault"); ok {
		t.Fatal("outside change kept")
	}
	if c.version("vault") == v {
		t.Fatal("outside change did not bump the version")
	}
	c.keepIf("never-cached", same)
	if _, _, ok := c.get("never-cached"); ok {
		t.Fatal("keepIf created an entry")
	}
}

// TestStorageCacheConcurrent runs fills, stale fills, reads, drops and keepIfs on a few keys from several
// goroutines and checks, without -race too: no stale fill ever lands (a read that began before a drop), every
// value read is one that a current fill stored, returned slices are copies, versions count at least every drop,
// and the cache still works afterwards.
func TestStorageCacheConcurrent(t *testing.T) {
	const goroutines, rounds, keys = 8, 200, 5
	const stale = 0xFF // the payload of fills whose version is out of date
	c := newStorageCache()
	var drops [keys]atomic.Uint64
	errs := make(chan string, goroutines)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				k := i % keys
				key := fmt.Sprintf("k%d", k)
				c.fill(key, c.version(key), "AA==", []byte{byte(g)}, true)
				v := c.version(key)
				c.drop(key)
				drops[k].Add(1)
				c.fill(key, v, "/w==", []byte{stale}, true) // began before the drop: must not land
				if got, present, ok := c.get(key); ok {
					if !present || len(got) != 1 || got[0] >= goroutines {
						errs <- fmt.Sprintf("goroutine %d read %s = %v (present %v)", g, key, got, present)
						return
					}
					got[0] = stale // the cache handed out a copy: this must not reach it
				}
				c.keepIf(key, func(e cacheEntry) bool { return e.present })
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for k := 0; k < keys; k++ {
		key := fmt.Sprintf("k%d", k)
		if v, n := c.version(key), drops[k].Load(); v < n {
			t.Errorf("%s: version %d after %d drops", key, v, n)
		}
		if got, _, ok := c.get(key); ok && (len(got) != 1 || got[0] >= goroutines) {
			t.Errorf("%s holds %v", key, got)
		}
		c.fill(key, c.version(key), "Bw==", []byte{7}, true)
		if got, present, ok := c.get(key); !ok || !present || !bytes.Equal(got, []byte{7}) {
			t.Errorf("%s: a current fill after the storm: %v %v %v", key, got, present, ok)
		}
	}
}
