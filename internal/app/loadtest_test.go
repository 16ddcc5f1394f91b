package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/loadtest"
	"github.com/yiwang-gov/yiwang/internal/model"
)

// TestLoadtestAgainstApp runs the load generator for a second against the
// whole app and checks what it reports against what the store holds.
func TestLoadtestAgainstApp(t *testing.T) {
	h := newHarness(t, t.TempDir())
	before, _ := h.app.Store.CountCases(context.Background(), model.CaseFilter{})
	res, err := loadtest.Run(context.Background(), loadtest.Config{Target: h.srv.URL, Rate: 100, Duration: time.Second,
		Mix: map[string]int{"cases": 3, "read": 1}, Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent < 50 || res.Completed != res.Sent || res.Errors != 0 {
		t.Fatalf("sent %d completed %d errors %d", res.Sent, res.Completed, res.Errors)
	}
	created := res.Status[201]
	after, _ := h.app.Store.CountCases(context.Background(), model.CaseFilter{})
	if after-before != created || created < res.ByKind["cases"].Count {
		t.Fatalf("loadtest reports %d created (%d case requests), store grew by %d", created, res.ByKind["cases"].Count, after-before)
	}
	if res.Status[200] != res.ByKind["read"].Count {
		t.Fatalf("reads: %d answered 200 of %d", res.Status[200], res.ByKind["read"].Count)
	}
}
