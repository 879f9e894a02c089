package hid

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"testing"
	"time"

	"rafaelmartins.com/p/usbhid"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/fido"
)

// fakeRaw is a blocking HID device: input reports come from in; a closed in is an unplugged device.
type fakeRaw struct {
	in      chan []byte
	written chan []byte
	closed  chan struct{}
}

func newFakeRaw() *fakeRaw {
	return &fakeRaw{in: make(chan []byte, 8), written: make(chan []byte, 8), closed: make(chan struct{})}
}

var errUnplugged = errors.New("read /dev/hidraw7: no such device")

func (f *fakeRaw) GetInputReport() (byte, []byte, error) {
	select {
	case r, ok := <-f.in:
		if !ok {
			return 0, nil, errUnplugged
		}
		return 0, r, nil
	case <-f.closed:
		return 0, nil, usbhid.ErrDeviceIsClosed
	}
}

func (f *fakeRaw) SetOutputReport(id byte, data []byte) error {
	f.written <- append([]byte{id}, data...)
	return nil
}

func (f *fakeRaw) Close() error { close(f.closed); return nil }

func TestAdapterReadWrite(t *testing.T) {
	raw := newFakeRaw()
	d := newDevice(raw)
	defer d.Close()
	report := make([]byte, 64)
	report[0] = 0xAB
	raw.in <- report
	got, err := d.Read(context.Background())
	if err != nil || got[0] != 0xAB {
		t.Fatalf("Read = %x, %v", got, err)
	}
	if err := d.Write(report); err != nil {
		t.Fatal(err)
	}
	if w := <-raw.written; len(w) != 65 || w[0] != 0 || w[1] != 0xAB {
		t.Fatalf("written % x, want report ID 0 then the packet", w[:2])
	}
}

func TestAdapterReadHonoursContext(t *testing.T) {
	d := newDevice(newFakeRaw())
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := d.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read = %v", err)
	}
}

// An unplugged device makes the CTAPHID layer report ErrDeviceGone, not a timeout.
func TestAdapterUnpluggedIsDeviceGone(t *testing.T) {
	raw := newFakeRaw()
	close(raw.in)
	d := newDevice(raw)
	defer d.Close()
	_, err := ctaphid.Open(context.Background(), d, ctaphid.Options{ResponseTimeout: time.Second})
	if !errors.Is(err, ctaphid.ErrDeviceGone) || !errors.Is(err, errUnplugged) {
		t.Fatalf("Open = %v, want ErrDeviceGone", err)
	}
}

func TestAdapterRejectsWrongReportSize(t *testing.T) {
	raw := newFakeRaw()
	raw.in <- make([]byte, 32)
	d := newDevice(raw)
	defer d.Close()
	if _, err := d.Read(context.Background()); !errors.Is(err, ErrReportSize) {
		t.Fatalf("Read = %v", err)
	}
}

func TestExplainOpenError(t *testing.T) {
	cases := []struct {
		goos string
		err  error
		want error
	}{
		{"windows", fmt.Errorf("%w [x]: Access is denied.", usbhid.ErrDeviceFailedToOpen), ErrWindowsAdminRequired},
		{"linux", fmt.Errorf("%w [x]: %w", usbhid.ErrDeviceFailedToOpen, &fs.PathError{Op: "open", Path: "/dev/hidraw0", Err: fs.ErrPermission}), ErrPermissionDenied},
		{"linux", fmt.Errorf("%w [x]", usbhid.ErrDeviceLocked), ErrInUse},
	}
	for _, tc := range cases {
		if got := explainOpenError(tc.goos, tc.err); !errors.Is(got, tc.want) {
			t.Errorf("%s %v -> %v, want %v", tc.goos, tc.err, got, tc.want)
		}
	}
}

func TestIsFIDO(t *testing.T) {
	if !IsFIDO(0xF1D0, 1) || IsFIDO(0xF1D0, 2) || IsFIDO(0x0001, 1) {
		t.Fatal("IsFIDO")
	}
}

func TestEnumerateWithoutUSB(t *testing.T) {
	if _, err := os.Stat("/sys/bus/usb/devices"); err == nil {
		t.Skip("this machine has a USB bus")
	}
	if _, err := Enumerate(); !errors.Is(err, ErrNoUSB) {
		t.Fatalf("Enumerate = %v, want ErrNoUSB", err)
	}
}

// TestRealKey talks to the first real security key (PING and getInfo, no touch needed). Opt-in:
// TWINKEY_REAL_KEY=1.
func TestRealKey(t *testing.T) {
	if os.Getenv("TWINKEY_REAL_KEY") != "1" {
		t.Skip("set TWINKEY_REAL_KEY=1 with a security key plugged in")
	}
	devs, err := Enumerate()
	if err != nil || len(devs) == 0 {
		t.Fatalf("Enumerate = %v, %v", devs, err)
	}
	dev, err := Open(devs[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ctaphid.Open(context.Background(), dev, ctaphid.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Ping(context.Background(), []byte("twinkey")); err != nil {
		t.Fatal(err)
	}
	a, err := fido.New(context.Background(), conn, fido.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %+v", devs[0].Product, a.Describe())
}
