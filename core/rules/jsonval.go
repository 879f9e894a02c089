package rules

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// This file reads untrusted JSON dictionaries member by member, the way WebIDL converts a JavaScript object to a
// dictionary: unknown members are ignored; a missing required member is a TypeError; a member of the wrong JSON
// type is a TypeError. Unlike WebIDL, values are not coerced (a number where a string belongs is refused, not
// stringified): the page script serialises the options itself, so a wrong type here is a broken request, not a
// page relying on JavaScript conversions. JSON null counts as absent (other languages' serialisers write null
// for unset optional members); a null required member is missing.

// jsonObject is one decoded JSON object; values stay raw until a member is read with its expected type.
type jsonObject map[string]json.RawMessage

// parseJSONObject decodes untrusted bytes that must hold one JSON object. Invalid JSON and non-objects are
// KindType (the options dictionary is malformed).
func parseJSONObject(data []byte, path string) (jsonObject, error) {
	if !json.Valid(data) {
		return nil, Errorf(KindType, "%s is not valid JSON", path)
	}
	return asObject(data, path)
}

// asObject decodes an already valid raw JSON value that must be an object.
func asObject(raw json.RawMessage, path string) (jsonObject, error) {
	if firstByte(raw) != '{' {
		return nil, Errorf(KindType, "%s must be an object", path)
	}
	var o jsonObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, Errorf(KindType, "%s must be an object", path)
	}
	return o, nil
}

// firstByte returns the first non-whitespace byte of a raw JSON value (0 if none): '"' string, '{' object,
// '[' array, 't'/'f' boolean, 'n' null, anything else a number.
func firstByte(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// member returns a member's raw value, or false when it is absent or null.
func (o jsonObject) member(name string) (json.RawMessage, bool) {
	raw, ok := o[name]
	if !ok || firstByte(raw) == 'n' {
		return nil, false
	}
	return raw, true
}

func missing(path string) error {
	return Errorf(KindType, "%s is required", path)
}

// str reads a string member. present is false when the member is absent (or null).
func (o jsonObject) str(name, path string, required bool) (value string, present bool, err error) {
	raw, ok := o.member(name)
	if !ok {
		if required {
			return "", false, missing(path)
		}
		return "", false, nil
	}
	if firstByte(raw) != '"' {
		return "", false, Errorf(KindType, "%s must be a string", path)
	}
	if err := json.Unmarshal(raw, &value); err != nil {
		return "", false, Errorf(KindType, "%s must be a string", path)
	}
	return value, true, nil
}

// boolean reads an optional boolean member.
func (o jsonObject) boolean(name, path string) (value, present bool, err error) {
	raw, ok := o.member(name)
	if !ok {
		return false, false, nil
	}
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, false, Errorf(KindType, "%s must be a boolean", path)
}

// number reads a number member as a float64 (out-of-range literals become ±Inf, which WebIDL then maps).
func (o jsonObject) number(name, path string, required bool) (value float64, present bool, err error) {
	raw, ok := o.member(name)
	if !ok {
		if required {
			return 0, false, missing(path)
		}
		return 0, false, nil
	}
	c := firstByte(raw)
	if !(c == '-' || c >= '0' && c <= '9') {
		return 0, false, Errorf(KindType, "%s must be a number", path)
	}
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false, Errorf(KindType, "%s must be a number", path)
	}
	return f, true, nil
}

// object reads an object member.
func (o jsonObject) object(name, path string, required bool) (jsonObject, bool, error) {
	raw, ok := o.member(name)
	if !ok {
		if required {
			return nil, false, missing(path)
		}
		return nil, false, nil
	}
	obj, err := asObject(raw, path)
	if err != nil {
		return nil, false, err
	}
	return obj, true, nil
}

// array reads an array member as its raw elements.
func (o jsonObject) array(name, path string, required bool) ([]json.RawMessage, bool, error) {
	raw, ok := o.member(name)
	if !ok {
		if required {
			return nil, false, missing(path)
		}
		return nil, false, nil
	}
	if firstByte(raw) != '[' {
		return nil, false, Errorf(KindType, "%s must be an array", path)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, false, Errorf(KindType, "%s must be an array", path)
	}
	return elems, true, nil
}

// strings reads an optional array-of-strings member.
func (o jsonObject) strings(name, path string) ([]string, bool, error) {
	elems, ok, err := o.array(name, path, false)
	if err != nil || !ok {
		return nil, ok, err
	}
	out := make([]string, 0, len(elems))
	for i, raw := range elems {
		var s string
		if firstByte(raw) != '"' || json.Unmarshal(raw, &s) != nil {
			return nil, false, Errorf(KindType, "%s[%d] must be a string", path, i)
		}
		out = append(out, s)
	}
	return out, true, nil
}

// webidlUnsignedLong converts a JSON number like WebIDL's ToUint32 for "unsigned long" without [EnforceRange]
// (WebIDL "ConvertToInt"): NaN and infinities become 0, the value is truncated and taken modulo 2^32.
func webidlUnsignedLong(f float64) uint32 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	m := math.Mod(math.Trunc(f), 1<<32)
	if m < 0 {
		m += 1 << 32
	}
	return uint32(m)
}

// webidlLong converts a JSON number like WebIDL's conversion to "long" (ConvertToInt, 32 bits, signed).
func webidlLong(f float64) int32 {
	return int32(webidlUnsignedLong(f))
}
