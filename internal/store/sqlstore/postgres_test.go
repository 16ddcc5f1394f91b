package sqlstore_test

import (
	"context"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

func openPostgres(t testing.TB) store.Store {
	st, err := sqlstore.OpenPostgres(context.Background(), storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestPostgres(t *testing.T) { storetest.Run(t, openPostgres) }
