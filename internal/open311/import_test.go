package open311

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/store"
)

// citySamples is ../shared/conformance/open311/city-samples beside the
// repository; the test is skipped when it is absent.
func citySamples(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = filepath.Dir(dir)
	}
	samples := filepath.Join(dir, "..", "shared", "conformance", "open311", "city-samples")
	if _, err := os.Stat(filepath.Join(samples, "dc-services.xml")); err != nil {
		t.Skipf("city samples not found at %s (../shared beside the repository)", samples)
	}
	return samples
}

func parseFile[T any](t *testing.T, path string, parse func(io.Reader) (T, error)) T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return b
}

// TestImportDCServices imports Washington DC's service list and its
// pothole definition as categories, then serves them back: every service
// and attribute comes back as DC published it.
func TestImportDCServices(t *testing.T) {
	dir := citySamples(t)
	services := parseFile(t, filepath.Join(dir, "dc-services.xml"), ParseServices)
	def := parseFile(t, filepath.Join(dir, "dc-services-S0301.xml"), ParseServiceDefinition)
	if len(services) != 86 || def.ServiceCode != "S0301" || len(def.Attributes) == 0 {
		t.Fatalf("parsed %d services, definition %s with %d attributes", len(services), def.ServiceCode, len(def.Attributes))
	}
	e := newEnv(t, false)
	ctx := context.Background()
	n, err := ImportServices(ctx, e.svc, services, map[string]ImportedDefinition{"S0301": def}, ImportOptions{})
	if err != nil || n != 86 {
		t.Fatalf("import: %d %v", n, err)
	}
	// Importing again collides on the codes and writes nothing.
	before := len(e.svc.Ref().CatList)
	if _, err := ImportServices(ctx, e.svc, services, nil, ImportOptions{}); !errors.Is(err, store.ErrConflict) || len(e.svc.Ref().CatList) != before {
		t.Fatalf("second import: %v, %d categories (was %d)", err, len(e.svc.Ref().CatList), before)
	}

	mux := http.NewServeMux()
	e.h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	back, err := ParseServices(bytes.NewReader(get(t, srv.URL+"/open311/v2/services.xml")))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(services) {
		t.Fatalf("served %d services, imported %d", len(back), len(services))
	}
	byCode := map[string]ImportedService{}
	for _, s := range back {
		byCode[s.Code] = s
	}
	for _, s := range services {
		if got := byCode[s.Code]; got != s {
			t.Errorf("service %s served as\n%+v\nimported\n%+v", s.Code, got, s)
		}
	}
	fromJSON, err := ParseServices(bytes.NewReader(get(t, srv.URL+"/open311/v2/services.json")))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fromJSON, back) {
		t.Error("services.json and services.xml differ")
	}

	gotDef, err := ParseServiceDefinition(bytes.NewReader(get(t, srv.URL+"/open311/v2/services/S0301.xml")))
	if err != nil {
		t.Fatal(err)
	}
	if gotDef.ServiceCode != "S0301" || len(gotDef.Attributes) != len(def.Attributes) {
		t.Fatalf("definition served back: %+v", gotDef)
	}
	attrs := map[string]ImportedAttribute{}
	for i, a := range gotDef.Attributes {
		attrs[a.Code] = a
		if i > 0 && a.Order < gotDef.Attributes[i-1].Order {
			t.Errorf("attributes not in order: %d after %d", a.Order, gotDef.Attributes[i-1].Order)
		}
	}
	for _, want := range def.Attributes {
		got := attrs[want.Code]
		if got.Variable != want.Variable || got.Datatype != want.Datatype || got.Required != want.Required || got.Order != want.Order ||
			got.DatatypeDescription != want.DatatypeDescription || got.Description != want.Description || !slices.Equal(got.Values, want.Values) {
			t.Errorf("attribute %s served as %+v, imported %+v", want.Code, got, want)
		}
	}
	jsonDef, err := ParseServiceDefinition(bytes.NewReader(get(t, srv.URL+"/open311/v2/services/S0301.json")))
	if err != nil {
		t.Fatal(err)
	}
	if len(jsonDef.Attributes) != len(gotDef.Attributes) {
		t.Error("JSON and XML definitions differ")
	}
	// A service without a published definition answers an empty one.
	var empty struct {
		XMLName    xml.Name `xml:"service_definition"`
		Attributes struct {
			List []struct{} `xml:"attribute"`
		} `xml:"attributes"`
	}
	if err := xml.Unmarshal(get(t, srv.URL+"/open311/v2/services/S0000.xml"), &empty); err != nil || len(empty.Attributes.List) != 0 {
		t.Fatalf("S0000 definition: %v", err)
	}
}
