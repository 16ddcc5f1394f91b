package sanitize

import (
	"bytes"
	"context"
	"errors"
	"image"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/sanitize/sanitizetest"
)

// FuzzSanitize feeds arbitrary bytes to the image sanitizer (as each type)
// and the PDF rewrite. Neither may panic; an image accepted must be within
// the pixel limit; a PDF accepted must parse again with the same page
// count. The decode timeout (10 s) is a generous safety net: an input that
// reaches it is a budget the headers failed to bound.
func FuzzSanitize(f *testing.F) {
	for _, b := range [][]byte{
		sanitizetest.Photo(), sanitizetest.SmallPNG(), sanitizetest.SmallGIF(), sanitizetest.GIFBomb(64, 4),
		sanitizetest.GIFOutsideScreen(), sanitizetest.PNGBomb(), sanitizetest.JPEGBomb(true), sanitizetest.WebPBomb(100, 100),
		sanitizetest.SmallWebP(), sanitizetest.WebPWithEXIF(), sanitizetest.APNG(),
		sanitizetest.PDF(false), sanitizetest.PDF(true), sanitizetest.EncryptedPDF(),
	} {
		f.Add(b)
	}
	lim := Limits{MaxPixels: 1 << 20, MaxTotalPixels: 4 << 20, MaxFrames: 64, MaxDecodeBytes: 32 << 20, Concurrency: 1,
		Wait: time.Minute, DecodeTimeout: 10 * time.Second, PDF: PDFLimits{MaxObjects: 5000, MaxOutput: 8 << 20, MaxInflate: 8 << 20}}
	z := New(lim)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mime := range []string{"image/gif", "image/png", "image/jpeg", "image/webp"} {
			out, _, err := z.Image(context.Background(), b, mime)
			if errors.Is(err, ErrTimeout) || errors.Is(err, ErrBusy) {
				t.Fatalf("%s: %v", mime, err)
			}
			if err != nil {
				continue
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(out))
			if err != nil || int64(cfg.Width)*int64(cfg.Height) > lim.MaxPixels {
				t.Fatalf("%s: accepted output %dx%d, %v", mime, cfg.Width, cfg.Height, err)
			}
		}
		if s := StripJPEGMetadata(b); len(s) > len(b) {
			t.Fatalf("StripJPEGMetadata grew %d bytes to %d", len(b), len(s))
		}
		pages, err := PDFPages(b, lim.PDF)
		out, err2 := z.PDF(context.Background(), b)
		if errors.Is(err2, ErrTimeout) || errors.Is(err2, ErrBusy) {
			t.Fatalf("pdf: %v", err2)
		}
		if err2 != nil {
			return
		}
		if err != nil {
			t.Fatalf("rewritten a PDF whose pages cannot be counted: %v", err)
		}
		if n, err := PDFPages(out, lim.PDF); err != nil || n != pages {
			t.Fatalf("rewrite has %d pages (%v), the input %d", n, err, pages)
		}
	})
}
