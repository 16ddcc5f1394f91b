package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// schemaDifferences are the known, deliberate differences between the
// migrated SQLite and PostgreSQL schemas, by the key TestSchemasMatch
// gives each difference, with the reason. Anything else the test finds
// fails it; an entry that no longer differs fails it too, so the list
// stays true.
//
// Differences the comparison does not see at all, by construction:
//   - triggers (SQLite triggers vs PostgreSQL trigger functions: the
//     append-only timeline, the statistics facts, the reference
//     notifications) are written per dialect and tested by behaviour;
//   - WITHOUT ROWID is SQLite's storage choice for keyed tables;
//     PostgreSQL has no such thing (the table and its primary key
//     compare as usual);
//   - partial indexes compare by their columns and by being partial, not
//     by the text of their WHERE clause (each dialect prints it its own
//     way);
//   - PostgreSQL covering indexes (INCLUDE) compare as if their included
//     columns were trailing key columns, which is how the SQLite side
//     writes the same index;
//   - goose's own table (goose_db_version) and SQLite's internal tables
//     (sqlite_*) are not the migrations' and are left out.
var schemaDifferences = map[string]string{
	// TODO(schema): a TEXT PRIMARY KEY of a SQLite rowid table takes NULL
	// (SQLite's documented legacy quirk; PostgreSQL's key is NOT NULL).
	// The store always writes these keys (a generated attachment id, a
	// session token's hash, a setting's name), so no NULL can come from
	// it, but the database would not refuse one. Closing it means
	// rebuilding each table in SQLite (create, copy, drop, rename), not an
	// additive migration, so it is listed here instead.
	"column attachments.id":      "SQLite TEXT PRIMARY KEY allows NULL (TODO above)",
	"column sessions.token_hash": "SQLite TEXT PRIMARY KEY allows NULL (TODO above)",
	"column settings.key":        "SQLite TEXT PRIMARY KEY allows NULL (TODO above)",
}

// colInfo is a column as both dialects can say it.
type colInfo struct {
	family  string // int, text, float, bytes, bool, numeric, or the raw type
	notNull bool
}

func (c colInfo) String() string {
	if c.notNull {
		return c.family + " NOT NULL"
	}
	return c.family + " NULL"
}

// indexInfo is a named index (CREATE INDEX), or a UNIQUE constraint.
type indexInfo struct {
	table   string
	unique  bool
	partial bool
	cols    []string // key columns in order; "(expr)" for an expression
}

func (ix indexInfo) String() string {
	s := ix.table + "(" + strings.Join(ix.cols, ", ") + ")"
	if ix.unique {
		s = "UNIQUE " + s
	}
	if ix.partial {
		s += " WHERE …"
	}
	return s
}

type schemaInfo struct {
	tables  map[string]map[string]colInfo
	pk      map[string][]string // table → primary key columns in order
	indexes map[string]indexInfo
	uniques map[string]bool // "table(col, col)" of UNIQUE constraints
	views   map[string]bool
}

func newSchemaInfo() *schemaInfo {
	return &schemaInfo{tables: map[string]map[string]colInfo{}, pk: map[string][]string{},
		indexes: map[string]indexInfo{}, uniques: map[string]bool{}, views: map[string]bool{}}
}

// typeFamily maps a declared (SQLite) or information_schema (PostgreSQL)
// type to the family the shared queries rely on. Times are Unix
// milliseconds and booleans 0/1 in INTEGER/BIGINT on both sides, so there
// is no time or boolean family to reconcile; a type outside these
// families is kept as it is, so it shows in a difference.
func typeFamily(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	switch t {
	case "integer", "int", "bigint", "smallint", "bigserial", "serial", "int8", "int4", "int2":
		return "int"
	case "text", "varchar", "character varying", "char", "character":
		return "text"
	case "real", "double precision", "double", "float", "float8", "float4":
		return "float"
	case "blob", "bytea":
		return "bytes"
	case "boolean", "bool":
		return "bool"
	case "numeric", "decimal":
		return "numeric"
	}
	return t
}

// skipTable: tables that are not the migrations' own.
func skipTable(name string) bool {
	return name == "goose_db_version" || strings.HasPrefix(name, "sqlite_")
}

func readSQLiteSchema(t *testing.T, db *sql.DB) *schemaInfo {
	t.Helper()
	s := newSchemaInfo()
	type object struct{ name, typ string }
	var objs []object
	rows, err := db.Query(`SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var o object
		if err := rows.Scan(&o.name, &o.typ); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	rows.Close()
	for _, o := range objs {
		if skipTable(o.name) {
			continue
		}
		if o.typ == "view" {
			s.views[o.name] = true
			continue
		}
		cols := map[string]colInfo{}
		declared := map[string]string{}
		type pkCol struct {
			name string
			pos  int
		}
		var pk []pkCol
		rows, err := db.Query(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, o.name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, typ string
			var notNull bool
			var pkPos int
			if err := rows.Scan(&name, &typ, &notNull, &pkPos); err != nil {
				t.Fatal(err)
			}
			cols[name] = colInfo{family: typeFamily(typ), notNull: notNull}
			declared[name] = typ
			if pkPos > 0 {
				pk = append(pk, pkCol{name, pkPos})
			}
		}
		rows.Close()
		slices.SortFunc(pk, func(a, b pkCol) int { return a.pos - b.pos })
		// A primary key column is NOT NULL in PostgreSQL whatever is
		// declared. In SQLite so is the rowid (a lone INTEGER PRIMARY KEY)
		// and every key column of a WITHOUT ROWID table, though table_info
		// says only what was declared; any other key column of a rowid
		// table would take NULL in SQLite, and is left as declared so
		// that it shows as a nullability difference.
		keyNotNull := sqliteWithoutRowid(t, db, o.name) || len(pk) == 1 && strings.EqualFold(strings.TrimSpace(declared[pk[0].name]), "INTEGER")
		for _, c := range pk {
			s.pk[o.name] = append(s.pk[o.name], c.name)
			if keyNotNull {
				ci := cols[c.name]
				ci.notNull = true
				cols[c.name] = ci
			}
		}
		s.tables[o.name] = cols

		type idx struct {
			name            string
			unique, partial bool
			origin          string
		}
		var idxs []idx
		rows, err = db.Query(`SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, o.name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var i idx
			if err := rows.Scan(&i.name, &i.unique, &i.origin, &i.partial); err != nil {
				t.Fatal(err)
			}
			idxs = append(idxs, i)
		}
		rows.Close()
		for _, i := range idxs {
			if i.origin == "pk" {
				continue // the primary key, compared as such
			}
			var cols []string
			rows, err := db.Query(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, i.name)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var name sql.NullString
				if err := rows.Scan(&name); err != nil {
					t.Fatal(err)
				}
				if name.Valid {
					cols = append(cols, name.String)
				} else {
					cols = append(cols, "(expr)")
				}
			}
			rows.Close()
			info := indexInfo{table: o.name, unique: i.unique, partial: i.partial, cols: cols}
			if i.origin == "u" {
				s.uniques[info.String()] = true
			} else {
				s.indexes[i.name] = info
			}
		}
	}
	return s
}

func sqliteWithoutRowid(t *testing.T, db *sql.DB, table string) bool {
	t.Helper()
	var ddl string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	return strings.Contains(strings.ToUpper(ddl), "WITHOUT ROWID")
}

func readPostgresSchema(t *testing.T, db *sql.DB) *schemaInfo {
	t.Helper()
	s := newSchemaInfo()
	rows, err := db.Query(`SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		switch {
		case skipTable(name):
		case typ == "VIEW":
			s.views[name] = true
		default:
			s.tables[name] = map[string]colInfo{}
		}
	}
	rows.Close()
	rows, err = db.Query(`SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, col, typ, nullable string
		if err := rows.Scan(&table, &col, &typ, &nullable); err != nil {
			t.Fatal(err)
		}
		if cols, ok := s.tables[table]; ok {
			cols[col] = colInfo{family: typeFamily(typ), notNull: nullable == "NO"}
		}
	}
	rows.Close()
	// Every index of the schema's tables with its key columns, then its
	// INCLUDE columns, in order; whether it is the primary key or backs a
	// UNIQUE constraint.
	rows, err = db.Query(`
SELECT i.relname, t.relname, x.indisunique, x.indisprimary, x.indpred IS NOT NULL,
       EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype = 'u'),
       (SELECT string_agg(COALESCE(a.attname, '(expr)'), ',' ORDER BY k.ord)
          FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
          LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum AND k.attnum <> 0)
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE n.nspname = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, table, cols string
		var unique, primary, partial, constraint bool
		if err := rows.Scan(&name, &table, &unique, &primary, &partial, &constraint, &cols); err != nil {
			t.Fatal(err)
		}
		if skipTable(table) {
			continue
		}
		info := indexInfo{table: table, unique: unique, partial: partial, cols: strings.Split(cols, ",")}
		switch {
		case primary:
			s.pk[table] = info.cols
		case constraint:
			s.uniques[info.String()] = true
		default:
			s.indexes[name] = info
		}
	}
	rows.Close()
	return s
}

// schemaDiff lists every difference, keyed for schemaDifferences.
func schemaDiff(lite, pg *schemaInfo) map[string]string {
	d := map[string]string{}
	for _, name := range unionKeys(lite.tables, pg.tables) {
		lc, inLite := lite.tables[name]
		pc, inPG := pg.tables[name]
		if !inLite || !inPG {
			d["table "+name] = "table " + name + " " + onlyIn(inLite)
			continue
		}
		for _, col := range unionKeys(lc, pc) {
			l, okL := lc[col]
			p, okP := pc[col]
			key := "column " + name + "." + col
			switch {
			case !okL || !okP:
				d[key] = key + " " + onlyIn(okL)
			case l != p:
				d[key] = fmt.Sprintf("%s: SQLite %s, PostgreSQL %s", key, l, p)
			}
		}
		if l, p := lite.pk[name], pg.pk[name]; !slices.Equal(l, p) {
			d["primary key "+name] = fmt.Sprintf("primary key of %s: SQLite (%s), PostgreSQL (%s)", name, strings.Join(l, ", "), strings.Join(p, ", "))
		}
	}
	for _, name := range unionKeys(lite.indexes, pg.indexes) {
		l, okL := lite.indexes[name]
		p, okP := pg.indexes[name]
		key := "index " + name
		switch {
		case !okL:
			d[key] = fmt.Sprintf("%s %s only in PostgreSQL", key, p)
		case !okP:
			d[key] = fmt.Sprintf("%s %s only in SQLite", key, l)
		case l.String() != p.String():
			d[key] = fmt.Sprintf("%s: SQLite %s, PostgreSQL %s", key, l, p)
		}
	}
	for _, u := range unionKeys(lite.uniques, pg.uniques) {
		if lite.uniques[u] != pg.uniques[u] {
			d["unique "+u] = "UNIQUE constraint " + u + " " + onlyIn(lite.uniques[u])
		}
	}
	for _, v := range unionKeys(lite.views, pg.views) {
		if lite.views[v] != pg.views[v] {
			d["view "+v] = "view " + v + " " + onlyIn(lite.views[v])
		}
	}
	return d
}

func onlyIn(sqlite bool) string {
	if sqlite {
		return "only in SQLite"
	}
	return "only in PostgreSQL"
}

func unionKeys[V any](a, b map[string]V) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// TestSchemasMatch migrates a fresh SQLite file and a fresh PostgreSQL
// schema and compares what the two migration trees built: the same
// tables and views, the same columns with the same type family and
// nullability, the same primary keys, the same named indexes on the same
// columns with the same uniqueness (and partiality), the same UNIQUE
// constraints. The one copy of every query in sqlstore relies on it.
// Deliberate differences are in schemaDifferences.
func TestSchemasMatch(t *testing.T) {
	ctx := context.Background()
	pgURL := storetest.PostgresURL(t) // skips without YIWANG_TEST_POSTGRES

	path := filepath.Join(t.TempDir(), "schema.db")
	st, err := sqlstore.OpenSQLite(ctx, path, sqlstore.SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	liteDB, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer liteDB.Close()

	pst, err := sqlstore.OpenPostgres(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	pst.Close()
	pgDB, err := sql.Open("pgx", pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pgDB.Close()

	lite, pg := readSQLiteSchema(t, liteDB), readPostgresSchema(t, pgDB)
	if len(lite.tables) == 0 || len(pg.tables) == 0 {
		t.Fatalf("nothing read: %d SQLite tables, %d PostgreSQL tables", len(lite.tables), len(pg.tables))
	}
	nPartial := 0
	for _, ix := range lite.indexes {
		if ix.partial {
			nPartial++
		}
	}
	t.Logf("compared %d tables, %d views, %d named indexes (%d partial), %d UNIQUE constraints",
		len(lite.tables), len(lite.views), len(lite.indexes), nPartial, len(lite.uniques))

	diff := schemaDiff(lite, pg)
	var unexpected []string
	for key, msg := range diff {
		if _, ok := schemaDifferences[key]; !ok {
			unexpected = append(unexpected, msg)
		}
	}
	slices.Sort(unexpected)
	if len(unexpected) > 0 {
		t.Errorf("the SQLite and PostgreSQL migrations built different schemas (%d differences):\n  %s\n"+
			"Fix the migrations (a new migration on the side that lacks it), or list a deliberate difference in schemaDifferences.",
			len(unexpected), strings.Join(unexpected, "\n  "))
	}
	for _, key := range unionKeys(schemaDifferences, map[string]string{}) {
		if _, ok := diff[key]; !ok {
			t.Errorf("schemaDifferences lists %q, which no longer differs: remove it", key)
		}
	}

	// The comparison can see each kind of drift: the real PostgreSQL
	// schema, changed in one place per kind, differs from SQLite's there.
	mutated := func(change func(s *schemaInfo) string) {
		t.Helper()
		m := cloneSchema(pg)
		key := change(m)
		if _, ok := schemaDiff(lite, m)[key]; !ok {
			t.Errorf("a change the comparison should see went unseen: %s", key)
		}
	}
	someTable, someIndex := firstKey(pg.tables), firstKey(pg.indexes)
	someCol := firstKey(pg.tables[someTable])
	mutated(func(s *schemaInfo) string { delete(s.tables, someTable); return "table " + someTable })
	mutated(func(s *schemaInfo) string {
		c := s.tables[someTable][someCol]
		c.family = "bytes"
		s.tables[someTable][someCol] = c
		return "column " + someTable + "." + someCol
	})
	mutated(func(s *schemaInfo) string {
		c := s.tables[someTable][someCol]
		c.notNull = !c.notNull
		s.tables[someTable][someCol] = c
		return "column " + someTable + "." + someCol
	})
	mutated(func(s *schemaInfo) string { delete(s.indexes, someIndex); return "index " + someIndex })
	mutated(func(s *schemaInfo) string {
		ix := s.indexes[someIndex]
		ix.cols = append(slices.Clone(ix.cols), "extra")
		s.indexes[someIndex] = ix
		return "index " + someIndex
	})
	mutated(func(s *schemaInfo) string {
		ix := s.indexes[someIndex]
		ix.unique = !ix.unique
		s.indexes[someIndex] = ix
		return "index " + someIndex
	})
	mutated(func(s *schemaInfo) string {
		s.pk[someTable] = append(slices.Clone(s.pk[someTable]), "extra")
		return "primary key " + someTable
	})
}

func firstKey[V any](m map[string]V) string { return unionKeys(m, map[string]V{})[0] }

func cloneSchema(s *schemaInfo) *schemaInfo {
	c := newSchemaInfo()
	for name, cols := range s.tables {
		c.tables[name] = maps.Clone(cols)
	}
	c.pk, c.indexes, c.uniques, c.views = maps.Clone(s.pk), maps.Clone(s.indexes), maps.Clone(s.uniques), maps.Clone(s.views)
	return c
}
