package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// TestAuditVerifyCatchesTampering writes a real audit chain into a data
// dir, then changes, deletes and inserts rows directly in the database
// file: `yiwang audit verify` must exit non-zero and name the first broken
// entry each time.
func TestAuditVerifyCatchesTampering(t *testing.T) {
	ctx := context.Background()
	fresh := func() string {
		dir := t.TempDir()
		st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "yiwang.db"), sqlstore.SQLiteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			e := audit.Entry{At: time.Now(), UserID: int64(i%4 + 1), Username: "operator1", Role: "operator", Action: "POST /api/v1/cases", Target: "/api/v1/cases", Result: "201", IP: "127.0.0.1"}
			if err := st.AppendAudit(ctx, &e); err != nil {
				t.Fatal(err)
			}
		}
		st.Close()
		return dir
	}
	verify := func(dir string) (int, string) {
		var out, errb bytes.Buffer
		code := run(ctx, []string{"audit", "verify", "--data", dir}, &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := verify(fresh()); code != 0 || !strings.Contains(out, "30 entries verified") {
		t.Fatalf("intact chain: exit %d: %s", code, out)
	}
	for _, tc := range []struct {
		name, sql string
		seq       string
	}{
		{"row changed", `UPDATE audit_log SET result = '200' WHERE seq = 12`, "entry 12"},
		{"row deleted", `DELETE FROM audit_log WHERE seq = 7`, "entry 7"},
		{"row inserted", `UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 20; UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1020;
			INSERT INTO audit_log (seq, at, username, role, action, target, result, ip, detail, alg, prev_hash, hash)
			SELECT 20, at, 'intruder', 'admin', 'POST /api/v1/admin/rules', '', '201', '', '', alg, hash, hash FROM audit_log WHERE seq = 19`, "entry 20"},
		{"tail cut", `DELETE FROM audit_log WHERE seq > 25`, "entry 26"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fresh()
			db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "yiwang.db"))
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range strings.Split(tc.sql, ";") {
				if strings.TrimSpace(q) == "" {
					continue
				}
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			db.Close()
			code, out := verify(dir)
			if code == 0 || !strings.Contains(out, "BROKEN at "+tc.seq) {
				t.Fatalf("exit %d, want non-zero naming %s: %s", code, tc.seq, out)
			}
		})
	}
}
