package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// TestOpenAPIMatchesRoutes keeps openapi.json true: every route Register
// adds is documented, and every documented operation is registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	a := New(Deps{})
	a.Register(http.NewServeMux())
	registered := map[string]bool{}
	for _, p := range a.Routes() {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			// A pattern without a method is a catch-all (the JSON 404 for
			// unknown /api/ paths), not an operation.
			continue
		}
		key := strings.ToLower(method) + " " + path
		registered[key] = true
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %q is registered but not in openapi.json", p)
		}
	}
	if len(registered) < 10 {
		t.Fatalf("only %d routes recorded: %v", len(registered), a.Routes())
	}
	for path, item := range doc.Paths {
		for m := range item {
			if !slices.Contains(methods, m) {
				continue // parameters, summary …
			}
			if !registered[m+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not registered", strings.ToUpper(m), path)
			}
		}
	}
}

// TestOpenAPIWellFormed checks what a generator would trip on: unique
// operation ids, path parameters declared, every $ref resolving, responses
// on every operation, and schemas that compile as JSON Schema 2020-12.
func TestOpenAPIWellFormed(t *testing.T) {
	var raw any
	if err := json.Unmarshal(OpenAPI(), &raw); err != nil {
		t.Fatal(err)
	}
	root := raw.(map[string]any)
	resolve := func(ref string) bool {
		if !strings.HasPrefix(ref, "#/") {
			return false
		}
		var cur any = root
		for _, part := range strings.Split(ref[2:], "/") {
			m, ok := cur.(map[string]any)
			if !ok {
				return false
			}
			if cur, ok = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]; !ok {
				return false
			}
		}
		return true
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["$ref"].(string); ok && !resolve(r) {
				t.Errorf("%s: $ref %q does not resolve", at, r)
			}
			for k, c := range x {
				walk(c, at+"/"+k)
			}
		case []any:
			for _, c := range x {
				walk(c, at)
			}
		}
	}
	walk(root, "#")

	ids := map[string]bool{}
	paramRe := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range root["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			if !slices.Contains(methods, m) {
				continue
			}
			o := op.(map[string]any)
			id, _ := o["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: operationId %q missing or repeated", m, path, id)
			}
			ids[id] = true
			if rs, _ := o["responses"].(map[string]any); len(rs) == 0 {
				t.Errorf("%s %s: no responses", m, path)
			}
			declared := map[string]bool{}
			params, _ := o["parameters"].([]any)
			for _, p := range params {
				pm := p.(map[string]any)
				if r, ok := pm["$ref"].(string); ok {
					pm = root["components"].(map[string]any)["parameters"].(map[string]any)[strings.TrimPrefix(r, "#/components/parameters/")].(map[string]any)
				}
				if pm["in"] == "path" {
					declared[pm["name"].(string)] = true
				}
			}
			for _, mt := range paramRe.FindAllStringSubmatch(path, -1) {
				if !declared[mt[1]] {
					t.Errorf("%s %s: path parameter %q not declared", m, path, mt[1])
				}
			}
		}
	}

	c := jsonschema.NewCompiler()
	if err := c.AddResource("https://yiwang.invalid/openapi.json", raw); err != nil {
		t.Fatal(err)
	}
	for name := range root["components"].(map[string]any)["schemas"].(map[string]any) {
		if _, err := c.Compile("https://yiwang.invalid/openapi.json#/components/schemas/" + name); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	mux := http.NewServeMux()
	New(Deps{}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !bytes.Equal(body, OpenAPI()) {
		t.Fatalf("GET openapi.json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// TestOpenAPIResponsesTyped refuses the placeholder {"type": ["object",
// "array"]} as a success answer's schema: an integrator's generated client
// learns nothing from it. internal/app's TestOpenAPIResponses checks the
// schemas against real answers.
func TestOpenAPIResponsesTyped(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths {
		for m, raw := range item {
			if !slices.Contains(methods, m) {
				continue // parameters, summary …
			}
			var op struct {
				Responses map[string]struct {
					Content map[string]struct {
						Schema map[string]any `json:"schema"`
					} `json:"content"`
				} `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", m, path, err)
			}
			for status, res := range op.Responses {
				s := res.Content["application/json"].Schema
				if t0, ok := s["type"].([]any); strings.HasPrefix(status, "2") && ok && len(t0) == 2 && t0[0] == "object" && t0[1] == "array" {
					t.Errorf("%s %s %s: the answer's schema is the placeholder [object, array]", strings.ToUpper(m), path, status)
				}
			}
		}
	}
}
