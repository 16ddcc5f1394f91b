package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/model"
	"golang.org/x/image/webp"
)

// MaxAttachment is the largest file accepted.
const MaxAttachment = 10 << 20

// maxPixels bounds a decoded image (a 40-megapixel phone photo is large;
// a "decompression bomb" claiming more is refused before decoding).
const maxPixels = 40_000_000

var allowedMime = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true, "application/pdf": true}

// SaveAttachment stores content under its SHA-256 and records its metadata.
// The type is sniffed from the bytes, never taken from the client. Images
// are decoded and re-encoded, which drops EXIF and every other embedded
// block — above all the phone's GPS position and device serials, which a
// whistleblower's photo must not carry to the unit it reports. The file is
// written to a temporary name, synced, then renamed, so a crash never
// leaves half a file under a real name.
func (s *Service) SaveAttachment(ctx context.Context, actor model.User, name string, r io.Reader) (model.Attachment, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxAttachment+1))
	if err != nil {
		return model.Attachment{}, err
	}
	if len(data) > MaxAttachment {
		return model.Attachment{}, Invalid("file", "field.file_too_large", MaxAttachment>>20)
	}
	mime := http.DetectContentType(data)
	if i := strings.IndexByte(mime, ';'); i >= 0 {
		mime = mime[:i]
	}
	if !allowedMime[mime] {
		return model.Attachment{}, Invalid("file", "field.file_type")
	}
	if strings.HasPrefix(mime, "image/") {
		if data, mime, err = sanitizeImage(data, mime); err != nil {
			return model.Attachment{}, Invalid("file", "field.file_type")
		}
	}
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	if err := s.writeFile(id, data); err != nil {
		return model.Attachment{}, err
	}
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	a := model.Attachment{ID: id, Mime: mime, Size: int64(len(data)), Name: filepath.Base(name), CreatedBy: actor.ID, CreatedAt: s.now()}
	return a, s.store.PutAttachment(ctx, a)
}

// sanitizeImage re-encodes an image from its pixels alone. WebP comes back
// as JPEG (the standard library writes no WebP).
func sanitizeImage(data []byte, mime string) ([]byte, string, error) {
	var cfg image.Config
	var err error
	switch mime {
	case "image/webp":
		cfg, err = webp.DecodeConfig(bytes.NewReader(data))
	default:
		cfg, _, err = image.DecodeConfig(bytes.NewReader(data))
	}
	if err != nil {
		return nil, "", err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, "", errors.New("image dimensions out of range")
	}
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
	default:
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, "", err
		}
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: 88})
		return out.Bytes(), "image/jpeg", err
	}
}

func (s *Service) writeFile(id string, data []byte) error {
	dst := s.attachmentPath(id)
	if _, err := os.Stat(dst); err == nil {
		return nil // same content already stored
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// OpenAttachment returns an attachment's metadata and content.
func (s *Service) OpenAttachment(ctx context.Context, id string) (model.Attachment, *os.File, error) {
	if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
		return model.Attachment{}, nil, ErrNotFound
	}
	a, err := s.store.Attachment(ctx, id)
	if err != nil {
		return a, nil, ErrNotFound
	}
	f, err := os.Open(s.attachmentPath(id))
	return a, f, err
}

func (s *Service) attachmentPath(id string) string {
	return filepath.Join(s.filesDir, id[:2], id[2:])
}
