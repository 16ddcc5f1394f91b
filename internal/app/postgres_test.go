package app_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/pii"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// TestDemoLoadsOnceAcrossNodes starts three nodes on one empty PostgreSQL
// database at the same moment, all in demo mode: the district and its
// history must be loaded exactly once.
func TestDemoLoadsOnceAcrossNodes(t *testing.T) {
	url := storetest.PostgresURL(t)
	const cases = 40
	// The nodes share one key ring, as in production: made before any
	// starts, since all three find the database empty.
	keys := filepath.Join(t.TempDir(), "pii.keys")
	line, _ := pii.GenerateKeyLine("k1", pii.AES)
	if err := os.WriteFile(keys, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	apps := make([]*app.App, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range apps {
		wg.Go(func() {
			apps[i], errs[i] = app.Open(context.Background(), app.Config{DataDir: t.TempDir(), DatabaseURL: url, Demo: true, DemoCases: cases, PIIKeys: keys})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer apps[i].Close()
	}
	n, err := apps[0].Store.CountCases(context.Background(), model.CaseFilter{})
	if err != nil || n != cases {
		t.Fatalf("%d cases after three nodes started, want %d (%v)", n, cases, err)
	}
	users, _ := apps[1].Store.ListUsers(context.Background())
	seen := map[string]bool{}
	for _, u := range users {
		if seen[u.Username] {
			t.Fatalf("user %s loaded twice", u.Username)
		}
		seen[u.Username] = true
	}
	if len(apps[2].Service.Ref().Grids) < 300 {
		t.Fatalf("node 3 sees %d grids", len(apps[2].Service.Ref().Grids))
	}
}
