//go:build ignore

// gen draws Twinkey's icons (two interlocking rings, the primary and its backup twin, on a rounded square):
//
//	go run extension/icons/gen.go -o extension/icons
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

const supersample = 4

var (
	background = color.NRGBA{0x1a, 0x56, 0xdb, 0xff}
	ring       = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// shapeAt answers which shapes cover point (x, y) of the unit-square icon.
func shapeAt(x, y float64) (bg, fg bool) {
	// Rounded square, corner radius 0.2.
	const r = 0.2
	dx := math.Max(math.Max(r-x, x-(1-r)), 0)
	dy := math.Max(math.Max(r-y, y-(1-r)), 0)
	bg = dx*dx+dy*dy <= r*r
	// Two rings centred left and right of the middle.
	for _, cx := range []float64{0.38, 0.62} {
		d := math.Hypot(x-cx, y-0.5)
		if d >= 0.17 && d <= 0.25 {
			fg = true
		}
	}
	return bg, fg
}

func draw(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	n := float64(size * supersample)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var bgHits, fgHits int
			for sy := 0; sy < supersample; sy++ {
				for sx := 0; sx < supersample; sx++ {
					x := (float64(px*supersample+sx) + 0.5) / n
					y := (float64(py*supersample+sy) + 0.5) / n
					bg, fg := shapeAt(x, y)
					if bg && fg {
						fgHits++
					} else if bg {
						bgHits++
					}
				}
			}
			total := float64(supersample * supersample)
			a := float64(bgHits+fgHits) / total
			if a == 0 {
				continue
			}
			mix := float64(fgHits) / float64(bgHits+fgHits)
			c := func(b, f uint8) uint8 { return uint8(math.Round(float64(b)*(1-mix) + float64(f)*mix)) }
			img.SetNRGBA(px, py, color.NRGBA{c(background.R, ring.R), c(background.G, ring.G), c(background.B, ring.B), uint8(math.Round(a * 255))})
		}
	}
	return img
}

func main() {
	out := flag.String("o", ".", "output directory")
	flag.Parse()
	for _, size := range []int{16, 32, 48, 128} {
		path := filepath.Join(*out, fmt.Sprintf("icon%d.png", size))
		f, err := os.Create(path)
		if err != nil {
			log.Fatal(err)
		}
		if err := png.Encode(f, draw(size)); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
}
