package open311

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// Limits of a POST body.
const (
	MaxFormBody  = 1 << 20  // an url-encoded body, or the fields of a multipart one together
	MaxFieldSize = 64 << 10 // one multipart field
	MaxParts     = 200      // parts of a multipart body
	// MaxPostBody bounds a whole multipart body: the media and the fields.
	MaxPostBody = service.MaxOpen311Media*service.MaxAttachment + MaxFormBody
)

// Parse errors; each is answered with 400.
var (
	errBadForm     = errors.New("open311: malformed form body")
	errTooLarge    = errors.New("open311: body too large")
	errContentType = errors.New("open311: unsupported content type")
	errTooMany     = errors.New("open311: too many media files")
)

// form is a parsed POST body.
type form struct {
	values url.Values
	media  []service.Open311Media
}

// isMedia reports whether a multipart field carries an uploaded file.
func isMedia(name string) bool { return name == "media" || name == "media[]" }

// parseBody reads an application/x-www-form-urlencoded or
// multipart/form-data body (a missing Content-Type is read as url-encoded).
// Nothing is written anywhere: uploaded files are kept in memory, within
// the limits above. Query-string parameters fill in names the body lacks.
func parseBody(contentType string, body io.Reader, query url.Values) (form, error) {
	f := form{values: url.Values{}}
	mt, params, err := mime.ParseMediaType(contentType)
	if contentType == "" {
		mt, err = "application/x-www-form-urlencoded", nil
	}
	if err != nil {
		return f, errContentType
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		b, err := io.ReadAll(io.LimitReader(body, MaxFormBody+1))
		if err != nil {
			return f, readErr(err)
		}
		if len(b) > MaxFormBody {
			return f, errTooLarge
		}
		v, err := url.ParseQuery(string(b))
		if err != nil {
			return f, errBadForm
		}
		f.values = v
	case "multipart/form-data":
		boundary := params["boundary"]
		if boundary == "" || len(boundary) > 70 {
			return f, errBadForm
		}
		if err := parseMultipart(&f, multipart.NewReader(body, boundary)); err != nil {
			return f, err
		}
	default:
		return f, errContentType
	}
	for k, vs := range query {
		if _, ok := f.values[k]; !ok {
			f.values[k] = vs
		}
	}
	return f, nil
}

func parseMultipart(f *form, mr *multipart.Reader) error {
	fieldBytes := 0
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return readErr(err)
		}
		if n >= MaxParts {
			return errBadForm
		}
		name := p.FormName()
		if name == "" {
			p.Close()
			continue
		}
		if isMedia(name) {
			if len(f.media) >= service.MaxOpen311Media {
				return errTooMany
			}
			data, err := io.ReadAll(io.LimitReader(p, service.MaxAttachment+1))
			if err != nil {
				return readErr(err)
			}
			if len(data) > service.MaxAttachment {
				return errTooLarge
			}
			if len(data) > 0 {
				f.media = append(f.media, service.Open311Media{Name: p.FileName(), Data: data})
			}
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p, MaxFieldSize+1))
		if err != nil {
			return readErr(err)
		}
		fieldBytes += len(data)
		if len(data) > MaxFieldSize || fieldBytes > MaxFormBody {
			return errTooLarge
		}
		f.values.Add(name, string(data))
	}
}

func readErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	return errBadForm
}

// attributes collects attribute[CODE] and attribute[CODE][] parameters.
// ok is false when a parameter starts with "attribute[" but is not one of
// the two forms.
func attributes(v url.Values) (map[string][]string, bool) {
	out := map[string][]string{}
	for k, vs := range v {
		rest, found := strings.CutPrefix(k, "attribute[")
		if !found {
			continue
		}
		code, multi := strings.CutSuffix(rest, "][]")
		if !multi {
			var closed bool
			code, closed = strings.CutSuffix(rest, "]")
			if !closed {
				return nil, false
			}
		}
		if code == "" || strings.ContainsAny(code, "[]") {
			return nil, false
		}
		out[code] = append(out[code], vs...)
	}
	return out, true
}
