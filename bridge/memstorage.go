package bridge

import (
	"bytes"
	"context"
	"sync"
)

// MemoryStorage is a Storage in memory, for tests and tools. The zero value is empty and ready.
type MemoryStorage struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *MemoryStorage) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[key]; ok {
		return bytes.Clone(v), nil
	}
	return nil, nil
}

func (s *MemoryStorage) Set(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[key] = bytes.Clone(value)
	return nil
}

func (s *MemoryStorage) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// Keys lists the stored keys (for tests that inspect what is kept).
func (s *MemoryStorage) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.m {
		out = append(out, k)
	}
	return out
}
