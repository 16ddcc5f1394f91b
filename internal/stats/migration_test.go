package stats

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// categoryBackfill writes migration 00043 for a dialect: stat_roll's
// by-category roll-up (dim 3) summed from case_facts, axis by axis, with
// the same count expressions as Columns.
func categoryBackfill(dialect string) string {
	names := make([]string, len(Columns))
	for i, c := range Columns {
		names[i] = c.Name
	}
	sets := make([]string, len(names))
	for i, n := range names {
		sets[i] = n + " = stat_roll." + n + " + excluded." + n
	}
	var b strings.Builder
	b.WriteString(`-- +goose Up
-- The by-category roll-up of the statistics aggregates (dim 3 of
-- stat_roll, key_id the category), so category tables and the briefing's
-- domains read aggregates, not every case. Filled here from case_facts
-- axis by axis (generated from stats.Columns by internal/stats/
-- migration_test.go, which fails when they drift apart); kept in step
-- afterwards with the other aggregates.
DELETE FROM stat_roll WHERE dim = 3;
`)
	for a := Axis(0); a < NumAxes; a++ {
		col := AxisColumns[a]
		day := fmt.Sprintf("((%s + 28800000) / 86400000)", col)
		exprs := make([]string, len(Columns))
		for i, c := range Columns {
			if c.Axis == a {
				exprs[i] = "SUM(" + c.SQL + ")"
			} else {
				exprs[i] = "0"
			}
		}
		fmt.Fprintf(&b, "INSERT INTO stat_roll (grain, dim, period, type, key_id, %s)\nSELECT 0, 3, %s, type, category_id, %s\nFROM case_facts WHERE %s > 0 GROUP BY %s, type, category_id\nON CONFLICT (grain, dim, period, type, key_id) DO UPDATE SET %s;\n",
			strings.Join(names, ", "), day, strings.Join(exprs, ", "), col, day, strings.Join(sets, ", "))
	}
	month := "(CAST(strftime('%Y', period * 86400, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', period * 86400, 'unixepoch') AS INTEGER) - 1)"
	if dialect == "postgres" {
		month = "(EXTRACT(YEAR FROM DATE '1970-01-01' + period::int) * 12 + EXTRACT(MONTH FROM DATE '1970-01-01' + period::int) - 1)::BIGINT"
	}
	sums := make([]string, len(names))
	for i, n := range names {
		sums[i] = "SUM(" + n + ")"
	}
	fmt.Fprintf(&b, "INSERT INTO stat_roll (grain, dim, period, type, key_id, %s)\nSELECT 1, 3, %s, type, key_id, %s\nFROM stat_roll WHERE grain = 0 AND dim = 3 GROUP BY %s, type, key_id;\n",
		strings.Join(names, ", "), month, strings.Join(sums, ", "), month)
	b.WriteString("\n-- +goose Down\nDELETE FROM stat_roll WHERE dim = 3;\n")
	return b.String()
}

// TestCategoryBackfillMigration keeps migration 00043 in step with the
// count definitions. UPDATE_MIGRATIONS=1 rewrites it.
func TestCategoryBackfillMigration(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		path := filepath.Join("..", "store", "sqlstore", "migrations", d, "00043_stats_categories.sql")
		want := categoryBackfill(d)
		if os.Getenv("UPDATE_MIGRATIONS") != "" {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s is not what stats.Columns gives; run UPDATE_MIGRATIONS=1 go test -run CategoryBackfill ./internal/stats/ (and never change a migration a store has applied: add one)", path)
		}
	}
}
