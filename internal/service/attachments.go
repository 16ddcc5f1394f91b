package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/sanitize"
)

// MaxAttachment is the largest file accepted.
const MaxAttachment = 10 << 20

// AttachmentOptions say what an attachment may cost and which types are
// taken in. The zero value takes the defaults.
type AttachmentOptions struct {
	// Limits bound one image's pixels, frames, decode memory and time, the
	// number of decodes at once, and the PDF rewrite (sanitize.DefaultLimits
	// for zero fields).
	Limits sanitize.Limits
	// ExtraTypes are sniffed MIME types (e.g. "application/zip") an
	// administrator accepts besides images and PDF. They cannot be
	// sanitized, so they are stored as sent: whatever metadata they carry
	// reaches whoever may read the case.
	ExtraTypes []string
}

// sanitizedMime are the types made safe at intake: images re-encoded, PDF
// rewritten.
var sanitizedMime = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true, "application/pdf": true}

// SaveAttachment stores content under its SHA-256 and records its metadata.
// The type is sniffed from the bytes, never taken from the client, and the
// content is sanitized by that type (see sanitizeAttachment) before it is
// stored. The file is written to a temporary name, synced, then renamed,
// so a crash never leaves half a file under a real name.
func (s *Service) SaveAttachment(ctx context.Context, actor model.User, name string, r io.Reader) (model.Attachment, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxAttachment+1))
	if err != nil {
		return model.Attachment{}, err
	}
	data, mime, err := s.sanitizeAttachment(ctx, data)
	if err != nil {
		return model.Attachment{}, err
	}
	return s.saveSanitized(ctx, actor, name, data, mime)
}

// saveSanitized stores what sanitizeAttachment returned.
func (s *Service) saveSanitized(ctx context.Context, actor model.User, name string, data []byte, mime string) (model.Attachment, error) {
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

// sanitizeAttachment makes an upload safe to keep, by its sniffed type.
// Images are decoded and re-encoded, which drops EXIF and every other
// embedded block — above all the phone's GPS position and device serials,
// which a whistleblower's photo must not carry to the unit it reports —
// after their headers are checked against the decode budget (a bomb is
// refused before a pixel is decoded). PDFs are rewritten with their pages
// only (no /Info author, XMP, scripts, embedded files, forms or links).
// Types an administrator added are kept as sent; anything else is
// refused. Every refusal is a field error on "file".
func (s *Service) sanitizeAttachment(ctx context.Context, data []byte) ([]byte, string, error) {
	if len(data) > MaxAttachment {
		return nil, "", Invalid("file", "field.file_too_large", MaxAttachment>>20)
	}
	mime := http.DetectContentType(data)
	if i := strings.IndexByte(mime, ';'); i >= 0 {
		mime = mime[:i]
	}
	var err error
	size := len(data)
	switch {
	case strings.HasPrefix(mime, "image/") && sanitizedMime[mime]:
		data, mime, err = s.sanitizer.Image(ctx, data, mime)
	case mime == "application/pdf":
		data, err = s.sanitizer.PDF(ctx, data)
	case slices.Contains(s.extraTypes, mime):
		return data, mime, nil
	default:
		return nil, "", Invalid("file", "field.file_type")
	}
	if err == nil {
		return data, mime, nil
	}
	s.log.Info("attachment refused", "type", mime, "size", size, "reason", err)
	lim := s.sanitizer.Limits()
	switch {
	case errors.Is(err, sanitize.ErrTooLarge):
		return nil, "", Invalid("file", "field.image_too_large", lim.MaxPixels/10_000, lim.MaxTotalPixels/10_000, lim.MaxFrames,
			lim.MaxPixels/1_000_000, lim.MaxTotalPixels/1_000_000)
	case errors.Is(err, sanitize.ErrBusy):
		return nil, "", fmt.Errorf("%w: %w", ErrBusy, err)
	case errors.Is(err, sanitize.ErrTimeout):
		// The decode had its slot (the slots bound how many run at once),
		// so its time was mostly the file's own: the same bytes would
		// time out again, and a 503 would invite retrying them forever.
		return nil, "", Invalid("file", "field.file_too_slow")
	case errors.Is(err, sanitize.ErrPDF):
		return nil, "", Invalid("file", "field.pdf_unsafe")
	}
	return nil, "", Invalid("file", "field.image_unreadable")
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

// OpenAttachment returns an attachment's metadata and content if actor may
// read it (see MayReadAttachment). Every other request, whatever the
// reason, is ErrNotFound: a 403 would confirm that a file of that hash
// exists.
func (s *Service) OpenAttachment(ctx context.Context, actor model.User, id string) (model.Attachment, *os.File, error) {
	a, err := s.MayReadAttachment(ctx, actor, id)
	if err != nil {
		return a, nil, err
	}
	return s.openFile(a)
}

// MayReadAttachment returns an attachment's metadata if actor may read it:
// the file is linked to an event of a case actor may see (the check of the
// case view: a type hidden from a role, such as a discipline clue, hides
// its files from that role, and a unit sees only its own cases), or cited
// by the reply of a supervision document actor may see, or it is actor's
// own upload not yet linked to anything. A file's hash is not a key: a
// second account that learns it reads nothing more. ErrNotFound otherwise.
func (s *Service) MayReadAttachment(ctx context.Context, actor model.User, id string) (model.Attachment, error) {
	if !validAttachmentID(id) {
		return model.Attachment{}, ErrNotFound
	}
	a, err := s.store.Attachment(ctx, id)
	if err != nil {
		return model.Attachment{}, ErrNotFound
	}
	cases, err := s.store.AttachmentCases(ctx, id)
	if err != nil {
		return model.Attachment{}, err
	}
	for _, cid := range cases {
		if c, err := s.store.Case(ctx, cid); err == nil && s.CanSee(actor, c) {
			return a, nil
		}
	}
	sups, err := s.store.AttachmentSupervisions(ctx, id)
	if err != nil {
		return model.Attachment{}, err
	}
	for _, sid := range sups {
		if _, err := s.Supervision(ctx, actor, sid); err == nil {
			return a, nil
		}
	}
	if len(cases) == 0 && len(sups) == 0 && s.uploadedBy(ctx, actor, a) {
		return a, nil
	}
	return model.Attachment{}, ErrNotFound
}

// uploadedBy reports whether actor (logged in) sent the bytes of a.
func (s *Service) uploadedBy(ctx context.Context, actor model.User, a model.Attachment) bool {
	if actor.ID == 0 {
		return false
	}
	if a.CreatedBy == actor.ID {
		return true
	}
	ok, err := s.store.AttachmentUploadedBy(ctx, a.ID, actor.ID)
	return err == nil && ok
}

// mayLinkAttachment reports whether actor may cite attachment id in a case
// action or a reply: a file nobody has linked yet (a fresh upload, perhaps
// anonymous), one actor uploaded (the same bytes may be another case's
// file: content is stored by hash), or one actor may read. Without it,
// naming a hash one cannot read in an action on a case one can see would
// make it readable.
func (s *Service) mayLinkAttachment(ctx context.Context, actor model.User, id string) bool {
	if !validAttachmentID(id) {
		return false
	}
	a, err := s.store.Attachment(ctx, id)
	if err != nil {
		return false
	}
	if s.uploadedBy(ctx, actor, a) {
		return true
	}
	cases, err1 := s.store.AttachmentCases(ctx, id)
	sups, err2 := s.store.AttachmentSupervisions(ctx, id)
	if err1 == nil && err2 == nil && len(cases) == 0 && len(sups) == 0 {
		return true
	}
	_, err = s.MayReadAttachment(ctx, actor, id)
	return err == nil
}

// OpenReceiptAttachment returns a file of the public case whose receipt
// code the caller holds, if the case's timeline links it. (The track page
// narrows further, to the citizen's own photos and the report back's.)
func (s *Service) OpenReceiptAttachment(ctx context.Context, receipt, id string) (model.Attachment, *os.File, error) {
	c, _, err := s.CaseByReceipt(ctx, receipt)
	if err != nil {
		return model.Attachment{}, nil, err
	}
	return s.openCaseFile(ctx, c.ID, id)
}

// OpenOpen311Media returns a medium a submitter published with a public
// Open311 request: the case must be one rd may read (accepted and public
// for anonymous and public-scope readers) and the file one of its
// request's media.
func (s *Service) OpenOpen311Media(ctx context.Context, rd Open311Reader, caseID int64, id string) (model.Attachment, *os.File, error) {
	if _, err := s.Open311Case(ctx, rd, caseID); err != nil {
		return model.Attachment{}, nil, err
	}
	ex, err := s.store.Open311Requests(ctx, []int64{caseID})
	if err != nil {
		return model.Attachment{}, nil, err
	}
	if !slices.Contains(ex[caseID].Media, id) {
		return model.Attachment{}, nil, ErrNotFound
	}
	return s.openCaseFile(ctx, caseID, id)
}

// openCaseFile opens id if case caseID links it.
func (s *Service) openCaseFile(ctx context.Context, caseID int64, id string) (model.Attachment, *os.File, error) {
	if !validAttachmentID(id) {
		return model.Attachment{}, nil, ErrNotFound
	}
	ids, err := s.store.CaseAttachments(ctx, caseID)
	if err != nil {
		return model.Attachment{}, nil, err
	}
	if !slices.Contains(ids, id) {
		return model.Attachment{}, nil, ErrNotFound
	}
	a, err := s.store.Attachment(ctx, id)
	if err != nil {
		return a, nil, ErrNotFound
	}
	return s.openFile(a)
}

func (s *Service) openFile(a model.Attachment) (model.Attachment, *os.File, error) {
	f, err := os.Open(s.attachmentPath(a.ID))
	return a, f, err
}

func validAttachmentID(id string) bool {
	return len(id) == 64 && strings.Trim(id, "0123456789abcdef") == ""
}

func (s *Service) attachmentPath(id string) string {
	return filepath.Join(s.filesDir, id[:2], id[2:])
}
