package sqlstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// TableReport is one table's outcome of a copy between stores.
type TableReport struct {
	Table      string
	SourceRows int
	TargetRows int
	SourceSum  string
	TargetSum  string
	Copied     int
}

// Equal reports whether the table arrived whole.
func (r TableReport) Equal() bool { return r.SourceRows == r.TargetRows && r.SourceSum == r.TargetSum }

type tableInfo struct {
	name string
	cols []string
	pk   []string
	deps []string
}

// CopyFromSQLite copies every table of a SQLite store into dst (normally
// PostgreSQL) in foreign-key order, then compares row counts and content
// checksums table by table. Rows already in dst are updated in place, so a
// second run after a partial or stale one converges; the append-only
// timeline is only ever inserted into.
func CopyFromSQLite(ctx context.Context, src, dst *DB) ([]TableReport, error) {
	if src.dialect != "sqlite" {
		return nil, fmt.Errorf("copy: source must be SQLite, not %s", src.dialect)
	}
	tables, err := src.sqliteTables(ctx)
	if err != nil {
		return nil, err
	}
	var reports []TableReport
	for _, t := range tables {
		n, err := copyTable(ctx, src, dst, t)
		if err != nil {
			return reports, fmt.Errorf("copy %s: %w", t.name, err)
		}
		r := TableReport{Table: t.name, Copied: n}
		if r.SourceRows, r.SourceSum, err = checksum(ctx, src, t); err != nil {
			return reports, err
		}
		if r.TargetRows, r.TargetSum, err = checksum(ctx, dst, t); err != nil {
			return reports, err
		}
		reports = append(reports, r)
	}
	if dst.dialect == "postgres" {
		err := dst.tx(ctx, func(tx *sql.Tx) error {
			for _, t := range tables {
				if slices.Equal(t.pk, []string{"id"}) && isSerial(ctx, tx, t.name) {
					if err := dst.resetSequences(ctx, tx, t.name); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return reports, err
		}
	}
	return reports, nil
}

func isSerial(ctx context.Context, tx *sql.Tx, table string) bool {
	var seq sql.NullString
	tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, table).Scan(&seq)
	return seq.Valid
}

// sqliteTables lists the user tables with columns, primary keys and
// foreign-key dependencies, parents before children.
func (db *DB) sqliteTables(ctx context.Context) ([]tableInfo, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	byName := map[string]*tableInfo{}
	for _, n := range names {
		t := &tableInfo{name: n}
		cr, err := db.r.QueryContext(ctx, `SELECT name, pk FROM pragma_table_info(?) ORDER BY cid`, n)
		if err != nil {
			return nil, err
		}
		type pkcol struct {
			name string
			pos  int
		}
		var pks []pkcol
		for cr.Next() {
			var c string
			var pk int
			cr.Scan(&c, &pk)
			t.cols = append(t.cols, c)
			if pk > 0 {
				pks = append(pks, pkcol{c, pk})
			}
		}
		cr.Close()
		slices.SortFunc(pks, func(a, b pkcol) int { return a.pos - b.pos })
		for _, p := range pks {
			t.pk = append(t.pk, p.name)
		}
		fr, err := db.r.QueryContext(ctx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, n)
		if err != nil {
			return nil, err
		}
		for fr.Next() {
			var d string
			fr.Scan(&d)
			if d != n {
				t.deps = append(t.deps, d)
			}
		}
		fr.Close()
		byName[n] = t
	}
	var out []tableInfo
	done := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if done[n] || byName[n] == nil {
			return
		}
		done[n] = true
		for _, d := range byName[n].deps {
			visit(d)
		}
		out = append(out, *byName[n])
	}
	for _, n := range names {
		visit(n)
	}
	return out, nil
}

func copyTable(ctx context.Context, src, dst *DB, t tableInfo) (int, error) {
	rows, err := src.r.QueryContext(ctx, `SELECT `+strings.Join(quoted(t.cols), ", ")+` FROM `+t.name+orderBy(t))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ")
	q := `INSERT INTO ` + t.name + ` (` + strings.Join(quoted(t.cols), ", ") + `) VALUES (` + ph + `)`
	var sets []string
	for _, c := range t.cols {
		if !slices.Contains(t.pk, c) {
			sets = append(sets, quote(c)+" = excluded."+quote(c))
		}
	}
	if len(t.pk) == 0 || len(sets) == 0 || t.name == "case_events" {
		q += ` ON CONFLICT DO NOTHING`
	} else {
		q += ` ON CONFLICT (` + strings.Join(quoted(t.pk), ", ") + `) DO UPDATE SET ` + strings.Join(sets, ", ")
	}
	n := 0
	err = dst.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, dst.q(q))
		if err != nil {
			return err
		}
		defer stmt.Close()
		vals := make([]any, len(t.cols))
		ptrs := make([]any, len(t.cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					vals[i] = string(b)
				}
			}
			if _, err := stmt.ExecContext(ctx, vals...); err != nil {
				return err
			}
			n++
		}
		return rows.Err()
	})
	return n, err
}

// checksum hashes each row's values in a canonical text form, sorts the
// row hashes and hashes them again: equal content gives equal sums in
// either dialect, whatever order or collation each database uses.
func checksum(ctx context.Context, db *DB, t tableInfo) (int, string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+strings.Join(quoted(t.cols), ", ")+` FROM `+t.name)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var sums [][32]byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, "", err
		}
		h := sha256.New()
		for _, v := range vals {
			switch x := v.(type) {
			case nil:
				h.Write([]byte{0})
			case int64:
				h.Write([]byte(strconv.FormatInt(x, 10)))
			case int32:
				h.Write([]byte(strconv.FormatInt(int64(x), 10)))
			case float64:
				h.Write([]byte(strconv.FormatFloat(x, 'g', -1, 64)))
			case []byte:
				h.Write(x)
			case string:
				h.Write([]byte(x))
			case bool:
				h.Write([]byte(strconv.FormatBool(x)))
			default:
				fmt.Fprint(h, x)
			}
			h.Write([]byte{0x1f})
		}
		var sum [32]byte
		copy(sum[:], h.Sum(nil))
		sums = append(sums, sum)
	}
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	slices.SortFunc(sums, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	all := sha256.New()
	for _, s := range sums {
		all.Write(s[:])
	}
	return len(sums), hex.EncodeToString(all.Sum(nil)), nil
}

func orderBy(t tableInfo) string {
	if len(t.pk) == 0 {
		return " ORDER BY " + strings.Join(quoted(t.cols), ", ")
	}
	return " ORDER BY " + strings.Join(quoted(t.pk), ", ")
}

func quote(c string) string { return `"` + c + `"` }

func quoted(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = quote(c)
	}
	return out
}
