package settings

import (
	"reflect"
	"testing"

	"github.com/twinkey/twinkey/core/counter"
)

func TestParseNormalises(t *testing.T) {
	if got := Parse(nil); !reflect.DeepEqual(got, Defaults()) {
		t.Fatalf("nothing stored: %+v", got)
	}
	got := Parse([]byte(`{"autoLockMinutes": 2000, "uvWindowMinutes": 7, "extra": 1,
		"sites": {"a.example": {"off": 1, "hardwareOnly": true, "counterPolicy": "bogus"}, "BAD HOST": {"off": true},
		          "b.example": {"counterPolicy": "zero"}}}`))
	want := Settings{AutoLockMinutes: DefaultAutoLockMinutes, UVWindowMinutes: 7, Sites: map[string]Site{
		"a.example": {HardwareOnly: true, Off: false, CounterPolicy: counter.PolicyTwin},
		"b.example": {CounterPolicy: counter.PolicyZero},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if got := Parse([]byte(`[1,2]`)); !reflect.DeepEqual(got, Defaults()) {
		t.Fatalf("a corrupt record: %+v", got)
	}
}

func TestMergeReplacesTopLevelMembers(t *testing.T) {
	cur := Parse([]byte(`{"autoLockMinutes": 5, "sites": {"a.example": {"off": true}}}`))
	next := Merge(cur, []byte(`{"uvWindowMinutes": 3}`))
	if next.AutoLockMinutes != 5 || next.UVWindowMinutes != 3 || !next.Sites["a.example"].Off {
		t.Fatalf("partial merge: %+v", next)
	}
	next = Merge(next, []byte(`{"sites": {}}`))
	if len(next.Sites) != 0 || next.UVWindowMinutes != 3 {
		t.Fatalf("sites replaced whole: %+v", next)
	}
	if next = Merge(next, []byte(`{"autoLockMinutes": -1}`)); next.AutoLockMinutes != DefaultAutoLockMinutes {
		t.Fatalf("invalid value: %+v", next)
	}
}

func TestForSiteMostSpecificFirst(t *testing.T) {
	if k := keys("www.example.com", "u2f.example.com"); !reflect.DeepEqual(k, []string{"www.example.com", "example.com", "com", "u2f.example.com"}) {
		t.Fatalf("keys %v", k)
	}
	s := Parse([]byte(`{"sites": {"example.com": {"off": true}, "login.example.com": {"hardwareOnly": true}}}`))
	if got := s.ForSite("login.example.com", "example.com"); !got.HardwareOnly || got.Off {
		t.Fatalf("login: %+v", got)
	}
	if got := s.ForSite("www.example.com", "example.com"); !got.Off {
		t.Fatalf("www: %+v", got)
	}
	if got := s.ForSite("other.test", "other.test"); got != (Site{CounterPolicy: counter.PolicyTwin}) {
		t.Fatalf("default: %+v", got)
	}
}

func TestDefaultZeroCounterSites(t *testing.T) {
	s := Defaults()
	for _, host := range []string{"login.microsoft.com", "login.live.com", "login.microsoftonline.com"} {
		if got := s.ForSite(host, host); got.CounterPolicy != counter.PolicyZero {
			t.Errorf("%s: %q, want zero by default", host, got.CounterPolicy)
		}
	}
	if got := s.ForSite("microsoft.com", "microsoft.com"); got.CounterPolicy != counter.PolicyTwin {
		t.Errorf("a parent of a listed site is not listed: %q", got.CounterPolicy)
	}
	chosen := Parse([]byte(`{"sites": {"login.microsoft.com": {"counterPolicy": "twin"}}}`))
	if got := chosen.ForSite("login.microsoft.com", "login.microsoft.com"); got.CounterPolicy != counter.PolicyTwin {
		t.Errorf("the person's choice: %q", got.CounterPolicy)
	}
}
