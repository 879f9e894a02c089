// Package hid finds FIDO security keys among the computer's USB HID devices and adapts one to ctaphid.Device.
// It uses rafaelmartins.com/p/usbhid (pure Go: hidraw+sysfs on Linux, IOKit on macOS, hid.dll on Windows), so the
// host builds with CGO_ENABLED=0 everywhere.
//
// A FIDO interface is one whose report descriptor declares Usage Page 0xF1D0, Usage 0x01 (CTAPHID; CTAP 2.1 §11.2,
// "HID report descriptor and device discovery"). Keys are opened with an exclusive lock (flock on Linux, like
// libfido2) so that two programs do not interleave packets.
package hid

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync"

	"rafaelmartins.com/p/usbhid"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

// FIDO usage page and usage of the CTAPHID interface (CTAP 2.1 §11.2, "HID report descriptor and device discovery").
const (
	UsagePageFIDO = 0xF1D0
	UsageCTAPHID  = 0x01
)

// Errors that tell the user what to do.
var (
	// ErrNoUSB: this machine exposes no USB bus (containers, some VMs).
	ErrNoUSB = errors.New("hid: no USB bus visible on this machine")
	// ErrPermissionDenied: the OS refused to open the key (Linux: no udev rule granting access; see
	// "twinkey-host doctor").
	ErrPermissionDenied = errors.New("hid: permission denied opening the security key (run `twinkey-host doctor`)")
	// ErrWindowsAdminRequired: since Windows 10 1903 only administrators may open FIDO HID devices directly;
	// the browser's own WebAuthn (which uses webauthn.dll) still works.
	ErrWindowsAdminRequired = errors.New("hid: Windows lets only administrators talk to FIDO security keys directly " +
		"(since Windows 10 1903); run the browser as administrator or let the browser's own WebAuthn handle this site")
	// ErrInUse: another program holds the key's exclusive lock.
	ErrInUse = errors.New("hid: the security key is in use by another program")
	// ErrNotFound: no FIDO device at that path.
	ErrNotFound = errors.New("hid: security key not found (unplugged?)")
	// ErrReportSize: the device's reports are not 64 bytes.
	ErrReportSize = errors.New("hid: device does not use 64-byte reports")
)

// DeviceInfo describes one FIDO HID interface.
type DeviceInfo struct {
	Path         string `json:"path"`
	VendorID     uint16 `json:"vendorId"`
	ProductID    uint16 `json:"productId"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Product      string `json:"product,omitempty"`
}

// IsFIDO reports whether a HID interface is CTAPHID.
func IsFIDO(usagePage, usage uint16) bool { return usagePage == UsagePageFIDO && usage == UsageCTAPHID }

func isFIDODevice(d *usbhid.Device) bool { return IsFIDO(d.UsagePage(), d.Usage()) }

func enumerate() ([]*usbhid.Device, error) {
	devs, err := usbhid.Enumerate(isFIDODevice)
	if err != nil {
		if runtime.GOOS == "linux" {
			if _, statErr := os.Stat("/sys/bus/usb/devices"); errors.Is(statErr, fs.ErrNotExist) {
				return nil, ErrNoUSB
			}
		}
		return nil, fmt.Errorf("hid: enumerating devices: %w", err)
	}
	return devs, nil
}

// Enumerate lists the FIDO HID interfaces.
func Enumerate() ([]DeviceInfo, error) {
	devs, err := enumerate()
	if err != nil {
		return nil, err
	}
	out := make([]DeviceInfo, 0, len(devs))
	for _, d := range devs {
		out = append(out, DeviceInfo{Path: d.Path(), VendorID: d.VendorId(), ProductID: d.ProductId(),
			Manufacturer: d.Manufacturer(), Product: d.Product()})
	}
	return out, nil
}

// Open opens the FIDO device at path with an exclusive lock.
func Open(path string) (ctaphid.Device, error) {
	devs, err := enumerate()
	if err != nil {
		return nil, err
	}
	for _, d := range devs {
		if d.Path() != path {
			continue
		}
		if d.GetInputReportLength() != ctaphid.ReportSize || d.GetOutputReportLength() != ctaphid.ReportSize {
			return nil, fmt.Errorf("%w: %s has %d/%d", ErrReportSize, path, d.GetInputReportLength(), d.GetOutputReportLength())
		}
		if err := d.Open(true); err != nil {
			return nil, explainOpenError(runtime.GOOS, err)
		}
		return newDevice(d), nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
}

// explainOpenError turns the OS's refusal into an error that says what to do.
func explainOpenError(goos string, err error) error {
	switch {
	case errors.Is(err, usbhid.ErrDeviceLocked):
		return fmt.Errorf("%w: %w", ErrInUse, err)
	case errors.Is(err, fs.ErrPermission):
		if goos == "windows" {
			return fmt.Errorf("%w: %w", ErrWindowsAdminRequired, err)
		}
		return fmt.Errorf("%w: %w", ErrPermissionDenied, err)
	case goos == "windows" && errors.Is(err, usbhid.ErrDeviceFailedToOpen):
		// hid.dll reports access denial without a portable error value.
		return fmt.Errorf("%w: %w", ErrWindowsAdminRequired, err)
	}
	return fmt.Errorf("hid: opening the security key: %w", err)
}

// rawDevice is the part of *usbhid.Device the adapter uses (a seam for tests).
type rawDevice interface {
	GetInputReport() (byte, []byte, error)
	SetOutputReport(reportID byte, data []byte) error
	Close() error
}

// device adapts a blocking HID device to ctaphid.Device: one reader goroutine turns blocking reads into a
// channel so that Read can honour a context. FIDO descriptors declare no report IDs, so reports go out with
// report ID 0 (the usbhid layer adds the prefix byte the OS wants).
type device struct {
	raw     rawDevice
	reports chan []byte
	failed  chan struct{} // closed when the reader stops (device gone or closed)
	err     error         // why the reader stopped; read after failed is closed
	done    chan struct{} // closed by Close
	once    sync.Once
}

func newDevice(raw rawDevice) *device {
	d := &device{raw: raw, reports: make(chan []byte, 32), failed: make(chan struct{}), done: make(chan struct{})}
	go d.readLoop()
	return d
}

func (d *device) readLoop() {
	defer close(d.failed)
	for {
		_, report, err := d.raw.GetInputReport()
		if err != nil {
			d.err = err
			return
		}
		if len(report) != ctaphid.ReportSize {
			d.err = fmt.Errorf("%w: input report of %d bytes", ErrReportSize, len(report))
			return
		}
		select {
		case d.reports <- report:
		case <-d.done:
			return
		}
	}
}

func (d *device) Write(report []byte) error {
	select {
	case <-d.failed:
		return fmt.Errorf("hid: device stopped: %w", d.err)
	default:
	}
	return d.raw.SetOutputReport(0, report)
}

func (d *device) Read(ctx context.Context) ([]byte, error) {
	select {
	case r := <-d.reports:
		return r, nil
	default:
	}
	select {
	case r := <-d.reports:
		return r, nil
	case <-d.failed:
		return nil, fmt.Errorf("hid: device stopped: %w", d.err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (d *device) Close() error {
	var err error
	d.once.Do(func() {
		close(d.done)
		err = d.raw.Close()
	})
	return err
}
