package service

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"log/slog"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/sanitize"
	"github.com/yiwang-gov/yiwang/internal/sanitize/sanitizetest"
)

func sanitizingService(extra ...string) *Service {
	return &Service{log: slog.New(slog.DiscardHandler), sanitizer: sanitize.New(sanitize.Limits{}), extraTypes: extra}
}

// fieldKey returns the catalogue key of err's "file" field error.
func fieldKey(t *testing.T, err error) string {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a validation error, got %v", err)
	}
	return ve.Fields["file"].Key
}

func TestSanitizeAttachmentDropsEXIF(t *testing.T) {
	s := sanitizingService()
	in := sanitizetest.Photo()
	if !bytes.Contains(in, []byte("GPSLatitude")) {
		t.Fatal("test image has no EXIF")
	}
	out, mime, err := s.sanitizeAttachment(context.Background(), in)
	if err != nil || mime != "image/jpeg" {
		t.Fatalf("sanitize: %v %s", err, mime)
	}
	if bytes.Contains(out, []byte("GPS")) || bytes.Contains(out, []byte("PHONE123")) || bytes.Contains(out, []byte("Exif")) {
		t.Fatal("EXIF survived re-encoding")
	}
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("re-encoded image unreadable: %v", err)
	}
}

// Each kind of refusal has its own message on the field "file".
func TestSanitizeAttachmentRefusals(t *testing.T) {
	s := sanitizingService()
	ctx := context.Background()
	cases := map[string]struct {
		data []byte
		key  string
	}{
		"png bomb":       {sanitizetest.PNGBomb(), "field.image_too_large"},
		"gif bomb":       {sanitizetest.GIFBomb(2000, 40), "field.image_too_large"},
		"webp canvas":    {sanitizetest.WebPBomb(20000, 20000), "field.image_too_large"},
		"broken jpeg":    {[]byte("\xff\xd8\xff\xe0 not really a jpeg"), "field.image_unreadable"},
		"truncated gif":  {sanitizetest.Truncated(sanitizetest.SmallGIF()), "field.image_unreadable"},
		"encrypted pdf":  {sanitizetest.EncryptedPDF(), "field.pdf_unsafe"},
		"garbage pdf":    {sanitizetest.GarbagePDF(), "field.pdf_unsafe"},
		"zip (not set)":  {[]byte("PK\x03\x04rest of a zip file"), "field.file_type"},
		"plain text":     {[]byte("hello"), "field.file_type"},
		"over the limit": {make([]byte, MaxAttachment+1), "field.file_too_large"},
	}
	for name, c := range cases {
		_, _, err := s.sanitizeAttachment(ctx, c.data)
		if got := fieldKey(t, err); got != c.key {
			t.Errorf("%s: %s, want %s", name, got, c.key)
		}
	}
	var ve *ValidationError
	_, _, err := s.sanitizeAttachment(ctx, sanitizetest.PNGBomb())
	if errors.As(err, &ve); len(ve.Fields["file"].Args) != 5 || ve.Fields["file"].Args[0] != int64(4000) {
		t.Fatalf("image_too_large args: %v", ve.Fields["file"].Args)
	}
}

// TestSanitizeAttachmentBusy: a decode over its time budget is the
// file's (422 field.file_too_slow); an upload that then finds the only
// slot still held by that abandoned decode is ErrBusy, not a field error
// (the handlers answer 503). The slot is held by a 20-megapixel decode
// refused at once (DecodeTimeout 1 ns); should it end before the next
// upload asks (a very slow machine), the pair is tried again.
func TestSanitizeAttachmentBusy(t *testing.T) {
	s := &Service{log: slog.New(slog.DiscardHandler),
		sanitizer: sanitize.New(sanitize.Limits{Concurrency: 1, Wait: time.Millisecond, DecodeTimeout: time.Nanosecond})}
	ctx := context.Background()
	big := sanitizetest.LargeJPEG(5000, 4000)
	for n, waits := 1, 0; n <= 5 && waits < 100; n++ {
		_, _, err := s.sanitizeAttachment(ctx, big)
		if errors.Is(err, ErrBusy) { // the last try's decode still runs
			time.Sleep(100 * time.Millisecond)
			n, waits = n-1, waits+1
			continue
		}
		if got := fieldKey(t, err); got != "field.file_too_slow" {
			t.Fatalf("a decode over its budget: %s", got)
		}
		_, _, err = s.sanitizeAttachment(ctx, sanitizetest.SmallPNG())
		if errors.Is(err, ErrBusy) {
			var ve *ValidationError
			if errors.As(err, &ve) || !errors.Is(err, sanitize.ErrBusy) {
				t.Fatalf("busy is a field error or lost its cause: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("while the slot is held: %v", err)
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("never found the slot taken")
}

// A type an administrator added is stored byte for byte; the rest still
// are not.
func TestExtraAttachmentTypes(t *testing.T) {
	s := sanitizingService("application/zip")
	zip := []byte("PK\x03\x04rest of a zip file")
	out, mime, err := s.sanitizeAttachment(context.Background(), zip)
	if err != nil || mime != "application/zip" || !bytes.Equal(out, zip) {
		t.Fatalf("zip: %v %s", err, mime)
	}
	if _, _, err := s.sanitizeAttachment(context.Background(), []byte("hello")); fieldKey(t, err) != "field.file_type" {
		t.Fatal("text accepted")
	}
	out, mime, err = s.sanitizeAttachment(context.Background(), sanitizetest.PDF(true))
	if err != nil || mime != "application/pdf" || bytes.Contains(out, []byte("张三")) {
		t.Fatalf("pdf: %v %s", err, mime)
	}
}
