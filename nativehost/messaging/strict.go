package messaging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// ErrStrictJSON is wrapped by every DecodeStrict failure.
var ErrStrictJSON = errors.New("messaging: JSON does not match the message format")

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// DecodeStrict decodes one JSON value into v (a pointer) the way every message and params object of this
// protocol is read: object keys must equal a field's JSON name byte for byte (encoding/json alone would match
// "RPID" to `json:"rpId"`), a key may appear only once in an object, unknown keys are errors, and nothing may
// follow the value. Types that decode themselves (json.Unmarshaler, json.RawMessage) are checked for
// duplicate keys only; their own decoding applies DecodeStrict again where they hold objects.
// On error v may be partly written; callers discard it.
func DecodeStrict(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("%w: decode target must be a non-nil pointer", ErrStrictJSON)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := checkValue(dec, rv.Type().Elem(), "$"); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON value", ErrStrictJSON)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrStrictJSON, err)
	}
	return nil
}

// jsonFields maps the exact JSON names of t's exported fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// checkValue reads one value from dec and checks it against t (nil: any JSON value, duplicate keys only).
func checkValue(dec *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) || t.Kind() == reflect.Interface) {
		t = nil
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrStrictJSON, path, err)
	}
	d, isDelim := tok.(json.Delim)
	if !isDelim {
		return nil // a scalar; encoding/json checks its type
	}
	switch d {
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := checkValue(dec, elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case '{':
		var fields map[string]reflect.Type
		var mapElem reflect.Type
		if t != nil {
			switch t.Kind() {
			case reflect.Struct:
				fields = jsonFields(t)
			case reflect.Map:
				mapElem = t.Elem()
			}
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrStrictJSON, path, err)
			}
			key, _ := kt.(string)
			if seen[key] {
				return fmt.Errorf("%w: %s: duplicate key %q", ErrStrictJSON, path, key)
			}
			seen[key] = true
			elem := mapElem
			if fields != nil {
				ft, ok := fields[key]
				if !ok {
					return fmt.Errorf("%w: %s: unknown key %q", ErrStrictJSON, path, key)
				}
				elem = ft
			}
			if err := checkValue(dec, elem, path+"."+key); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return fmt.Errorf("%w: %s: %w", ErrStrictJSON, path, err)
	}
	return nil
}
