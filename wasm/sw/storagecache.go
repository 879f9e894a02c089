package main

import (
	"bytes"
	"sync"
)

// storageCache is chromeStorage's memory of values. Each key has a version, bumped whenever its entry is
// dropped, so a read that started before a write or a change cannot store the older value afterwards.
type storageCache struct {
	mu       sync.Mutex
	entries  map[string]cacheEntry
	versions map[string]uint64
}

type cacheEntry struct {
	encoded string // the stored base64 string
	value   []byte
	present bool
}

func newStorageCache() *storageCache {
	return &storageCache{entries: map[string]cacheEntry{}, versions: map[string]uint64{}}
}

// get answers a copy of the cached value, whether the key exists, and whether the cache knew.
func (c *storageCache) get(key string) (value []byte, present, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false, false
	}
	return bytes.Clone(e.value), e.present, true
}

func (c *storageCache) version(key string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.versions[key]
}

// fill stores what a read found, unless the key changed since version was taken.
func (c *storageCache) fill(key string, version uint64, encoded string, value []byte, present bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.versions[key] != version {
		return
	}
	c.entries[key] = cacheEntry{encoded: encoded, value: bytes.Clone(value), present: present}
}

// store records what this instance wrote.
func (c *storageCache) store(key, encoded string, value []byte, present bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = cacheEntry{encoded: encoded, value: bytes.Clone(value), present: present}
}

func (c *storageCache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
	c.versions[key]++
}

// keepIf drops key's entry unless keep says it still matches.
func (c *storageCache) keepIf(key string, keep func(cacheEntry) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && keep(e) {
		return
	}
	delete(c.entries, key)
	c.versions[key]++
}
