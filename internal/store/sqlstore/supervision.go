package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// insertSupervision writes the document, its case links and its reply timer.
func (db *DB) insertSupervision(ctx context.Context, tx *sql.Tx, s *store.Supervision) error {
	if s.Status == "" {
		s.Status = store.SupervisionOpen
	}
	err := tx.QueryRowContext(ctx, db.q(`INSERT INTO supervisions (kind, auto, title, body, unit_id, issued_by, issuer_name, issued_at, due_at, status, source_timer)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		s.Kind, boolInt(s.Auto), s.Title, s.Body, s.UnitID, nullID(s.IssuedBy), s.IssuerName, ms(s.IssuedAt), nullMs(s.DueAt), s.Status, nullID(s.SourceTimer)).Scan(&s.ID)
	if err != nil {
		return err
	}
	for _, c := range s.CaseIDs {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO supervision_cases (supervision_id, case_id) VALUES (?, ?) ON CONFLICT DO NOTHING`), s.ID, c); err != nil {
			return err
		}
	}
	if !s.DueAt.IsZero() {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO timers (supervision_id, clock, kind, fire_at, created_at) VALUES (?, 'reply', ?, ?, ?)`),
			s.ID, store.TimerReplyDue, ms(s.DueAt), ms(s.IssuedAt)); err != nil {
			return err
		}
	}
	return nil
}

// CreateSupervision inserts a document with its links, timer and notifications.
func (db *DB) CreateSupervision(ctx context.Context, s *store.Supervision, notes []store.Notification) error {
	return db.auditedTx(ctx, objectTarget("supervision", &s.ID), func(tx *sql.Tx) error {
		if err := db.insertSupervision(ctx, tx, s); err != nil {
			return err
		}
		for _, n := range notes {
			n.SupervisionID = s.ID
			if err := db.insertNotification(ctx, tx, &n); err != nil {
				return err
			}
		}
		return nil
	})
}

const supervisionColumns = `id, kind, auto, title, body, unit_id, issued_by, issuer_name, issued_at, due_at, status, reply, reply_files, replied_by, replied_at, source_timer`

func scanSupervision(row interface{ Scan(...any) error }) (store.Supervision, error) {
	var s store.Supervision
	var auto int
	var by, due, repliedBy, repliedAt, source sql.NullInt64
	var issued int64
	var files string
	if err := row.Scan(&s.ID, &s.Kind, &auto, &s.Title, &s.Body, &s.UnitID, &by, &s.IssuerName, &issued, &due, &s.Status, &s.Reply, &files, &repliedBy, &repliedAt, &source); err != nil {
		return s, notFound(err)
	}
	s.Auto, s.IssuedBy, s.IssuedAt, s.DueAt = auto != 0, fromNullID(by), fromMs(issued), fromNullMs(due)
	s.RepliedBy, s.RepliedAt, s.SourceTimer = fromNullID(repliedBy), fromNullMs(repliedAt), fromNullID(source)
	if files != "" {
		s.ReplyFiles = strings.Split(files, ",")
	}
	return s, nil
}

// caseLinks fills CaseIDs of the documents.
func (db *DB) caseLinks(ctx context.Context, docs []store.Supervision) error {
	if len(docs) == 0 {
		return nil
	}
	idx := map[int64]int{}
	args := make([]any, len(docs))
	for i, d := range docs {
		idx[d.ID] = i
		args[i] = d.ID
		docs[i].CaseIDs = []int64{}
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT supervision_id, case_id FROM supervision_cases WHERE supervision_id IN (`+qmarks(len(docs))+`) ORDER BY case_id`), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sid, cid int64
		if err := rows.Scan(&sid, &cid); err != nil {
			return err
		}
		docs[idx[sid]].CaseIDs = append(docs[idx[sid]].CaseIDs, cid)
	}
	return rows.Err()
}

func qmarks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// Supervision returns one document with its cases.
func (db *DB) Supervision(ctx context.Context, id int64) (store.Supervision, error) {
	s, err := scanSupervision(db.r.QueryRowContext(ctx, db.q(`SELECT `+supervisionColumns+` FROM supervisions WHERE id = ?`), id))
	if err != nil {
		return s, err
	}
	docs := []store.Supervision{s}
	err = db.caseLinks(ctx, docs)
	return docs[0], err
}

// ListSupervisions lists documents newest first.
func (db *DB) ListSupervisions(ctx context.Context, f store.SupervisionFilter) ([]store.Supervision, error) {
	var conds []string
	var args []any
	if f.UnitID != 0 {
		conds, args = append(conds, "unit_id = ?"), append(args, f.UnitID)
	}
	if f.Status != "" {
		conds, args = append(conds, "status = ?"), append(args, f.Status)
	}
	if f.CaseID != 0 {
		conds, args = append(conds, "id IN (SELECT supervision_id FROM supervision_cases WHERE case_id = ?)"), append(args, f.CaseID)
	}
	if f.Kinds != nil {
		if len(f.Kinds) == 0 {
			return nil, nil
		}
		conds = append(conds, "kind IN ("+qmarks(len(f.Kinds))+")")
		for _, k := range f.Kinds {
			args = append(args, k)
		}
	}
	if f.AfterID > 0 {
		conds, args = append(conds, "id < ?"), append(args, f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q := `SELECT ` + supervisionColumns + ` FROM supervisions`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := db.r.QueryContext(ctx, db.q(q+` ORDER BY id DESC LIMIT `+strconv.Itoa(limit)), args...)
	if err != nil {
		return nil, err
	}
	var out []store.Supervision
	for rows.Next() {
		s, err := scanSupervision(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, db.caseLinks(ctx, out)
}

// ReplySupervision records a reply once and cancels the reply timer.
func (db *DB) ReplySupervision(ctx context.Context, id int64, reply string, files []string, by int64, at time.Time, notes []store.Notification) error {
	return db.auditedTx(ctx, objectTarget("supervision", &id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE supervisions SET status = ?, reply = ?, reply_files = ?, replied_by = ?, replied_at = ? WHERE id = ? AND status = ?`),
			store.SupervisionReplied, reply, strings.Join(files, ","), nullID(by), ms(at), id, store.SupervisionOpen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var status string
			if err := tx.QueryRowContext(ctx, db.q(`SELECT status FROM supervisions WHERE id = ?`), id).Scan(&status); err != nil {
				return notFound(err)
			}
			return store.ErrConflict
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE timers SET cancelled_at = ? WHERE supervision_id = ? AND fired_at IS NULL AND cancelled_at IS NULL`), ms(at), id); err != nil {
			return err
		}
		for _, n := range notes {
			n.SupervisionID = id
			if err := db.insertNotification(ctx, tx, &n); err != nil {
				return err
			}
		}
		return nil
	})
}

// OpenCases returns the cases not in a closed status, through cases_status.
func (db *DB) OpenCases(ctx context.Context, closed []string) ([]model.Case, error) {
	q := `SELECT ` + caseColumns + ` FROM cases`
	args := make([]any, len(closed))
	if len(closed) > 0 {
		q += ` WHERE status NOT IN (` + qmarks(len(closed)) + `)`
		for i, s := range closed {
			args[i] = s
		}
	}
	rows, err := db.r.QueryContext(ctx, db.q(q+` ORDER BY id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Case
	for rows.Next() {
		c, err := db.scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// EventsBetween returns timeline entries in [from, to) through case_events_at.
func (db *DB) EventsBetween(ctx context.Context, from, to time.Time) ([]model.Event, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, case_id, seq, at, actor_id, actor_name, role, action, from_state, to_state, note, unit_id, result
 FROM case_events WHERE at >= ? AND at < ? ORDER BY at, id`), ms(from), ms(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Event
	for rows.Next() {
		var ev model.Event
		var at int64
		var actor, unit sql.NullInt64
		var role, fromS, toS string
		if err := rows.Scan(&ev.ID, &ev.CaseID, &ev.Seq, &at, &actor, &ev.ActorName, &role, &ev.Action, &fromS, &toS, &ev.Note, &unit, &ev.Result); err != nil {
			return nil, err
		}
		ev.At, ev.ActorID, ev.UnitID = fromMs(at), fromNullID(actor), fromNullID(unit)
		ev.Role, ev.FromState, ev.ToState = model.Role(role), model.State(fromS), model.State(toS)
		out = append(out, ev)
	}
	return out, rows.Err()
}
