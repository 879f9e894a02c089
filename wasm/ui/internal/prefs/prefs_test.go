package prefs

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestNormalizeSite(t *testing.T) {
	good := map[string]string{
		"example.com":                          "example.com",
		"  Example.COM. ":                      "example.com",
		"https://Login.Example.com:8443/a?b#c": "login.example.com",
		"http://user:pw@localhost:8080/":       "localhost",
		"xn--bcher-kva.example":                "xn--bcher-kva.example",
		"192.168.1.10":                         "192.168.1.10",
	}
	for in, want := range good {
		got, err := NormalizeSite(in)
		if err != nil || got != want {
			t.Errorf("NormalizeSite(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "   ", "https://", "exa mple.com", "-bad.com", "a..b", "bücher.de", "a_b.com",
		strings.Repeat("a", 64) + ".com"} {
		if got, err := NormalizeSite(in); !errors.Is(err, ErrSite) {
			t.Errorf("NormalizeSite(%q) = %q, %v; want ErrSite", in, got, err)
		}
	}
}

func TestParseAutoLock(t *testing.T) {
	for in, want := range map[string]int{"1": 1, " 15 ": 15, "1440": 1440} {
		if got, err := ParseAutoLock(in); err != nil || got != want {
			t.Errorf("ParseAutoLock(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"0", "-5", "1441", "1.5", "ten", ""} {
		if _, err := ParseAutoLock(in); !errors.Is(err, ErrAutoLock) {
			t.Errorf("ParseAutoLock(%q) = %v, want ErrAutoLock", in, err)
		}
	}
}

func TestAnswererRoundTrip(t *testing.T) {
	for _, a := range []Answerer{AnswerTwinkey, AnswerHardware, AnswerOff} {
		s := Site{HardwareOnly: true, Off: true, CounterPolicy: CounterZero}.WithAnswerer(a)
		if s.Answerer() != a || s.CounterPolicy != CounterZero {
			t.Errorf("%v: got %+v", a, s)
		}
		if s.HardwareOnly && s.Off {
			t.Errorf("%v: both booleans set", a)
		}
	}
	if (Site{HardwareOnly: true, Off: true}).Answerer() != AnswerOff {
		t.Error("off must win over hardwareOnly")
	}
	if ParseCounterPolicy("zero") != CounterZero || ParseCounterPolicy("bogus") != CounterTwin {
		t.Error("ParseCounterPolicy")
	}
}

func TestSiteNamesSorted(t *testing.T) {
	s := Settings{Sites: map[string]Site{"b.example": {}, "a.example": {}, "c.example": {}}}
	if got := strings.Join(s.SiteNames(), ","); got != "a.example,b.example,c.example" {
		t.Fatal(got)
	}
}

// FuzzNormalizeSite: whatever is typed, a result is either refused or a host name that net/url (an
// implementation we did not write) parses back to itself, and normalizing it again changes nothing.
func FuzzNormalizeSite(f *testing.F) {
	for _, s := range []string{"example.com", "https://a.b:1/c", "x@y:z/", "\x00", "..", "[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormalizeSite(in)
		if err != nil {
			return
		}
		u, perr := url.Parse("https://" + got + "/")
		if perr != nil || u.Hostname() != got {
			t.Fatalf("NormalizeSite(%q) = %q, which net/url reads as %q (%v)", in, got, u.Hostname(), perr)
		}
		if again, err := NormalizeSite(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, got, again, err)
		}
	})
}
