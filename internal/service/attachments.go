package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// MaxAttachment is the largest file accepted.
const MaxAttachment = 10 << 20

var allowedMime = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true, "application/pdf": true}

// SaveAttachment stores content under its SHA-256 (written to a temporary
// file, synced, then renamed, so a crash never leaves half a file under a
// real name) and records its metadata. The type is sniffed from the bytes,
// not taken from the client.
func (s *Service) SaveAttachment(ctx context.Context, actor model.User, name string, r io.Reader) (model.Attachment, error) {
	if err := os.MkdirAll(s.filesDir, 0o750); err != nil {
		return model.Attachment{}, err
	}
	tmp, err := os.CreateTemp(s.filesDir, ".upload-*")
	if err != nil {
		return model.Attachment{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	var head [512]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return model.Attachment{}, err
	}
	mime := http.DetectContentType(head[:n])
	if i := strings.IndexByte(mime, ';'); i >= 0 {
		mime = mime[:i]
	}
	if !allowedMime[mime] {
		return model.Attachment{}, Invalid("file", "field.file_type")
	}
	size, err := io.Copy(io.MultiWriter(tmp, h), io.MultiReader(bytes.NewReader(head[:n]), io.LimitReader(r, MaxAttachment+1-int64(n))))
	if err != nil {
		return model.Attachment{}, err
	}
	if size > MaxAttachment {
		return model.Attachment{}, Invalid("file", "field.file_too_large", MaxAttachment>>20)
	}
	if err := tmp.Sync(); err != nil {
		return model.Attachment{}, err
	}
	id := hex.EncodeToString(h.Sum(nil))
	dst := s.attachmentPath(id)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return model.Attachment{}, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return model.Attachment{}, err
	}
	if utf8Len := len([]rune(name)); utf8Len > 200 {
		name = string([]rune(name)[:200])
	}
	a := model.Attachment{ID: id, Mime: mime, Size: size, Name: filepath.Base(name), CreatedBy: actor.ID, CreatedAt: s.now()}
	return a, s.store.PutAttachment(ctx, a)
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
