package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// The Open311 documents are checked against the repository's own JSON
// Schemas (testdata/open311, written from the GeoReport v2 specification),
// so the conformance tests run on a bare clone. Where the official schemas
// are beside the repository (../shared/conformance/open311), a document
// must pass them too, under the kind "shared:"+kind.
var sharedSchemas = map[string]string{"services": "services.json", "definition": "service-definition.json", "requests": "requests.json"}

var (
	schemaOnce sync.Once
	schemas    map[string]*jsonschema.Schema
	schemaErr  error
)

// repoRoot walks up from the test's directory to the go.mod.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// conformanceDir is ../shared/conformance/open311 beside the repository,
// or "" when it is absent (a bare clone).
func conformanceDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "..", "shared", "conformance", "open311")
	if _, err := os.Stat(filepath.Join(dir, "request.json")); err != nil {
		return ""
	}
	return dir
}

func loadSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	dir := conformanceDir(t)
	schemaOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		schemas = map[string]*jsonschema.Schema{}
		if dir != "" {
			for kind, file := range sharedSchemas {
				abs, _ := filepath.Abs(filepath.Join(dir, file))
				s, err := c.Compile(abs)
				if err != nil {
					schemaErr = fmt.Errorf("%s: %w", file, err)
					return
				}
				schemas["shared:"+kind] = s
			}
		}
		for _, kind := range []string{"services", "definition", "requests", "errors", "tokens", "created", "discovery", "updates"} {
			abs, _ := filepath.Abs(filepath.Join("testdata", "open311", kind+".json"))
			s, err := c.Compile(abs)
			if err != nil {
				schemaErr = fmt.Errorf("%s: %w", kind, err)
				return
			}
			schemas[kind] = s
		}
	})
	if schemaErr != nil {
		t.Fatal(schemaErr)
	}
	return schemas
}

// xmlRoots is the root element of each kind of document.
var xmlRoots = map[string]string{
	"services": "services", "definition": "service_definition", "requests": "service_requests", "errors": "errors",
	"tokens": "service_requests", "created": "service_requests", "discovery": "discovery", "updates": "service_request_updates",
}

type o311 struct {
	status int
	header http.Header
	raw    []byte
}

// open311 sends a request to /open311/v2/path and checks the document it
// gets back against kind: a JSON answer against its schema, an XML answer
// for its declaration, well-formedness and root element. An error status
// is checked as the "errors" kind.
func (h *harness) open311(t *testing.T, method, path, kind string, body []byte, contentType string, hdr ...string) o311 {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, h.srv.URL+"/open311/v2/"+path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := o311{status: res.StatusCode, header: res.Header, raw: raw}
	if res.StatusCode >= 400 {
		kind = "errors"
	}
	file := path
	if i := strings.IndexByte(file, '?'); i >= 0 {
		file = file[:i]
	}
	checkDoc(t, kind, strings.HasSuffix(file, ".json"), res.Header.Get("Content-Type"), raw)
	return r
}

func checkDoc(t *testing.T, kind string, isJSON bool, contentType string, raw []byte) {
	t.Helper()
	sch := loadSchemas(t)
	if isJSON {
		if !strings.HasPrefix(contentType, "application/json") {
			t.Fatalf("JSON answer with Content-Type %q: %s", contentType, raw)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("not JSON: %v: %s", err, raw)
		}
		if err := sch[kind].Validate(inst); err != nil {
			t.Fatalf("%s document fails its schema: %v\n%s", kind, err, raw)
		}
		if official, ok := sch["shared:"+kind]; ok {
			if err := official.Validate(inst); err != nil {
				t.Fatalf("%s document fails the official Open311 schema: %v\n%s", kind, err, raw)
			}
		}
		return
	}
	if !strings.HasPrefix(contentType, "text/xml") {
		t.Fatalf("XML answer with Content-Type %q: %s", contentType, raw)
	}
	if !bytes.HasPrefix(raw, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Fatalf("XML without declaration: %.80s", raw)
	}
	dec := xml.NewDecoder(bytes.NewReader(raw))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("XML not well-formed: %v\n%s", err, raw)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != xmlRoots[kind] {
		t.Fatalf("XML root <%s>, want <%s>", root, xmlRoots[kind])
	}
}

func jsonList(t *testing.T, raw []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return out
}

// apiKey makes an API key through the service, as `yiwang apikey create` does.
func apiKey(t *testing.T, h *harness, in service.NewAPIKey) string {
	t.Helper()
	if in.Name == "" {
		in.Name = "测试客户端"
	}
	key, _, err := h.app.Service.CreateAPIKey(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func form(kv ...string) []byte {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return []byte(v.Encode())
}

const formType = "application/x-www-form-urlencoded"

// o311counts is the row count of every table an Open311 write touches,
// read straight from the database (openRaw).
func o311counts(t *testing.T, h *harness) string {
	t.Helper()
	db := openRaw(t, h.dir)
	defer db.Close()
	var b strings.Builder
	for _, table := range []string{"cases", "case_events", "attachments", "case_attachments", "open311_requests", "open311_updates"} {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d ", table, n)
	}
	return b.String()
}
