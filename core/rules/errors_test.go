package rules

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

// TestKindMapping is the one table of the boundary mappings: Kind -> DOMException name (W3C §5.1.3, §5.1.4) and
// Kind -> U2F ErrorCode per operation (U2F JS API v1.1 §3.2.4, CryptoToken's choices). Every declared Kind must appear exactly once.
func TestKindMapping(t *testing.T) {
	table := []struct {
		kind        Kind
		dom         string
		u2f         int // u2f.sign
		u2fRegister int
	}{
		{KindNotAllowed, "NotAllowedError", 4, 2},
		{KindSecurity, "SecurityError", 2, 2},
		{KindType, "TypeError", 2, 2},
		{KindNotSupported, "NotSupportedError", 3, 3},
		{KindInvalidState, "InvalidStateError", 4, 4},
		{KindConstraint, "ConstraintError", 3, 3},
		{KindEncoding, "EncodingError", 2, 2},
		{KindAbort, "AbortError", 1, 1},
		{KindTimeout, "NotAllowedError", 5, 5},
		{KindIneligible, "NotAllowedError", 4, 4},
		{KindUnknown, "NotReadableError", 1, 1},
		{KindRange, "RangeError", 2, 2},
		{KindDenied, "NotAllowedError", 4, 5},
		{KindPending, "OperationError", 1, 1},
		{KindDevice, "NotAllowedError", 1, 1},
	}
	seen := map[Kind]bool{}
	for _, tc := range table {
		t.Run(tc.kind.String(), func(t *testing.T) {
			seen[tc.kind] = true
			err := Errorf(tc.kind, "refused %d", 1)
			if got := DOMExceptionName(err); got != tc.dom {
				t.Errorf("DOMExceptionName = %q, want %q", got, tc.dom)
			}
			if got := U2FErrorCode(err); got != tc.u2f {
				t.Errorf("U2FErrorCode = %d, want %d", got, tc.u2f)
			}
			if got := tc.kind.U2FErrorCode(true); got != tc.u2fRegister {
				t.Errorf("U2FErrorCode(register) = %d, want %d", got, tc.u2fRegister)
			}
			if got := KindOf(err); got != tc.kind {
				t.Errorf("KindOf = %v, want %v", got, tc.kind)
			}
			// Wrapped anywhere in a chain, the same mapping applies.
			wrapped := fmt.Errorf("bridge: create: %w", err)
			if DOMExceptionName(wrapped) != tc.dom || U2FErrorCode(wrapped) != tc.u2f {
				t.Errorf("wrapped error maps to %q/%d", DOMExceptionName(wrapped), U2FErrorCode(wrapped))
			}
		})
	}
	for k := Kind(1); k.valid(); k++ {
		if !seen[k] {
			t.Errorf("Kind %v is missing from the mapping table", k)
		}
	}
}

func TestErrorMappingEdges(t *testing.T) {
	if DOMExceptionName(nil) != "" || U2FErrorCode(nil) != 0 || KindOf(nil) != 0 {
		t.Errorf("nil maps to %q/%d/%v", DOMExceptionName(nil), U2FErrorCode(nil), KindOf(nil))
	}
	plain := errors.New("disk on fire")
	if KindOf(plain) != KindUnknown || DOMExceptionName(plain) != "NotReadableError" || U2FErrorCode(plain) != 1 {
		t.Errorf("a non-*Error maps to %v/%q/%d", KindOf(plain), DOMExceptionName(plain), U2FErrorCode(plain))
	}
	bogus := &Error{Kind: Kind(99), Message: "x"}
	if KindOf(bogus) != KindUnknown || DOMExceptionName(bogus) != "NotReadableError" || Kind(99).String() != "Kind(99)" {
		t.Errorf("an undeclared Kind maps to %v/%q", KindOf(bogus), DOMExceptionName(bogus))
	}
	// The outermost *Error decides.
	inner := Errorf(KindEncoding, "bad")
	outer := Errorf(KindType, "options: %w", inner)
	if KindOf(outer) != KindType {
		t.Errorf("KindOf(outer) = %v", KindOf(outer))
	}
	if !errors.Is(outer, inner) {
		t.Error("Errorf with %w must keep the wrapped error reachable")
	}
	if e := Errorf(KindUnknown, "read: %w", io.ErrUnexpectedEOF); !errors.Is(e, io.ErrUnexpectedEOF) || e.Error() != "NotReadableError: read: unexpected EOF" {
		t.Errorf("Errorf = %q", e.Error())
	}
	r := Errorf(KindNotAllowed, "rk").withReason(ReasonResidentKeyRequired)
	if ReasonOf(fmt.Errorf("x: %w", r)) != ReasonResidentKeyRequired || ReasonOf(plain) != "" {
		t.Error("ReasonOf does not see through wrapping")
	}
}
