package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// jsonText stores a map as JSON text, "" for an empty one.
func jsonText(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		// Values come from validated input; a failure here is a bug.
		panic("sqlstore: cannot encode case JSON: " + err.Error())
	}
	return string(b)
}

func flowText(f model.Flow) string {
	if f.IsZero() {
		return ""
	}
	b, err := json.Marshal(f)
	if err != nil {
		panic("sqlstore: cannot encode case flow: " + err.Error())
	}
	return string(b)
}

// decodeJSONMap reads JSON text with numbers kept as json.Number, so money
// and counts come back exactly as they were written.
func decodeJSONMap(s string, dst *map[string]any) error {
	if s == "" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	return dec.Decode(dst)
}

func decodeCaseJSON(c *model.Case, fields, flow string) error {
	if err := decodeJSONMap(fields, &c.Fields); err != nil {
		return err
	}
	if flow != "" {
		return json.Unmarshal([]byte(flow), &c.Flow)
	}
	return nil
}

// CreateCaseTimed inserts the case, its first event and its timers in one
// transaction.
func (db *DB) CreateCaseTimed(ctx context.Context, c *model.Case, ev *model.Event, idemKey string, timers []store.TimerSpec) error {
	return db.createCase(ctx, c, ev, idemKey, timers, true)
}

// UpdateCaseTimed updates the case, appends the event and syncs its timers
// in one transaction.
func (db *DB) UpdateCaseTimed(ctx context.Context, c *model.Case, expectVersion int, ev *model.Event, timers []store.TimerSpec) error {
	return db.updateCase(ctx, c, expectVersion, ev, func(tx *sql.Tx) error {
		if err := db.syncTimers(ctx, tx, c.ID, timers, c.UpdatedAt); err != nil {
			return err
		}
		return db.recomputeAlert(ctx, tx, c)
	})
}

type timerKey struct {
	clock, kind string
	fireAt      int64
}

// syncTimers makes the case's live timers exactly want. Rows are never
// deleted: a fired row stays fired (and so never fires again when its clock
// resumes), a stopped clock's rows are cancelled.
func (db *DB) syncTimers(ctx context.Context, tx *sql.Tx, caseID int64, want []store.TimerSpec, now time.Time) error {
	rows, err := tx.QueryContext(ctx, db.q(`SELECT id, clock, kind, fire_at, cancelled_at FROM timers WHERE case_id = ?`), caseID)
	if err != nil {
		return err
	}
	type row struct {
		id        int64
		cancelled bool
	}
	have := map[timerKey]row{}
	for rows.Next() {
		var k timerKey
		var r row
		var cancelled sql.NullInt64
		if err := rows.Scan(&r.id, &k.clock, &k.kind, &k.fireAt, &cancelled); err != nil {
			rows.Close()
			return err
		}
		r.cancelled = cancelled.Valid
		have[k] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	wanted := map[timerKey]bool{}
	for _, t := range want {
		k := timerKey{t.Clock, t.Kind, ms(t.FireAt)}
		if wanted[k] {
			continue // the same timer listed twice is one timer
		}
		wanted[k] = true
		r, ok := have[k]
		switch {
		case !ok:
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO timers (case_id, clock, kind, fire_at, created_at) VALUES (?, ?, ?, ?, ?)`),
				caseID, t.Clock, t.Kind, k.fireAt, ms(now)); err != nil {
				return err
			}
		case r.cancelled:
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE timers SET cancelled_at = NULL WHERE id = ?`), r.id); err != nil {
				return err
			}
		}
	}
	for k, r := range have {
		if !wanted[k] && !r.cancelled {
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE timers SET cancelled_at = ? WHERE id = ?`), ms(now), r.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// recomputeAlert sets the case's alert from its live fired timers and
// copies it into c.
func (db *DB) recomputeAlert(ctx context.Context, tx *sql.Tx, c *model.Case) error {
	if err := db.setAlert(ctx, tx, c.ID); err != nil {
		return err
	}
	var alert string
	if err := tx.QueryRowContext(ctx, db.q(`SELECT alert FROM cases WHERE id = ?`), c.ID).Scan(&alert); err != nil {
		return err
	}
	c.Alert = model.Alert(alert)
	return nil
}

func (db *DB) setAlert(ctx context.Context, tx *sql.Tx, caseID int64) error {
	_, err := tx.ExecContext(ctx, db.q(`UPDATE cases SET alert = CASE
 WHEN EXISTS (SELECT 1 FROM timers WHERE case_id = ? AND kind = 'due' AND fired_at IS NOT NULL AND cancelled_at IS NULL) THEN 'red'
 WHEN EXISTS (SELECT 1 FROM timers WHERE case_id = ? AND kind = 'warn' AND fired_at IS NOT NULL AND cancelled_at IS NULL) THEN 'yellow'
 ELSE '' END WHERE id = ?`), caseID, caseID, caseID)
	return err
}

const timerColumns = `id, case_id, supervision_id, clock, kind, fire_at, created_at, fired_at, cancelled_at`

func scanTimer(row interface{ Scan(...any) error }) (store.Timer, error) {
	var t store.Timer
	var caseID, supID, fired, cancelled sql.NullInt64
	var fireAt, created int64
	if err := row.Scan(&t.ID, &caseID, &supID, &t.Clock, &t.Kind, &fireAt, &created, &fired, &cancelled); err != nil {
		return t, notFound(err)
	}
	t.CaseID, t.SupervisionID = fromNullID(caseID), fromNullID(supID)
	t.FireAt, t.CreatedAt, t.FiredAt, t.CancelledAt = fromMs(fireAt), fromMs(created), fromNullMs(fired), fromNullMs(cancelled)
	return t, nil
}

func (db *DB) timers(ctx context.Context, query string, args ...any) ([]store.Timer, error) {
	rows, err := db.r.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Timer
	for rows.Next() {
		t, err := scanTimer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DueTimers reads pending timers through the partial index timers_pending.
func (db *DB) DueTimers(ctx context.Context, now time.Time, limit int) ([]store.Timer, error) {
	if limit <= 0 {
		limit = 100
	}
	return db.timers(ctx, `SELECT `+timerColumns+` FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND fire_at <= ? ORDER BY fire_at, id LIMIT ?`, ms(now), limit)
}

// CaseTimers lists a case's timers.
func (db *DB) CaseTimers(ctx context.Context, caseID int64) ([]store.Timer, error) {
	return db.timers(ctx, `SELECT `+timerColumns+` FROM timers WHERE case_id = ? ORDER BY id`, caseID)
}

// FireTimer claims the timer with a conditional UPDATE (which exactly one
// transaction can win, on SQLite and on PostgreSQL alike) and writes the
// escalation in the same transaction, so a fired timer always has its
// escalation and an escalation is never written twice.
func (db *DB) FireTimer(ctx context.Context, id int64, now time.Time, esc store.Escalation) (bool, error) {
	claimed := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE timers SET fired_at = ? WHERE id = ? AND fired_at IS NULL AND cancelled_at IS NULL`), ms(now), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		claimed = true
		var caseID sql.NullInt64
		if err := tx.QueryRowContext(ctx, db.q(`SELECT case_id FROM timers WHERE id = ?`), id).Scan(&caseID); err != nil {
			return err
		}
		var supID int64
		if s := esc.Supervision; s != nil {
			s.SourceTimer = id
			if err := db.insertSupervision(ctx, tx, s); err != nil {
				return err
			}
			supID = s.ID
		}
		for _, n := range esc.Notifications {
			if n.SupervisionID == 0 {
				n.SupervisionID = supID
			}
			if err := db.insertNotification(ctx, tx, &n); err != nil {
				return err
			}
		}
		if caseID.Valid {
			return db.setAlert(ctx, tx, caseID.Int64)
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return claimed, nil
}

func (db *DB) insertNotification(ctx context.Context, tx *sql.Tx, n *store.Notification) error {
	return tx.QueryRowContext(ctx, db.q(`INSERT INTO notifications (unit_id, user_id, kind, case_id, supervision_id, title, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		nullID(n.UnitID), nullID(n.UserID), n.Kind, nullID(n.CaseID), nullID(n.SupervisionID), n.Title, ms(n.CreatedAt)).Scan(&n.ID)
}

// Notifications lists a unit's or a user's newest notifications.
func (db *DB) Notifications(ctx context.Context, unitID, userID int64, limit int) ([]store.Notification, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, unit_id, user_id, kind, case_id, supervision_id, title, created_at, read_at FROM notifications
 WHERE unit_id = ? OR user_id = ? ORDER BY id DESC LIMIT ?`), unitID, userID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Notification
	for rows.Next() {
		var n store.Notification
		var unit, user, caseID, supID, read sql.NullInt64
		var created int64
		if err := rows.Scan(&n.ID, &unit, &user, &n.Kind, &caseID, &supID, &n.Title, &created, &read); err != nil {
			return nil, err
		}
		n.UnitID, n.UserID, n.CaseID, n.SupervisionID = fromNullID(unit), fromNullID(user), fromNullID(caseID), fromNullID(supID)
		n.CreatedAt, n.ReadAt = fromMs(created), fromNullMs(read)
		out = append(out, n)
	}
	return out, rows.Err()
}

// MarkNotificationRead marks a notification of the unit or user read.
func (db *DB) MarkNotificationRead(ctx context.Context, id, unitID, userID int64, at time.Time) error {
	res, err := db.w.ExecContext(ctx, db.q(`UPDATE notifications SET read_at = COALESCE(read_at, ?) WHERE id = ? AND (unit_id = ? OR user_id = ?)`), ms(at), id, unitID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// PutWorkflowDefinition stores a new definition version.
func (db *DB) PutWorkflowDefinition(ctx context.Context, d store.StoredDefinition) error {
	err := db.auditedTx(ctx, nil, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM workflow_defs WHERE type = ? AND version = ?`), d.Type, d.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.ErrConflict
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO workflow_defs (type, version, definition, created_by, created_at) VALUES (?, ?, ?, ?, ?)`),
			d.Type, d.Version, string(d.Definition), nullID(d.CreatedBy), ms(d.CreatedAt))
		return err
	})
	if isUnique(err) {
		return store.ErrConflict
	}
	return err
}

// WorkflowDefinitions lists the stored definitions by type and version.
func (db *DB) WorkflowDefinitions(ctx context.Context) ([]store.StoredDefinition, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT type, version, definition, created_by, created_at FROM workflow_defs ORDER BY type, version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.StoredDefinition
	for rows.Next() {
		var d store.StoredDefinition
		var def string
		var by sql.NullInt64
		var at int64
		if err := rows.Scan(&d.Type, &d.Version, &def, &by, &at); err != nil {
			return nil, err
		}
		d.Definition, d.CreatedBy, d.CreatedAt = []byte(def), fromNullID(by), fromMs(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// PutCalendarYear stores or replaces a year.
func (db *DB) PutCalendarYear(ctx context.Context, y store.StoredYear) error {
	_, err := db.w.ExecContext(ctx, db.q(`INSERT INTO calendar_years (year, data, loaded_by, loaded_at) VALUES (?, ?, ?, ?)
 ON CONFLICT (year) DO UPDATE SET data = excluded.data, loaded_by = excluded.loaded_by, loaded_at = excluded.loaded_at`),
		y.Year, string(y.Data), nullID(y.LoadedBy), ms(y.LoadedAt))
	return err
}

// CalendarYears lists the stored years in order.
func (db *DB) CalendarYears(ctx context.Context) ([]store.StoredYear, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT year, data, loaded_by, loaded_at FROM calendar_years ORDER BY year`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.StoredYear
	for rows.Next() {
		var y store.StoredYear
		var data string
		var by sql.NullInt64
		var at int64
		if err := rows.Scan(&y.Year, &data, &by, &at); err != nil {
			return nil, err
		}
		y.Data, y.LoadedBy, y.LoadedAt = []byte(data), fromNullID(by), fromMs(at)
		out = append(out, y)
	}
	return out, rows.Err()
}
