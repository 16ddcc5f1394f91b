package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/stats"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// bulkCaseColumns and bulkEventColumns are what a bulk import writes; the
// same columns insertCase and insertEvent write, with the id given.
var (
	bulkCaseColumns = []string{"id", "receipt", "type", "def_version", "channel", "category_id", "description", "lat", "lng", "address",
		"grid_id", "community_id", "street_id", "unit_id", "routing", "reporter_name", "reporter_phone", "anonymous", "status", "version",
		"master_id", "due_at", "satisfaction", "created_by", "created_at", "updated_at", "closed_at", "idem_key", "fields", "flow", "owner_id", "alert"}
	bulkEventColumns = []string{"id", "case_id", "seq", "at", "actor_id", "actor_name", "role", "action", "from_state", "to_state", "note", "unit_id", "result", "attachments", "data"}
)

// reserveIDs returns n new ids of table: the next ones past the largest in
// SQLite (one writer, inside the write transaction), n values of the
// table's sequence in PostgreSQL (safe beside other writers).
func (db *DB) reserveIDs(ctx context.Context, tx *sql.Tx, table string, n int) ([]int64, error) {
	out := make([]int64, 0, n)
	if db.dialect == "postgres" {
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT nextval(pg_get_serial_sequence('%s', 'id')) FROM generate_series(1, %d)`, table, n))
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			out = append(out, id)
		}
		return out, rows.Err()
	}
	var first int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM `+table).Scan(&first); err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		out = append(out, first+int64(i))
	}
	return out, nil
}

// multiInsert writes rows of width columns, per rows to a statement.
func (db *DB) multiInsert(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any, per int) error {
	return db.multiUpsert(ctx, tx, table, cols, rows, per, "")
}

// multiUpsert is multiInsert with a conflict clause after the values.
func (db *DB) multiUpsert(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any, per int, conflict string) error {
	if len(rows) == 0 {
		return nil
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	head := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, len(chunk)*len(cols))
		for _, r := range chunk {
			args = append(args, r...)
		}
		if len(chunk) == per {
			if full == nil {
				var err error
				if full, err = tx.PrepareContext(ctx, db.q(head+strings.TrimSuffix(strings.Repeat(one+", ", per), ", ")+conflict)); err != nil {
					return err
				}
			}
			if _, err := full.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("bulk insert into %s: %w", table, err)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, db.q(head+strings.TrimSuffix(strings.Repeat(one+", ", len(chunk)), ", ")+conflict), args...); err != nil {
			return fmt.Errorf("bulk insert into %s: %w", table, err)
		}
	}
	return nil
}

// StatsBulkImport inserts whole cases with their timelines, their facts
// and the aggregates in one transaction, many rows per statement: the
// demo generator's path for a million cases. Ids are assigned here, in
// order; derive is called for each case once its id is set. The facts go
// in first, so the trigger finds each case current and marks nothing.
func (db *DB) StatsBulkImport(ctx context.Context, cases []store.CaseWithTimeline, derive func(*store.CaseWithTimeline) stats.Fact) error {
	if len(cases) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if db.dialect == "sqlite" {
			// A large page cache keeps the indexes' pages in memory across
			// batches (the writer is one connection, so it stays set).
			if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -262144`); err != nil {
				return err
			}
		}
		nEvents := 0
		for _, c := range cases {
			nEvents += len(c.Events)
		}
		caseIDs, err := db.reserveIDs(ctx, tx, "cases", len(cases))
		if err != nil {
			return err
		}
		evIDs, err := db.reserveIDs(ctx, tx, "case_events", max(nEvents, 1))
		if err != nil {
			return err
		}
		next := 0
		facts := make([]stats.Fact, len(cases))
		caseRows := make([][]any, len(cases))
		var evRows, attRows [][]any
		for i := range cases {
			c := &cases[i].Case
			c.ID = caseIDs[i]
			personal := db.personalOf(c)
			for j := range cases[i].Events {
				ev := &cases[i].Events[j]
				ev.CaseID, ev.ID = c.ID, evIDs[next]
				next++
				data, err := db.eventDataText(ev, personal)
				if err != nil {
					return err
				}
				evRows = append(evRows, []any{ev.ID, ev.CaseID, ev.Seq, ms(ev.At), nullID(ev.ActorID), ev.ActorName, string(ev.Role), ev.Action,
					string(ev.FromState), string(ev.ToState), ev.Note, nullID(ev.UnitID), ev.Result, strings.Join(ev.Attachments, ","), data})
				for _, a := range ev.Attachments {
					attRows = append(attRows, []any{ev.CaseID, a, ev.Seq})
				}
			}
			facts[i] = derive(&cases[i])
			// The same row as insertCase: personal data sealed here too.
			row, err := db.caseRow(c, "", c.Alert)
			if err != nil {
				return err
			}
			caseRows[i] = append([]any{c.ID}, row...)
		}
		factRows := make([][]any, len(facts))
		for i := range facts {
			factRows[i] = factValues(&facts[i])
		}
		if err := db.multiInsert(ctx, tx, "case_facts", factColumns, factRows, 100); err != nil {
			return err
		}
		deltas := map[aggKey]*stats.Counts{}
		for i := range facts {
			addAgg(deltas, &facts[i], 1)
		}
		if err := db.applyDeltas(ctx, tx, deltas); err != nil {
			return err
		}
		if err := db.multiInsert(ctx, tx, "cases", bulkCaseColumns, caseRows, 100); err != nil {
			return err
		}
		if err := db.multiInsert(ctx, tx, "case_events", bulkEventColumns, evRows, 200); err != nil {
			return err
		}
		if err := db.multiInsert(ctx, tx, "case_attachments", []string{"case_id", "attachment_id", "event_seq"}, attRows, 300); err != nil {
			return err
		}
		return nil
	})
}
