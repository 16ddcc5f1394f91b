package audit

import (
	"context"
	"errors"
	"testing"
	"time"
)

type memSource struct {
	entries []Entry
	head    int64
	hash    string
}

func (m *memSource) AuditEntries(_ context.Context, after int64, limit int) ([]Entry, error) {
	var out []Entry
	for _, e := range m.entries {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memSource) AuditHead(context.Context) (int64, string, error) { return m.head, m.hash, nil }

func chain(t *testing.T, n int) *memSource {
	m := &memSource{hash: Genesis}
	for i := range n {
		e, err := Seal(Entry{At: time.UnixMilli(int64(1_700_000_000_000 + i)), UserID: int64(i % 3), Username: "u", Action: "POST /api/v1/cases", Result: "201"}, m.head, m.hash)
		if err != nil {
			t.Fatal(err)
		}
		m.entries = append(m.entries, e)
		m.head, m.hash = e.Seq, e.Hash
	}
	return m
}

func TestVerifyFindsTampering(t *testing.T) {
	if n, err := VerifyAll(context.Background(), chain(t, 2500)); err != nil || n != 2500 {
		t.Fatalf("intact chain: %d, %v", n, err)
	}
	cases := []struct {
		name   string
		tamper func(m *memSource)
		seq    int64
	}{
		{"changed", func(m *memSource) { m.entries[41].Result = "200" }, 42},
		{"deleted", func(m *memSource) { m.entries = append(m.entries[:99], m.entries[100:]...) }, 100},
		{"inserted", func(m *memSource) {
			forged, _ := Seal(Entry{At: time.Now(), Action: "forged", Result: "ok"}, 10, "f00")
			rest := append([]Entry{}, m.entries[10:]...)
			for i := range rest {
				rest[i].Seq++
			}
			m.entries = append(append(m.entries[:10], forged), rest...)
		}, 11},
		{"rehashed without relinking", func(m *memSource) {
			m.entries[7].Detail = "x"
			m.entries[7].Hash, _ = Compute(m.entries[7])
		}, 9},
		{"tail cut", func(m *memSource) { m.entries = m.entries[:2000] }, 2001},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := chain(t, 2500)
			tc.tamper(m)
			_, err := VerifyAll(context.Background(), m)
			var b *Broken
			if !errors.As(err, &b) || b.Seq != tc.seq {
				t.Fatalf("err = %v, want broken at %d", err, tc.seq)
			}
		})
	}
}

func TestSM3Chain(t *testing.T) {
	m := &memSource{hash: Genesis}
	for i := range 5 {
		e, err := Seal(Entry{Alg: "sm3", At: time.UnixMilli(int64(i)), Action: "login", Result: "ok"}, m.head, m.hash)
		if err != nil || len(e.Hash) != 64 {
			t.Fatal(e.Hash, err)
		}
		m.entries = append(m.entries, e)
		m.head, m.hash = e.Seq, e.Hash
	}
	if _, err := VerifyAll(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// The same entry hashed with SHA-256 differs: the algorithm is bound in.
	e := m.entries[0]
	e.Alg = "sha256"
	if h, _ := Compute(e); h == m.entries[0].Hash {
		t.Fatal("SM3 and SHA-256 chains agree")
	}
}

func TestUnknownAlgorithm(t *testing.T) {
	if _, err := Seal(Entry{Alg: "md5"}, 0, Genesis); err == nil {
		t.Fatal("unknown algorithm accepted")
	}
}
