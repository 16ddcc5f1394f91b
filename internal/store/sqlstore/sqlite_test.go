package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

func openSQLite(t testing.TB) store.Store {
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "test.db"), sqlstore.SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestSQLite(t *testing.T) { storetest.Run(t, openSQLite) }

// TestTimelineAppendOnly checks the database itself refuses to change or
// delete a timeline entry, whatever code asks.
func TestTimelineAppendOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	st, err := sqlstore.OpenSQLite(context.Background(), path, sqlstore.SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.LoadReference(context.Background(), storetest.Fixture())
	c, ev := storetest.NewCase(1, time.Now())
	if err := st.CreateCase(context.Background(), &c, &ev, ""); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"UPDATE case_events SET note = 'forged'", "DELETE FROM case_events"} {
		if _, err := st.ExecForTest(q); err == nil {
			t.Errorf("%s succeeded on the append-only timeline", q)
		}
	}
}

func TestSQLiteRefusesBadSync(t *testing.T) {
	_, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "x.db"), sqlstore.SQLiteOptions{Synchronous: "OFF"})
	if err == nil {
		t.Fatal("synchronous=OFF accepted: acknowledged cases could be lost")
	}
}

// BenchmarkCreateCase measures case creation through the store: one
// transaction inserting the case and its first timeline entry.
func BenchmarkCreateCase(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("sync="+sync, func(b *testing.B) {
			st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlstore.SQLiteOptions{Synchronous: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			st.LoadReference(context.Background(), storetest.Fixture())
			t0 := time.Now()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				c, ev := storetest.NewCase(i, t0)
				c.Receipt = fmt.Sprintf("B%011d", i)
				if err := st.CreateCase(context.Background(), &c, &ev, ""); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
		})
	}
}

// TestMigrationsPaired keeps the two dialects' schemas in step: every
// migration version exists for both SQLite and PostgreSQL.
func TestMigrationsPaired(t *testing.T) {
	versions := func(dialect string) map[string]bool {
		entries, err := os.ReadDir(filepath.Join("migrations", dialect))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, e := range entries {
			out[strings.SplitN(e.Name(), "_", 2)[0]] = true
		}
		return out
	}
	lite, pg := versions("sqlite"), versions("postgres")
	for v := range lite {
		if !pg[v] {
			t.Errorf("migration %s exists for SQLite but not PostgreSQL", v)
		}
	}
	for v := range pg {
		if !lite[v] {
			t.Errorf("migration %s exists for PostgreSQL but not SQLite", v)
		}
	}
}
