package sqlstore

import (
	"context"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// The batching writer and the intake on PostgreSQL (YIWANG_TEST_POSTGRES).

func openGCPostgres(t testing.TB) (*DB, *GroupCommit) {
	t.Helper()
	db, err := OpenPostgres(context.Background(), storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	g := NewGroupCommit(db, GroupCommitOptions{})
	t.Cleanup(func() { g.Close() })
	return db, g
}

func TestGroupCommitStoreSuitePostgres(t *testing.T) {
	storetest.Run(t, func(t testing.TB) store.Store {
		_, g := openGCPostgres(t)
		return g
	})
}

func TestIntakePostgres(t *testing.T) {
	db, g := openGCPostgres(t)
	if err := g.LoadReference(context.Background(), storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	testIntakeOn(t, db, g)
}
