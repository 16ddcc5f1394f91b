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

// TestIntakeBatchPartialFailurePostgres: on PostgreSQL a batch is first
// written without savepoints; a failing event makes it run again with them,
// so the others are still written and the failing one alone is not.
func TestIntakeBatchPartialFailurePostgres(t *testing.T) {
	for _, batching := range []bool{false, true} {
		db, g := openGCPostgres(t)
		if err := g.LoadReference(context.Background(), storetest.Fixture()); err != nil {
			t.Fatal(err)
		}
		var st store.Store = db
		if batching {
			st = g
		}
		intakeBatchPartialFailure(t, newIntakeFixtureOn(t, db, st))
	}
}

func TestIntakeEventIDsPostgres(t *testing.T) {
	db, err := OpenPostgres(context.Background(), storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.LoadReference(context.Background(), storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	intakeEventIDs(t, newIntakeFixtureOn(t, db, db))
}
