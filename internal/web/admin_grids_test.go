package web

import (
	"bytes"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// TestGridImports: a checked file is handed out once, to its user only,
// until it expires; a user has one checked file at a time; the bytes held
// are bounded; results are kept for their user.
func TestGridImports(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, calendar.Beijing())
	s := gridImports{now: func() time.Time { return now }}
	tok := s.put(&gridImport{user: 1, data: []byte("a"), name: "a.geojson", retire: true})
	if len(tok) < 32 {
		t.Fatalf("token %q", tok)
	}
	if _, ok := s.take(2, tok); ok {
		t.Fatalf("another user took the file")
	}
	if _, ok := s.take(1, "nope"); ok {
		t.Fatalf("a made-up token took a file")
	}
	e, ok := s.take(1, tok)
	if !ok || string(e.data) != "a" || !e.retire || e.name != "a.geojson" {
		t.Fatalf("take: %v %+v", ok, e)
	}
	if _, ok := s.take(1, tok); ok {
		t.Fatalf("a token worked twice")
	}
	// Expiry.
	tok = s.put(&gridImport{user: 1, data: []byte("b")})
	now = now.Add(gridImportTTL)
	if _, ok := s.take(1, tok); ok {
		t.Fatalf("an expired file was taken")
	}
	// One checked file per user: a new check replaces the earlier one.
	first := s.put(&gridImport{user: 1, data: []byte("c")})
	second := s.put(&gridImport{user: 1, data: []byte("d")})
	other := s.put(&gridImport{user: 2, data: []byte("e")})
	if _, ok := s.take(1, first); ok {
		t.Errorf("the replaced file was taken")
	}
	if _, ok := s.take(1, second); !ok {
		t.Errorf("the latest file is gone")
	}
	if _, ok := s.take(2, other); !ok {
		t.Errorf("another user's file was dropped")
	}
	// Bounded: the oldest go first.
	big := bytes.Repeat([]byte("x"), maxPendingGridBytes/2)
	a := s.put(&gridImport{user: 3, data: big})
	now = now.Add(time.Second)
	b := s.put(&gridImport{user: 4, data: big})
	now = now.Add(time.Second)
	c := s.put(&gridImport{user: 5, data: big})
	if s.bytes > maxPendingGridBytes {
		t.Errorf("%d bytes held", s.bytes)
	}
	if _, ok := s.take(3, a); ok {
		t.Errorf("the oldest file was kept past the bound")
	}
	if _, ok := s.take(4, b); !ok {
		t.Errorf("a newer file was dropped")
	}
	if _, ok := s.take(5, c); !ok {
		t.Errorf("the newest file was dropped")
	}
	if s.bytes != 0 || len(s.m) != 0 {
		t.Errorf("left %d bytes in %d entries", s.bytes, len(s.m))
	}
	// Results: for their user, not taken as files, kept until they expire.
	rep := &service.ImportReport{Status: service.ImportImported, Created: 1}
	id := s.put(&gridImport{user: 1, result: rep})
	if _, ok := s.resultOf(2, id); ok {
		t.Errorf("another user saw the result")
	}
	if _, ok := s.take(1, id); ok {
		t.Errorf("a result was taken as a file")
	}
	if e, ok := s.resultOf(1, id); !ok || e.result != rep {
		t.Errorf("result: %v", ok)
	}
	now = now.Add(gridImportTTL)
	if _, ok := s.resultOf(1, id); ok {
		t.Errorf("an expired result is shown")
	}
}
