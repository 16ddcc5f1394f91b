package sanitize

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/sanitize/sanitizetest"
)

func sniff(b []byte) string {
	m := http.DetectContentType(b)
	if i := strings.IndexByte(m, ';'); i >= 0 {
		m = m[:i]
	}
	return m
}

// Every bomb is refused as too large from its headers, before decoding;
// the time each took is logged (go test -v), not asserted.
func TestBombsRefusedFromHeaders(t *testing.T) {
	z := New(Limits{})
	for name, b := range sanitizetest.Bombs() {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, _, err := z.Image(context.Background(), b, sniff(b))
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s (%d bytes, %s): %v, want ErrTooLarge", name, len(b), sniff(b), err)
			continue
		}
		t.Logf("%-20s %8d bytes refused in %v, %d KiB allocated: %v", name, len(b), took, (after.TotalAlloc-before.TotalAlloc)>>10, err)
	}
}

func TestBrokenImagesRefused(t *testing.T) {
	z := New(Limits{})
	for name, b := range sanitizetest.Broken() {
		_, _, err := z.Image(context.Background(), b, sniff(b))
		if !errors.Is(err, ErrUnreadable) {
			t.Errorf("%s: %v, want ErrUnreadable", name, err)
		}
	}
	// Animated WebP is a type the decoder cannot read.
	anim := sanitizetest.WebPBomb(10, 10)
	anim[20] |= 0x02
	if _, _, err := z.Image(context.Background(), anim, "image/webp"); !errors.Is(err, ErrUnreadable) {
		t.Errorf("animated webp: %v", err)
	}
}

func TestOrdinaryImagesReencoded(t *testing.T) {
	z := New(Limits{})
	photo := sanitizetest.Photo()
	out, mime, err := z.Image(context.Background(), photo, "image/jpeg")
	if err != nil || mime != "image/jpeg" {
		t.Fatalf("photo: %v %s", err, mime)
	}
	if bytes.Contains(out, []byte("GPS")) || bytes.Contains(out, []byte("PHONE123")) || bytes.Contains(out, []byte("Exif")) {
		t.Fatal("EXIF survived re-encoding")
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(out)); err != nil || cfg.Width != 64 || cfg.Height != 48 {
		t.Fatalf("re-encoded photo: %+v %v", cfg, err)
	}
	if out, mime, err := z.Image(context.Background(), sanitizetest.SmallPNG(), "image/png"); err != nil || mime != "image/png" || len(out) == 0 {
		t.Fatalf("png: %v %s", err, mime)
	}
	// WebP comes back as JPEG, without the EXIF chunk of an extended file.
	for _, w := range [][]byte{sanitizetest.SmallWebP(), sanitizetest.WebPWithEXIF()} {
		out, mime, err := z.Image(context.Background(), w, sniff(w))
		if err != nil || mime != "image/jpeg" || bytes.Contains(out, []byte("GPS")) || bytes.Contains(out, []byte("PHONE123")) {
			t.Fatalf("webp: %v %s", err, mime)
		}
	}
	// An APNG claiming a million frames is its default image, a still.
	out, mime, err = z.Image(context.Background(), sanitizetest.APNG(), "image/png")
	if err != nil || mime != "image/png" || bytes.Contains(out, []byte("acTL")) {
		t.Fatalf("apng: %v %s", err, mime)
	}
	out, mime, err = z.Image(context.Background(), sanitizetest.SmallGIF(), "image/gif")
	if err != nil || mime != "image/gif" {
		t.Fatalf("gif: %v %s", err, mime)
	}
	if g, err := gif.DecodeAll(bytes.NewReader(out)); err != nil || len(g.Image) != 3 || bytes.Contains(out, []byte("comment")) {
		t.Fatalf("gif frames: %v", err)
	}
}

// The animation budget counts frames × screen: 150 frames of a 1000×1000
// screen (150 megapixels) are refused, 20 frames of 100×100 kept.
func TestAnimationBudget(t *testing.T) {
	z := New(Limits{})
	if c, err := z.Check(sanitizetest.GIFBomb(1000, 150), "image/gif"); !errors.Is(err, ErrTooLarge) || c.Frames != 150 {
		t.Fatalf("150 frames of 1000×1000: %+v %v", c, err)
	}
	if _, err := z.Check(sanitizetest.GIFBomb(50, 301), "image/gif"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("301 frames: %v", err)
	}
	out, _, err := z.Image(context.Background(), sanitizetest.GIFBomb(100, 20), "image/gif")
	if err != nil {
		t.Fatal(err)
	}
	if g, err := gif.DecodeAll(bytes.NewReader(out)); err != nil || len(g.Image) != 20 {
		t.Fatalf("20 frames kept: %v", err)
	}
	// A 50-megapixel still is over the still limit; limits are options.
	if _, err := New(Limits{MaxPixels: 5000}).Check(sanitizetest.SmallGIF(), "image/gif"); err != nil {
		t.Fatalf("small gif under a 5000-pixel limit: %v", err)
	}
	if _, err := New(Limits{MaxPixels: 399}).Check(sanitizetest.SmallGIF(), "image/gif"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("20×20 gif under a 399-pixel limit: %v", err)
	}
}

// With one slot taken, the next decode waits its Wait and gives up busy;
// work over its time budget is refused, and keeps its slot until it ends.
func TestDecodeSlotsAndTimeout(t *testing.T) {
	z := New(Limits{Concurrency: 1, Wait: 50 * time.Millisecond, DecodeTimeout: 50 * time.Millisecond})
	release := make(chan struct{})
	ended := make(chan struct{})
	_, _, err := z.run(context.Background(), func() ([]byte, string, error) {
		<-release
		defer close(ended)
		return nil, "", nil
	})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("slow work: %v, want ErrTimeout", err)
	}
	// The abandoned work still holds the only slot.
	if _, _, err := z.Image(context.Background(), sanitizetest.SmallPNG(), "image/png"); !errors.Is(err, ErrBusy) {
		t.Fatalf("while the slot is held: %v, want ErrBusy", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := z.Image(ctx, sanitizetest.SmallPNG(), "image/png"); !errors.Is(err, ErrBusy) {
		t.Fatalf("cancelled while waiting: %v, want ErrBusy", err)
	}
	close(release)
	<-ended
	var err2 error
	for range 100 { // the slot is given back just after the work returns
		if _, _, err2 = z.Image(context.Background(), sanitizetest.SmallPNG(), "image/png"); !errors.Is(err2, ErrBusy) {
			break
		}
	}
	if err2 != nil {
		t.Fatalf("after the work ended: %v", err2)
	}
	// A decoder panic is an unreadable file, and frees its slot.
	if _, _, err := z.run(context.Background(), func() ([]byte, string, error) { panic("boom") }); !errors.Is(err, ErrUnreadable) {
		t.Fatalf("panic: %v", err)
	}
}

func TestPDFDropsMetadataAndScripts(t *testing.T) {
	for _, objStm := range []bool{false, true} {
		in := sanitizetest.PDF(objStm)
		if n, err := PDFPages(in, PDFLimits{}); err != nil || n != 2 {
			t.Fatalf("objstm=%v: input pages %d, %v", objStm, n, err)
		}
		// The input does carry what must go.
		for _, s := range []string{"Author", "JavaScript", "AcroForm", "GPSLatitude"} {
			if !objStm && !bytes.Contains(in, []byte(s)) {
				t.Fatalf("test PDF lacks %s", s)
			}
		}
		out, err := PDF(in, PDFLimits{})
		if err != nil {
			t.Fatalf("objstm=%v: %v", objStm, err)
		}
		for _, s := range sanitizetest.Secrets {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("objstm=%v: output still contains %q", objStm, s)
			}
		}
		if n, err := PDFPages(out, PDFLimits{}); err != nil || n != 2 {
			t.Fatalf("objstm=%v: output pages %d, %v", objStm, n, err)
		}
		if !bytes.Contains(out, []byte("/ID [<")) || !bytes.Contains(out, []byte("/FlateDecode")) || !bytes.Contains(out, []byte("/BaseFont /Helvetica")) {
			t.Fatalf("objstm=%v: output lost its content or ID:\n%s", objStm, out)
		}
		// The page image is still a JPEG, without its EXIF.
		if i := bytes.Index(out, []byte("\xff\xd8")); i < 0 || !bytes.Contains(out, []byte("/DCTDecode")) {
			t.Fatalf("objstm=%v: the image is gone", objStm)
		} else if cfg, err := jpeg.DecodeConfig(bytes.NewReader(out[i:])); err != nil || cfg.Width != 64 {
			t.Fatalf("objstm=%v: the image no longer decodes: %v", objStm, err)
		}
		again, err := PDF(out, PDFLimits{})
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("objstm=%v: a second pass changed the file (%v)", objStm, err)
		}
	}
}

func TestPDFRefused(t *testing.T) {
	for name, b := range map[string][]byte{
		"encrypted": sanitizetest.EncryptedPDF(),
		"garbage":   sanitizetest.GarbagePDF(),
		"header":    []byte("%PDF-1.4\n"),
	} {
		if _, err := PDF(b, PDFLimits{}); !errors.Is(err, ErrPDF) {
			t.Errorf("%s: %v, want ErrPDF", name, err)
		}
	}
	if _, err := PDF(sanitizetest.PDF(false), PDFLimits{MaxObjects: 3}); !errors.Is(err, ErrPDF) {
		t.Errorf("over the object budget: %v", err)
	}
	// A wrong startxref is rebuilt from a scan of the objects.
	in := sanitizetest.PDF(false)
	i := bytes.LastIndex(in, []byte("startxref"))
	broken := append(append([]byte{}, in[:i]...), "startxref\n12\n%%EOF\n"...)
	if n, err := PDFPages(broken, PDFLimits{}); err != nil || n != 2 {
		t.Errorf("rebuilt xref: %d pages, %v", n, err)
	}
}

func TestStripJPEGMetadata(t *testing.T) {
	in := sanitizetest.Photo()
	out := StripJPEGMetadata(in)
	if bytes.Contains(out, []byte("Exif")) || bytes.Contains(out, []byte("PHONE123")) || len(out) >= len(in) {
		t.Fatal("EXIF kept")
	}
	a, err1 := jpeg.Decode(bytes.NewReader(in))
	b, err2 := jpeg.Decode(bytes.NewReader(out))
	if err1 != nil || err2 != nil || a.Bounds() != b.Bounds() {
		t.Fatalf("decode: %v %v", err1, err2)
	}
	// The pixels are the same: only segments before the scan went.
	if !bytes.Equal(in[bytes.Index(in, []byte{0xFF, 0xDA}):], out[bytes.Index(out, []byte{0xFF, 0xDA}):]) {
		t.Fatal("scan data changed")
	}
	for _, junk := range [][]byte{nil, []byte("\xff\xd8"), []byte("\xff\xd8\xff\xe1\xff\xff"), []byte("not a jpeg")} {
		if got := StripJPEGMetadata(junk); !bytes.Equal(got, junk) {
			t.Errorf("%q changed to %q", junk, got)
		}
	}
}

// Overlapping parses are bounded: 20,000 object headers whose strings
// never close would each read to the end of the file (4 GB in all); the
// parse budget refuses the file after a few times its size.
func TestPDFParseBudget(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	for i := range 20_000 {
		fmt.Fprintf(&b, "%d 0 obj (\n", i+1)
	}
	start := time.Now()
	_, err := PDF(b.Bytes(), PDFLimits{})
	if !errors.Is(err, ErrPDF) {
		t.Fatalf("%v, want ErrPDF", err)
	}
	t.Logf("%d bytes refused in %v: %v", b.Len(), time.Since(start), err)
}
