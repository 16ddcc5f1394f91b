// Package sanitize makes uploaded files safe to keep and to hand to staff:
// images are re-encoded from their pixels alone (no EXIF, GPS, XMP or
// comment block survives), PDFs are rewritten with only their pages.
//
// Both take in bytes from anyone on the network (a citizen's report needs
// no login), so both are built against hostile input first: an image's cost
// is read from its headers and refused before a pixel is decoded (a
// "decompression bomb" of a few megabytes can claim gigapixels), decodes
// share a few slots and a time budget, and the PDF parser has size, object
// and depth budgets. The package holds no global state: a Sanitizer carries
// its limits and its decode slots.
package sanitize

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"
	"time"

	"golang.org/x/image/webp"
)

// Errors a caller maps to messages. Each wraps the detail in its text.
var (
	// ErrTooLarge: the headers claim more pixels, frames or decode memory
	// than the limits allow (a decode bomb, or simply too big).
	ErrTooLarge = errors.New("image too large")
	// ErrUnreadable: not a well-formed file of the claimed type
	// (truncated, corrupt, an unsupported variant such as animated WebP).
	ErrUnreadable = errors.New("file unreadable")
	// ErrBusy: no decode slot came free within the wait budget, or the
	// caller's context ended while waiting.
	ErrBusy = errors.New("sanitizer busy")
	// ErrTimeout: the decode took longer than its time budget; its result
	// is refused.
	ErrTimeout = errors.New("decode took too long")
)

// Limits bound what one image may cost. Zero fields take the defaults of
// DefaultLimits.
type Limits struct {
	// MaxPixels bounds one frame's canvas (width × height): a still photo,
	// or an animation's logical screen.
	MaxPixels int64
	// MaxTotalPixels bounds canvas × frames of an animation: every viewer
	// composites each frame on the whole screen.
	MaxTotalPixels int64
	// MaxFrames bounds an animation's frame count.
	MaxFrames int
	// MaxDecodeBytes bounds the memory the decoder is estimated to take,
	// from the format's bytes per pixel (a progressive JPEG keeps 4 bytes of
	// coefficients per sample besides the image, a 16-bit PNG 8 per pixel).
	MaxDecodeBytes int64
	// Concurrency is how many decodes run at once (default GOMAXPROCS);
	// more wait for a slot.
	Concurrency int
	// Wait is how long a decode waits for a slot before giving up.
	Wait time.Duration
	// DecodeTimeout is how long a decode may run before its result is
	// refused. Go cannot stop a running goroutine: the abandoned decode
	// runs to its end and keeps its slot until then, so the header budget,
	// not this timeout, is what bounds the work.
	DecodeTimeout time.Duration
	// PDF bounds the PDF rewrite.
	PDF PDFLimits
}

// DefaultLimits: a 40-megapixel still (a large phone photo), 100 megapixels
// over all frames of an animation and at most 300 frames, 256 MiB of
// decode memory, a decode slot per core, 5 s to get a slot, 10 s to decode.
func DefaultLimits() Limits {
	return Limits{
		MaxPixels: 40_000_000, MaxTotalPixels: 100_000_000, MaxFrames: 300, MaxDecodeBytes: 256 << 20,
		Concurrency: max(1, runtime.GOMAXPROCS(0)), Wait: 5 * time.Second, DecodeTimeout: 10 * time.Second,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	if l.MaxTotalPixels <= 0 {
		l.MaxTotalPixels = d.MaxTotalPixels
	}
	if l.MaxFrames <= 0 {
		l.MaxFrames = d.MaxFrames
	}
	if l.MaxDecodeBytes <= 0 {
		l.MaxDecodeBytes = d.MaxDecodeBytes
	}
	if l.Concurrency <= 0 {
		l.Concurrency = d.Concurrency
	}
	if l.Wait <= 0 {
		l.Wait = d.Wait
	}
	if l.DecodeTimeout <= 0 {
		l.DecodeTimeout = d.DecodeTimeout
	}
	l.PDF = l.PDF.withDefaults()
	return l
}

// Cost is what an image's headers claim, read without decoding a pixel.
type Cost struct {
	Width, Height int   // the canvas (logical screen for GIF, VP8X canvas for WebP)
	Frames        int   // 1 for a still
	DecodeBytes   int64 // estimated decoder memory
}

// Sanitizer re-encodes images within its limits. It is safe for concurrent
// use; its slots bound the decodes of the process that holds it.
type Sanitizer struct {
	lim   Limits
	slots chan struct{}
}

// New returns a Sanitizer with lim (zero fields: defaults).
func New(lim Limits) *Sanitizer {
	lim = lim.withDefaults()
	return &Sanitizer{lim: lim, slots: make(chan struct{}, lim.Concurrency)}
}

// Limits returns the limits in force (defaults filled in).
func (z *Sanitizer) Limits() Limits { return z.lim }

// Image checks data's headers against the budget, then decodes and
// re-encodes it in a decode slot within the time budget. JPEG and WebP come
// back as JPEG, PNG as PNG, GIF as GIF (every frame); nothing but pixels,
// palette, frame timing and loop count survives. An APNG is kept as its
// default image (the first frame): the standard decoder reads no more.
func (z *Sanitizer) Image(ctx context.Context, data []byte, mime string) ([]byte, string, error) {
	if _, err := z.Check(data, mime); err != nil {
		return nil, "", err
	}
	out, m, err := z.run(ctx, func() ([]byte, string, error) { return reencode(data, mime) })
	if err != nil && !errors.Is(err, ErrUnreadable) && !errors.Is(err, ErrBusy) && !errors.Is(err, ErrTimeout) {
		err = fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	return out, m, err
}

// PDF rewrites a PDF (see the package function PDF) in a decode slot
// within the time budget.
func (z *Sanitizer) PDF(ctx context.Context, data []byte) ([]byte, error) {
	out, _, err := z.run(ctx, func() ([]byte, string, error) {
		b, err := PDF(data, z.lim.PDF)
		return b, "application/pdf", err
	})
	return out, err
}

// run does work in a decode slot: it waits at most lim.Wait for one (or
// until ctx ends), then at most lim.DecodeTimeout for the work. Abandoned
// work keeps its slot until it really ends, so the slots bound the memory
// in use, not only the requests waiting.
func (z *Sanitizer) run(ctx context.Context, work func() ([]byte, string, error)) ([]byte, string, error) {
	wait := time.NewTimer(z.lim.Wait)
	defer wait.Stop()
	select {
	case z.slots <- struct{}{}:
	case <-wait.C:
		return nil, "", fmt.Errorf("%w: no decode slot within %s", ErrBusy, z.lim.Wait)
	case <-ctx.Done():
		return nil, "", fmt.Errorf("%w: %v", ErrBusy, ctx.Err())
	}
	type result struct {
		out  []byte
		mime string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-z.slots }()
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("%w: panic: %v", ErrUnreadable, p)}
			}
		}()
		out, m, err := work()
		done <- result{out, m, err}
	}()
	limit := time.NewTimer(z.lim.DecodeTimeout)
	defer limit.Stop()
	select {
	case r := <-done:
		return r.out, r.mime, r.err
	case <-limit.C:
		return nil, "", fmt.Errorf("%w: over %s", ErrTimeout, z.lim.DecodeTimeout)
	case <-ctx.Done():
		return nil, "", fmt.Errorf("%w: %v", ErrTimeout, ctx.Err())
	}
}

// Check reads data's headers and refuses it, before any decoding, if the
// canvas, the frames or the decoder's memory would exceed the limits.
func (z *Sanitizer) Check(data []byte, mime string) (Cost, error) {
	var c Cost
	var err error
	switch mime {
	case "image/gif":
		c, err = gifCost(data, z.lim.MaxFrames)
	case "image/png":
		c, err = pngCost(data)
	case "image/jpeg":
		c, err = jpegCost(data)
	case "image/webp":
		c, err = webpCost(data)
	default:
		return c, fmt.Errorf("%w: type %s", ErrUnreadable, mime)
	}
	if err != nil {
		return c, err
	}
	px := int64(c.Width) * int64(c.Height)
	switch {
	case c.Width <= 0 || c.Height <= 0:
		return c, fmt.Errorf("%w: empty canvas", ErrUnreadable)
	case px > z.lim.MaxPixels:
		return c, fmt.Errorf("%w: %d×%d canvas", ErrTooLarge, c.Width, c.Height)
	case c.Frames > z.lim.MaxFrames:
		return c, fmt.Errorf("%w: %d frames", ErrTooLarge, c.Frames)
	case px*int64(c.Frames) > z.lim.MaxTotalPixels && c.Frames > 1:
		return c, fmt.Errorf("%w: %d frames of %d×%d", ErrTooLarge, c.Frames, c.Width, c.Height)
	case c.DecodeBytes > z.lim.MaxDecodeBytes:
		return c, fmt.Errorf("%w: decoding would take %d MiB", ErrTooLarge, c.DecodeBytes>>20)
	}
	return c, nil
}

// gifCost walks a GIF's block structure (header, logical screen, colour
// tables, extension blocks, image descriptors and their LZW sub-blocks)
// without decoding: it counts frames and checks that each lies inside the
// logical screen, as the decoder would after allocating it. It stops
// counting past maxFrames+1. A file must end with its trailer.
func gifCost(b []byte, maxFrames int) (Cost, error) {
	bad := func(what string) (Cost, error) { return Cost{}, fmt.Errorf("%w: gif: %s", ErrUnreadable, what) }
	if len(b) < 13 || (string(b[:6]) != "GIF87a" && string(b[:6]) != "GIF89a") {
		return bad("no header")
	}
	c := Cost{Width: int(binary.LittleEndian.Uint16(b[6:])), Height: int(binary.LittleEndian.Uint16(b[8:]))}
	p := 13
	if b[10]&0x80 != 0 {
		p += 3 << (b[10]&7 + 1)
	}
	skipSubBlocks := func() bool {
		for {
			if p >= len(b) {
				return false
			}
			n := int(b[p])
			p++
			if n == 0 {
				return true
			}
			p += n
		}
	}
	var pixels int64
	for {
		if p >= len(b) {
			return bad("truncated (no trailer)")
		}
		switch b[p] {
		case 0x21: // extension: label, then sub-blocks
			p += 2
			if !skipSubBlocks() {
				return bad("truncated extension")
			}
		case 0x2C: // image descriptor
			if p+10 > len(b) {
				return bad("truncated image descriptor")
			}
			left, top := int(binary.LittleEndian.Uint16(b[p+1:])), int(binary.LittleEndian.Uint16(b[p+3:]))
			w, h := int(binary.LittleEndian.Uint16(b[p+5:])), int(binary.LittleEndian.Uint16(b[p+7:]))
			flags := b[p+9]
			p += 10
			if left+w > c.Width || top+h > c.Height {
				return bad(fmt.Sprintf("frame %d×%d at %d,%d outside the %d×%d screen", w, h, left, top, c.Width, c.Height))
			}
			if flags&0x80 != 0 {
				p += 3 << (flags&7 + 1)
			}
			p++ // LZW minimum code size
			if !skipSubBlocks() {
				return bad("truncated image data")
			}
			c.Frames++
			pixels += int64(w) * int64(h)
			if c.Frames > maxFrames {
				return c, nil // already over the limit; Check refuses it
			}
		case 0x3B: // trailer
			if c.Frames == 0 {
				return bad("no frame")
			}
			// The decoder keeps every frame (1 byte a pixel); the encoder
			// writes them again.
			c.DecodeBytes = 2 * pixels
			return c, nil
		default:
			return bad(fmt.Sprintf("unknown block 0x%02x", b[p]))
		}
	}
}

// pngCost reads the IHDR chunk, which a PNG must begin with, and estimates
// the decoded image's size from its colour type and bit depth. An APNG's
// acTL and frame chunks are not read: the decoder keeps only the default
// image, which IHDR describes.
func pngCost(b []byte) (Cost, error) {
	if len(b) < 33 || string(b[:8]) != "\x89PNG\r\n\x1a\n" || string(b[12:16]) != "IHDR" || binary.BigEndian.Uint32(b[8:]) != 13 {
		return Cost{}, fmt.Errorf("%w: png: no IHDR", ErrUnreadable)
	}
	w, h := binary.BigEndian.Uint32(b[16:]), binary.BigEndian.Uint32(b[20:])
	if w > 1<<30 || h > 1<<30 {
		return Cost{}, fmt.Errorf("%w: %d×%d png", ErrTooLarge, w, h)
	}
	depth, colour := b[24], b[25]
	bpp := int64(4) // RGBA or NRGBA
	switch colour {
	case 0: // gray
		bpp = 1
	case 3: // paletted
		bpp = 1
	}
	if depth == 16 {
		bpp *= 2
		if colour == 0 {
			bpp = 2
		}
	}
	if b[28] == 1 {
		bpp *= 2 // Adam7: each pass's image besides the whole
	}
	c := Cost{Width: int(w), Height: int(h), Frames: 1}
	c.DecodeBytes = int64(w) * int64(h) * bpp
	return c, nil
}

// jpegCost takes the size from image/jpeg's DecodeConfig and walks the
// markers to the frame header to learn whether the JPEG is progressive: the
// decoder then keeps every coefficient (4 bytes a sample, all components at
// full size in the worst case) besides the image itself.
func jpegCost(b []byte) (Cost, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return Cost{}, fmt.Errorf("%w: jpeg: %v", ErrUnreadable, err)
	}
	comps, progressive := 3, false
	for p := 2; p+4 <= len(b); {
		if b[p] != 0xFF {
			break
		}
		m := b[p+1]
		if m == 0xFF { // fill byte
			p++
			continue
		}
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC {
			progressive = m == 0xC2
			if p+10 <= len(b) {
				comps = int(b[p+9])
			}
			break
		}
		p += 2 + n
	}
	c := Cost{Width: cfg.Width, Height: cfg.Height, Frames: 1}
	perPixel := int64(max(comps, 1))
	if progressive {
		perPixel += 4 * int64(max(comps, 1))
	}
	c.DecodeBytes = int64(cfg.Width) * int64(cfg.Height) * perPixel
	return c, nil
}

// webpCost takes the canvas from x/image/webp's DecodeConfig (the VP8X
// canvas for an extended file) and walks the RIFF chunks to the image
// chunk, whose own size must fit the canvas. Animated WebP is refused as
// unreadable: the decoder has no support for it.
func webpCost(b []byte) (Cost, error) {
	bad := func(what string) (Cost, error) { return Cost{}, fmt.Errorf("%w: webp: %s", ErrUnreadable, what) }
	if len(b) < 20 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return bad("no RIFF header")
	}
	// The VP8X canvas is read before DecodeConfig: a huge canvas is a
	// bomb, not an unreadable file, whatever follows it.
	if string(b[12:16]) == "VP8X" && len(b) >= 30 {
		if b[20]&0x02 != 0 {
			return bad("animated")
		}
		w := 1 + (int(b[24]) | int(b[25])<<8 | int(b[26])<<16)
		h := 1 + (int(b[27]) | int(b[28])<<8 | int(b[29])<<16)
		if int64(w)*int64(h) > 1<<30 {
			return Cost{}, fmt.Errorf("%w: %d×%d webp canvas", ErrTooLarge, w, h)
		}
	}
	cfg, err := webp.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return bad(err.Error())
	}
	c := Cost{Width: cfg.Width, Height: cfg.Height, Frames: 1}
	// The image chunk's own size.
	for p := 12; p+8 <= len(b); {
		id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		data := b[p+8:]
		if n > len(data) {
			return bad("truncated chunk " + id)
		}
		data = data[:n]
		var w, h int
		switch id {
		case "VP8 ":
			if len(data) < 10 || data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a {
				return bad("bad VP8 frame header")
			}
			w, h = int(binary.LittleEndian.Uint16(data[6:])&0x3fff), int(binary.LittleEndian.Uint16(data[8:])&0x3fff)
			c.DecodeBytes = 3 * int64(w) * int64(h) // YCbCr 4:2:0, alpha, the JPEG re-encode
		case "VP8L":
			if len(data) < 5 || data[0] != 0x2f {
				return bad("bad VP8L header")
			}
			v := binary.LittleEndian.Uint32(data[1:])
			w, h = int(v&0x3fff)+1, int(v>>14&0x3fff)+1
			c.DecodeBytes = 8 * int64(w) * int64(h) // ARGB words and the NRGBA image
		default:
			p += 8 + n + n&1
			continue
		}
		if w > c.Width || h > c.Height {
			return bad(fmt.Sprintf("image %d×%d larger than its canvas %d×%d", w, h, c.Width, c.Height))
		}
		return c, nil
	}
	return bad("no image chunk")
}

// reencode decodes data and writes its pixels again.
func reencode(data []byte, mime string) ([]byte, string, error) {
	var out bytes.Buffer
	switch mime {
	case "image/gif":
		g, err := gif.DecodeAll(bytes.NewReader(data))
		if err != nil {
			return nil, "", err
		}
		err = gif.EncodeAll(&out, &gif.GIF{Image: g.Image, Delay: g.Delay, LoopCount: g.LoopCount, Disposal: g.Disposal, Config: g.Config, BackgroundIndex: g.BackgroundIndex})
		return out.Bytes(), mime, err
	case "image/png":
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, "", err
		}
		err = png.Encode(&out, img)
		return out.Bytes(), mime, err
	case "image/webp":
		img, err := webp.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, "", err
		}
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: 88})
		return out.Bytes(), "image/jpeg", err
	case "image/jpeg":
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, "", err
		}
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: 88})
		return out.Bytes(), "image/jpeg", err
	}
	return nil, "", fmt.Errorf("%w: type %s", ErrUnreadable, mime)
}

// StripJPEGMetadata returns a JPEG without its APP1 (EXIF, XMP), APP3 to
// APP13 and APP15 segments and comments, for JPEG data kept without
// re-encoding (an image inside a PDF). APP0 (JFIF), APP2 (the ICC colour
// profile) and APP14 (Adobe: how to read the colours) stay, as does
// everything from the start of scan on. Data that is not a well-formed
// JPEG up to its scan comes back unchanged.
func StripJPEGMetadata(b []byte) []byte {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return b
	}
	out := append(make([]byte, 0, len(b)), 0xFF, 0xD8)
	for p := 2; p+4 <= len(b); {
		if b[p] != 0xFF {
			return b
		}
		m := b[p+1]
		if m == 0xFF {
			p++
			continue
		}
		if m == 0xDA || m == 0xD9 { // start of scan, end of image: the rest as is
			return append(out, b[p:]...)
		}
		if m >= 0xD0 && m <= 0xD7 || m == 0x01 {
			return b // stand-alone markers before the scan: not a file we know
		}
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if n < 2 || p+2+n > len(b) {
			return b
		}
		drop := m == 0xFE || m == 0xE1 || (m >= 0xE3 && m <= 0xED) || m == 0xEF
		if !drop {
			out = append(out, b[p:p+2+n]...)
		}
		p += 2 + n
	}
	return b
}
