package rules

import (
	"strings"
	"testing"
)

func topFrame(origin string) Frame {
	return Frame{Origin: origin, TabOrigin: origin, FrameID: 0, TabActive: true, AncestorOrigins: []string{},
		AllowsCreate: true, AllowsGet: true, Visible: true}
}

func subFrame(origin string, ancestors ...string) Frame {
	return Frame{Origin: origin, TabOrigin: ancestors[len(ancestors)-1], FrameID: 3, TabActive: true,
		AncestorOrigins: ancestors, AllowsCreate: true, AllowsGet: true, Visible: true}
}

// TestCheckFrameRuleNames: one case per rule of CheckFrame, each with Chromium's wording where it has one.
func TestCheckFrameRuleNames(t *testing.T) {
	bg := topFrame("https://top.example")
	bg.TabActive = false
	hidden := topFrame("https://top.example")
	hidden.Visible = false
	noActivation := subFrame("https://w.example", "https://top.example")
	withActivation := noActivation
	withActivation.UserActivation = true
	getOff := topFrame("https://top.example")
	getOff.AllowsGet = false
	crossNoDelegation := subFrame("https://w.example", "https://top.example")
	crossNoDelegation.AllowsCreate = false
	wrongTab := topFrame("https://top.example")
	wrongTab.TabOrigin = "https://other.example"
	claimsAncestors := topFrame("https://top.example")
	claimsAncestors.AncestorOrigins = []string{"https://x.example"}
	notEndingAtTab := subFrame("https://w.example", "https://evil.example")
	notEndingAtTab.TabOrigin = "https://top.example"
	orphan := subFrame("https://w.example", "https://top.example")
	orphan.TabOrigin = ""
	for _, tc := range []struct {
		name  string
		frame Frame
		use   FrameUse
		kind  Kind // 0: accepted
		text  string
	}{
		{"top frame", topFrame("https://top.example"), UseGet, 0, ""},
		{"localhost over http", topFrame("http://localhost:8080"), UseCreate, 0, ""},
		{"insecure origin", topFrame("http://example.com"), UseGet, KindSecurity, "secure context"},
		{"opaque origin", topFrame("null"), UseGet, KindNotAllowed, "opaque"},
		{"top frame claiming ancestors", claimsAncestors, UseGet, KindNotAllowed, "position"},
		{"tab shows another origin", wrongTab, UseGet, KindNotAllowed, "position"},
		{"subframe without a tab", orphan, UseGet, KindNotAllowed, "position"},
		{"ancestry not ending at the tab", notEndingAtTab, UseGet, KindNotAllowed, "position"},
		{"insecure ancestor", subFrame("https://w.example", "http://mid.example", "https://top.example"), UseGet, KindSecurity, "ancestor"},
		{"get turned off by Permissions Policy", getOff, UseGet, KindNotAllowed, "publickey-credentials-get"},
		{"cross-origin create not delegated", crossNoDelegation, UseCreate, KindNotAllowed, "publickey-credentials-create"},
		{"cross-origin create without user activation", noActivation, UseCreate, KindNotAllowed, "user activation is required"},
		{"cross-origin create with user activation", withActivation, UseCreate, 0, ""},
		{"cross-origin get needs no activation", noActivation, UseGet, 0, ""},
		{"create from a background tab", bg, UseCreate, KindNotAllowed, "does not have focus"},
		{"create from a hidden document", hidden, UseCreate, KindNotAllowed, "does not have focus"},
		{"get from a background tab (Chromium checks create only)", bg, UseGet, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := CheckFrame(tc.frame, tc.use)
			if tc.kind == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if c.Origin.String() != tc.frame.Origin {
					t.Fatalf("caller origin %s", c.Origin)
				}
				return
			}
			if KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %v, want %v containing %q", err, tc.kind, tc.text)
			}
		})
	}
}

func TestCheckFrameCrossOrigin(t *testing.T) {
	c, err := CheckFrame(subFrame("https://top.example", "https://top.example"), UseCreate)
	if err != nil || c.CrossOrigin {
		t.Fatalf("same-origin subframe: %+v %v", c, err)
	}
	c, err = CheckFrame(subFrame("https://w.example", "https://top.example"), UseGet)
	if err != nil || !c.CrossOrigin || c.TopOrigin != "https://top.example" {
		t.Fatalf("cross-origin subframe: %+v %v", c, err)
	}
	// Same origin as its parent, below a cross-origin ancestor: still cross-origin.
	c, err = CheckFrame(subFrame("https://w.example", "https://w.example", "https://top.example"), UseGet)
	if err != nil || !c.CrossOrigin {
		t.Fatalf("nested: %+v %v", c, err)
	}
	long := subFrame("https://w.example", "https://top.example")
	long.AncestorOrigins = make([]string, maxAncestors+1)
	for i := range long.AncestorOrigins {
		long.AncestorOrigins[i] = "https://top.example"
	}
	if _, err := CheckFrame(long, UseGet); KindOf(err) != KindNotAllowed {
		t.Fatalf("too many ancestors: %v", err)
	}
}
