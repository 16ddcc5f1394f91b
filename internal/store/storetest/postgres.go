package storetest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// PostgresURL returns a URL to a fresh schema on the server named by
// YIWANG_TEST_POSTGRES, dropped when the test ends. Without the variable
// the test is skipped, with a message saying how to enable it.
func PostgresURL(t testing.TB) string {
	base := os.Getenv("YIWANG_TEST_POSTGRES")
	if base == "" {
		t.Skip("PostgreSQL tests skipped: set YIWANG_TEST_POSTGRES=postgres://user@127.0.0.1:5432/test?sslmode=disable to run them")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "yiwang_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("YIWANG_TEST_POSTGRES=%s: %v", base, err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
