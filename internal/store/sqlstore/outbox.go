package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// SetOutbox turns writing events to the outbox on (the default) or off.
// A single SQLite node with no event sink turns it off: no publisher
// would ever deliver or prune the rows, one per timeline entry. Events
// written while it is off are never published.
func (db *DB) SetOutbox(on bool) { db.noOutbox.Store(!on) }

// enqueue puts a just-written event in the outbox, in the caller's
// transaction. Historical imports do not call it: they are not news.
func (db *DB) enqueue(ctx context.Context, tx *sql.Tx, ev *model.Event) error {
	if db.noOutbox.Load() {
		return nil
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO outbox (event_id, created_at) VALUES (?, ?)`), ev.ID, ms(ev.At))
	return err
}

// PendingEvents returns events the sink has not delivered, oldest first.
func (db *DB) PendingEvents(ctx context.Context, sink string, limit int) ([]store.OutboxEvent, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT e.id, e.case_id, e.seq, e.at, e.actor_id, e.actor_name, e.role, e.action, e.from_state, e.to_state,
 e.note, e.unit_id, e.result, e.attachments, c.type, c.receipt, c.status, c.unit_id
 FROM outbox o
 JOIN case_events e ON e.id = o.event_id
 JOIN cases c ON c.id = e.case_id
 LEFT JOIN outbox_deliveries d ON d.sink = ? AND d.event_id = o.event_id
 WHERE d.event_id IS NULL
 ORDER BY o.event_id LIMIT ?`), sink, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.OutboxEvent
	for rows.Next() {
		var oe store.OutboxEvent
		ev := &oe.Event
		var at int64
		var actor, unit, caseUnit sql.NullInt64
		var role, from, to, atts, status string
		if err := rows.Scan(&ev.ID, &ev.CaseID, &ev.Seq, &at, &actor, &ev.ActorName, &role, &ev.Action, &from, &to, &ev.Note, &unit, &ev.Result, &atts,
			&oe.CaseType, &oe.Receipt, &status, &caseUnit); err != nil {
			return nil, err
		}
		ev.At, ev.ActorID, ev.UnitID = fromMs(at), fromNullID(actor), fromNullID(unit)
		ev.Role, ev.FromState, ev.ToState = model.Role(role), model.State(from), model.State(to)
		if atts != "" {
			ev.Attachments = strings.Split(atts, ",")
		}
		oe.Status, oe.UnitID = model.State(status), fromNullID(caseUnit)
		out = append(out, oe)
	}
	return out, rows.Err()
}

// MarkDelivered records deliveries; marking one twice is harmless.
func (db *DB) MarkDelivered(ctx context.Context, sink string, ids []int64, at time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO outbox_deliveries (event_id, sink, delivered_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), id, sink, ms(at)); err != nil {
				return err
			}
		}
		return nil
	})
}

// PruneOutbox deletes old outbox rows that every named sink has delivered
// (their delivery rows go with them, ON DELETE CASCADE).
func (db *DB) PruneOutbox(ctx context.Context, sinks []string, before time.Time) (int64, error) {
	q := `DELETE FROM outbox WHERE created_at < ?`
	args := []any{ms(before)}
	if len(sinks) > 0 {
		q += ` AND (SELECT COUNT(*) FROM outbox_deliveries d WHERE d.event_id = outbox.event_id AND d.sink IN (` +
			strings.TrimSuffix(strings.Repeat("?, ", len(sinks)), ", ") + `)) = ?`
		for _, s := range sinks {
			args = append(args, s)
		}
		args = append(args, len(sinks))
	}
	res, err := db.w.ExecContext(ctx, db.q(q), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
