package geo

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// sameParse checks that the fast path, when it answers, answers exactly
// what the general path does.
func sameParse(t interface{ Fatalf(string, ...any) }, raw []byte) bool {
	fast, ok := parseFast(raw)
	if !ok {
		return false
	}
	slow, err := parseGeometryJSON(raw)
	if err != nil {
		t.Fatalf("fast path accepted what encoding/json refuses (%v): %s", err, raw)
	}
	if !reflect.DeepEqual(fast, slow) || len(fast) != len(slow) {
		t.Fatalf("paths differ on %s:\n fast %v\n slow %v", raw, fast, slow)
	}
	return true
}

// TestParseFastMatchesJSON: random geometries written in every JSON way
// (member order, whitespace, number forms, altitudes) parse the same on
// both paths, and the fast path takes all of them.
func TestParseFastMatchesJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		multi := rapid.Bool().Draw(t, "multi")
		ws := func() string { return rapid.SampledFrom([]string{"", " ", "\n", "\t ", "\r\n  "}).Draw(t, "ws") }
		num := func() string {
			v := rapid.Float64Range(-200, 200).Draw(t, "v")
			switch rapid.IntRange(0, 4).Draw(t, "form") {
			case 0:
				return strconv.FormatFloat(v, 'f', -1, 64)
			case 1:
				return strconv.FormatFloat(v, 'e', -1, 64)
			case 2:
				return strconv.FormatFloat(v, 'E', 7, 64)
			case 3:
				return strconv.Itoa(int(v))
			}
			return strconv.FormatFloat(v, 'f', 7, 64)
		}
		pos := func() string {
			n := rapid.IntRange(2, 4).Draw(t, "dims")
			parts := make([]string, n)
			for i := range parts {
				parts[i] = ws() + num() + ws()
			}
			return "[" + strings.Join(parts, ",") + "]"
		}
		list := func(item func() string, lo, hi int) string {
			n := rapid.IntRange(lo, hi).Draw(t, "n")
			parts := make([]string, n)
			for i := range parts {
				parts[i] = ws() + item() + ws()
			}
			return "[" + strings.Join(parts, ",") + "]"
		}
		poly := func() string { return list(func() string { return list(pos, 0, 6) }, 0, 3) }
		typ, coords := `"Polygon"`, poly()
		if multi {
			typ, coords = `"MultiPolygon"`, list(poly, 0, 3)
		}
		members := []string{`"type"` + ws() + ":" + ws() + typ, `"coordinates"` + ws() + ":" + ws() + coords}
		if rapid.Bool().Draw(t, "swap") {
			members[0], members[1] = members[1], members[0]
		}
		raw := ws() + "{" + ws() + members[0] + ws() + "," + ws() + members[1] + ws() + "}" + ws()
		if !sameParse(t, []byte(raw)) {
			t.Fatalf("fast path declined a plain geometry: %s", raw)
		}
	})
}

// TestParseFastDeclines: what only the general path may judge.
func TestParseFastDeclines(t *testing.T) {
	for _, in := range []string{
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[]}}`,
		`{"Type":"Polygon","coordinates":[]}`,
		`{"type":"Polygon","coordinates":[],"bbox":[0,0,1,1]}`,
		`{"type":"Polygon","type":"Polygon","coordinates":[]}`,
		`{"type":"Polygon","coordinates":[[[1,2,null]]]}`,
		`{"type":"Polygon","coordinates":[[[1]]]}`,
		`{"type":"Polygon","coordinates":[[[01,2]]]}`,
		`{"type":"Polygon","coordinates":[[[1.,2]]]}`,
		`{"type":"Polygon","coordinates":[[[+1,2]]]}`,
		`{"type":"Polygon","coordinates":[[[1e999,2]]]}`,
		`{"type":"Polygon","coordinates":[[[1,2]]]} x`,
		`{"type":"Polygon","coordinates":[[[1,2],]]}`,
		`{"type":"Polygon"}`,
		`{"type":"Point","coordinates":[1,2]}`,
		`{"type":"Polygon","coordinates":[[["1",2]]]}`,
		`{"type":"Polygon","coordinates":[[[1,2]]]`,
		`{"type":"Poly\u0067on","coordinates":[[[1,2]]]}`,
		`{}`, ``, `[]`,
	} {
		if _, ok := parseFast([]byte(in)); ok {
			t.Errorf("fast path took %s", in)
		}
	}
	// Both paths agree on the general cases of TestParseGeometry.
	for _, in := range []string{
		`{"type":"Polygon","coordinates":[]}`,
		`{"type":"MultiPolygon","coordinates":[]}`,
		`{"type":"Polygon","coordinates":[[]]}`,
		`{"type":"Polygon","coordinates":[[[-0,0],[1e2,2E-3],[0.5,1]]]}`,
	} {
		if !sameParse(t, []byte(in)) {
			t.Errorf("fast path declined %s", in)
		}
	}
}

func FuzzParseFast(f *testing.F) {
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[112,27],[113,27],[113,28],[112,27]]]}`))
	f.Add([]byte(`{"coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]],"type":"MultiPolygon"}`))
	f.Fuzz(func(t *testing.T, raw []byte) { sameParse(t, raw) })
}

func BenchmarkParseGeometry(b *testing.B) {
	ring := squareM(pilotLat, pilotLng, 100)[0][0]
	var pts []string
	for _, p := range ring {
		pts = append(pts, fmt.Sprintf("[%s,%s]", strconv.FormatFloat(p[0], 'f', 7, 64), strconv.FormatFloat(p[1], 'f', 7, 64)))
	}
	raw := []byte(`{"type":"Polygon","coordinates":[[` + strings.Join(pts, ",") + `]]}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ParseGeometry(raw)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			parseGeometryJSON(raw)
		}
	})
}

func TestGeometryType(t *testing.T) {
	for in, want := range map[string]string{
		`{"type":"Polygon","coordinates":[]}`:                "Polygon",
		`{"coordinates":[[[1,2]]], "type" : "MultiPolygon"}`: "MultiPolygon",
		`{"type":"Feature","geometry":null}`:                 "Feature",
		`{"geometry":{"type":"Polygon"},"type":"Feature"}`:   "Feature",
		`{"coordinates":[1,2],"type":"Point"}`:               "Point",
		`{"Type":"Polygon"}`:                                 "Polygon", // encoding/json's case-insensitive match
		`not json`:                                           "",
		`{"coordinates":[]}`:                                 "",
	} {
		if got := GeometryType([]byte(in)); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}
