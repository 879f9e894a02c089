//go:build js && wasm

package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"syscall/js"
)

// storageArea names a chrome.storage area (Chrome for Developers, chrome.storage).
type storageArea string

const (
	storageAreaLocal   storageArea = "local"   // on disk until the extension is removed
	storageAreaSession storageArea = "session" // in memory, gone when the browser exits
)

// errStorageValue reports a stored value this adapter did not write (not a base64 string).
var errStorageValue = errors.New("chrome.storage value is not a base64 string")

// chromeStorage implements bridge.Storage over one chrome.storage area, with a write-through cache.
//
// Each value is stored under its key as a standard-base64 string of the bytes: chrome.storage holds JSON values
// only. Keys are used as given (bridge-owned keys are listed in extension/MESSAGES.md "Storage"). The area is
// looked up on every call, so an instance built where chrome.storage is missing (a test runner) fails per call
// instead of at start-up.
//
// Cache: this Go instance is the only writer of the bridge's keys, so values it read or wrote are kept in memory
// and later Gets skip the round trip to the browser (each costs about a millisecond from Go). Storage stays
// authoritative: Set and Delete still return only once Chrome has the write, the cache starts empty in every
// instance, and chrome.storage.onChanged (forwarded by extension/sw/bridge-host.js to storageChanged) drops any
// entry that something else changed.
type chromeStorage struct {
	area  storageArea
	cache *storageCache
}

func newChromeStorage(area storageArea) chromeStorage {
	return chromeStorage{area: area, cache: newStorageCache()}
}

func (s chromeStorage) object() (js.Value, error) {
	chrome := js.Global().Get("chrome")
	if chrome.Type() != js.TypeObject || chrome.Get("storage").Type() != js.TypeObject {
		return js.Value{}, fmt.Errorf("chrome.storage is not available")
	}
	area := chrome.Get("storage").Get(string(s.area))
	if area.Type() != js.TypeObject {
		return js.Value{}, fmt.Errorf("chrome.storage.%s is not available", s.area)
	}
	return area, nil
}

// Get answers (nil, nil) for a missing key.
func (s chromeStorage) Get(ctx context.Context, key string) ([]byte, error) {
	if v, present, ok := s.cache.get(key); ok {
		if !present {
			return nil, nil
		}
		return v, nil
	}
	version := s.cache.version(key)
	area, err := s.object()
	if err != nil {
		return nil, err
	}
	items, err := awaitPromise(ctx, area.Call("get", key))
	if err != nil {
		return nil, fmt.Errorf("chrome.storage.%s.get %q: %w", s.area, key, err)
	}
	v := items.Get(key)
	if v.IsUndefined() || v.IsNull() {
		s.cache.fill(key, version, "", nil, false)
		return nil, nil
	}
	if v.Type() == js.TypeObject {
		// A JSON object written by JavaScript (the settings record of versions whose service worker owned it, or
		// a test): read as its JSON text. Writes from Go are base64 strings again.
		b := []byte(js.Global().Get("JSON").Call("stringify", v).String())
		return b, nil
	}
	if v.Type() != js.TypeString {
		return nil, fmt.Errorf("chrome.storage.%s %q: %w", s.area, key, errStorageValue)
	}
	encoded := v.String()
	b, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("chrome.storage.%s %q: %w", s.area, key, errStorageValue)
	}
	s.cache.fill(key, version, encoded, b, true)
	return b, nil
}

// Set returns once Chrome has committed the write (the promise of chrome.storage.set resolves after the
// extension's storage backend accepted it).
func (s chromeStorage) Set(ctx context.Context, key string, value []byte) error {
	area, err := s.object()
	if err != nil {
		return err
	}
	encoded := base64.StdEncoding.EncodeToString(value)
	items := js.Global().Get("Object").New()
	items.Set(key, encoded)
	s.cache.drop(key) // until Chrome confirms, the stored value is not known
	if _, err := awaitPromise(ctx, area.Call("set", items)); err != nil {
		return fmt.Errorf("chrome.storage.%s.set %q: %w", s.area, key, err)
	}
	s.cache.store(key, encoded, value, true)
	return nil
}

func (s chromeStorage) Delete(ctx context.Context, key string) error {
	area, err := s.object()
	if err != nil {
		return err
	}
	s.cache.drop(key)
	if _, err := awaitPromise(ctx, area.Call("remove", key)); err != nil {
		return fmt.Errorf("chrome.storage.%s.remove %q: %w", s.area, key, err)
	}
	s.cache.store(key, "", nil, false)
	return nil
}

// changed handles chrome.storage.onChanged for this area: changes maps keys to {oldValue, newValue}. An entry
// whose new value is what the cache holds (this instance's own write) stays; any other change drops it.
func (s chromeStorage) changed(changes js.Value) {
	keys := js.Global().Get("Object").Call("keys", changes)
	for i := 0; i < keys.Length(); i++ {
		key := keys.Index(i).String()
		nv := changes.Get(key).Get("newValue")
		switch {
		case nv.IsUndefined():
			s.cache.keepIf(key, func(e cacheEntry) bool { return !e.present })
		case nv.Type() == js.TypeString:
			encoded := nv.String()
			s.cache.keepIf(key, func(e cacheEntry) bool { return e.present && e.encoded == encoded })
		default:
			s.cache.drop(key)
		}
	}
}

// awaitPromise blocks the calling goroutine until p settles or ctx ends. Go's js/wasm scheduler runs the
// JavaScript event loop meanwhile, so this must not be called from a js.FuncOf callback itself.
func awaitPromise(ctx context.Context, p js.Value) (js.Value, error) {
	type settled struct {
		value js.Value
		err   error
	}
	done := make(chan settled, 1) // buffered: a late settlement after ctx ended must not block JavaScript
	var onOK, onErr js.Func
	onOK = js.FuncOf(func(_ js.Value, args []js.Value) any {
		var v js.Value
		if len(args) > 0 {
			v = args[0]
		}
		done <- settled{value: v}
		return nil
	})
	onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 {
			msg = jsErrorMessage(args[0])
		}
		done <- settled{err: errors.New(msg)}
		return nil
	})
	p.Call("then", onOK, onErr)
	select {
	case s := <-done:
		onOK.Release()
		onErr.Release()
		return s.value, s.err
	case <-ctx.Done():
		// The callbacks stay registered until the promise settles; releasing them now would make a late
		// settlement call a released function.
		go func() {
			<-done
			onOK.Release()
			onErr.Release()
		}()
		return js.Value{}, ctx.Err()
	}
}

// jsErrorMessage renders a rejection reason (an Error or any value) for an error message.
func jsErrorMessage(v js.Value) string {
	if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
		return v.Get("message").String()
	}
	return js.Global().Get("String").Invoke(v).String()
}
