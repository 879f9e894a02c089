//go:build js && wasm

package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"syscall/js"
)

// storageArea names a chrome.storage area (PROTOCOLS.md §8.4).
type storageArea string

const (
	storageAreaLocal   storageArea = "local"   // on disk until the extension is removed
	storageAreaSession storageArea = "session" // in memory, gone when the browser exits
)

// errStorageValue reports a stored value this adapter did not write (not a base64 string).
var errStorageValue = errors.New("chrome.storage value is not a base64 string")

// chromeStorage implements bridge.Storage over one chrome.storage area.
//
// Each value is stored under its key as a standard-base64 string of the bytes: chrome.storage holds JSON values
// only. Keys are used as given (bridge-owned keys are listed in extension/MESSAGES.md "Storage"). The area is
// looked up on every call, so an instance built where chrome.storage is missing (a test runner) fails per call
// instead of at start-up.
type chromeStorage struct {
	area storageArea
}

func newChromeStorage(area storageArea) chromeStorage { return chromeStorage{area: area} }

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
		return nil, nil
	}
	if v.Type() != js.TypeString {
		return nil, fmt.Errorf("chrome.storage.%s %q: %w", s.area, key, errStorageValue)
	}
	b, err := base64.StdEncoding.DecodeString(v.String())
	if err != nil {
		return nil, fmt.Errorf("chrome.storage.%s %q: %w", s.area, key, errStorageValue)
	}
	return b, nil
}

// Set returns once Chrome has committed the write (the promise of chrome.storage.set resolves after the
// extension's storage backend accepted it).
func (s chromeStorage) Set(ctx context.Context, key string, value []byte) error {
	area, err := s.object()
	if err != nil {
		return err
	}
	items := js.Global().Get("Object").New()
	items.Set(key, base64.StdEncoding.EncodeToString(value))
	if _, err := awaitPromise(ctx, area.Call("set", items)); err != nil {
		return fmt.Errorf("chrome.storage.%s.set %q: %w", s.area, key, err)
	}
	return nil
}

func (s chromeStorage) Delete(ctx context.Context, key string) error {
	area, err := s.object()
	if err != nil {
		return err
	}
	if _, err := awaitPromise(ctx, area.Call("remove", key)); err != nil {
		return fmt.Errorf("chrome.storage.%s.remove %q: %w", s.area, key, err)
	}
	return nil
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
