package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// createCasePG writes a new case on PostgreSQL in one statement: the case,
// its first event, the event's attachment links, the case's timers and the
// outbox row, chained through data-modifying CTEs. A single statement is
// its own transaction, so this is one round trip and one commit where the
// statement-per-row path took nine (BEGIN, five INSERTs, a timer SELECT, an
// alert recompute, COMMIT); on a 2-core server shared with PostgreSQL the
// round trips, not the rows, were the cost.
//
// A new case has no timers yet and none fired, so the rows are plain
// INSERTs and, when timed, the alert is the one a recompute gives: none.
// A repeated idempotency key inserts nothing (ON CONFLICT DO NOTHING also
// waits for a concurrent insert of the same key to commit) and answers
// store.ErrConflict with the first case's id.
//
// The request's audit entry, when it has one to claim, is one more CTE of
// the same statement (audit_pending), so it commits with the case.
func (db *DB) createCasePG(ctx context.Context, c *model.Case, ev *model.Event, idemKey string, timers []store.TimerSpec, timed bool) error {
	ae, unclaim := claimAudit(ctx, "")
	err := db.createCasePGOn(ctx, db.w, c, ev, idemKey, timers, timed, ae)
	if err != nil {
		unclaim()
	}
	return err
}

// createCasePGOn is createCasePG on q: the pool (the statement is its own
// transaction) or a transaction the case shares with other writes.
func (db *DB) createCasePGOn(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, c *model.Case, ev *model.Event, idemKey string, timers []store.TimerSpec, timed bool, ae *audit.Entry) error {
	alert := c.Alert
	if timed {
		alert = model.AlertNone
	}
	args, err := db.caseRow(c, idemKey, alert)
	if err != nil {
		return err
	}
	seen := make(map[timerKey]bool, len(timers))
	clocks, kinds, fireAt := make([]string, 0, len(timers)), make([]string, 0, len(timers)), make([]int64, 0, len(timers))
	for _, t := range timers {
		k := timerKey{t.Clock, t.Kind, ms(t.FireAt)}
		if seen[k] {
			continue
		}
		seen[k] = true
		clocks, kinds, fireAt = append(clocks, t.Clock), append(kinds, t.Kind), append(fireAt, k.fireAt)
	}
	atts := ev.Attachments
	if atts == nil {
		atts = []string{}
	}
	var caseID, eventID int64
	data, err := db.eventDataText(ev, db.personalOf(c))
	if err != nil {
		return err
	}
	args = append(args,
		// $32…: the first event
		c.Version, ms(ev.At), nullID(ev.ActorID), ev.ActorName, string(ev.Role), ev.Action, string(ev.FromState), string(ev.ToState),
		ev.Note, nullID(ev.UnitID), ev.Result, strings.Join(ev.Attachments, ","), data,
		// $45…: attachments, timers
		atts, clocks, kinds, fireAt)
	// $49…: the request's audit entry, written only when there is one
	var a audit.Entry
	if ae != nil {
		a = *ae
	}
	args = append(args, ae != nil, ms(a.At), nullID(a.UserID), a.Username, a.Role, a.Action, a.Result, a.IP, a.Detail, a.Alg)
	err = q.QueryRowContext(ctx, createCasePGSQL, args...).Scan(&caseID, &eventID)
	if errors.Is(err, sql.ErrNoRows) && idemKey != "" {
		id, lerr := db.caseIDByKey(ctx, q, idemKey)
		if lerr != nil {
			return lerr
		}
		c.ID = id
		return store.ErrConflict
	}
	if err != nil {
		return err
	}
	c.ID, c.Alert = caseID, alert
	caseAudit(ae, caseID)
	ev.ID, ev.CaseID, ev.Seq = eventID, caseID, c.Version
	return nil
}

const createCasePGSQL = `WITH c AS (
 INSERT INTO cases (receipt, type, def_version, channel, category_id, description, lat, lng, address,
 grid_id, community_id, street_id, unit_id, routing, reporter_name, reporter_phone, anonymous, status, version,
 master_id, due_at, satisfaction, created_by, created_at, updated_at, closed_at, idem_key, fields, flow, owner_id, alert)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)
 ON CONFLICT (idem_key) WHERE idem_key IS NOT NULL DO NOTHING
 RETURNING id),
e AS (
 INSERT INTO case_events (case_id, seq, at, actor_id, actor_name, role, action, from_state, to_state, note, unit_id, result, attachments, data)
 SELECT c.id, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41, $42, $43, $44 FROM c
 RETURNING id, case_id),
a AS (
 INSERT INTO case_attachments (case_id, attachment_id, event_seq)
 SELECT c.id, x, $32 FROM c, unnest($45::text[]) AS x),
t AS (
 INSERT INTO timers (case_id, clock, kind, fire_at, created_at)
 SELECT c.id, t.clock, t.kind, t.fire_at, $25 FROM c, unnest($46::text[], $47::text[], $48::bigint[]) AS t(clock, kind, fire_at)),
o AS (
 INSERT INTO outbox (event_id, created_at) SELECT e.id, $33 FROM e),
p AS (
 INSERT INTO audit_pending (at, user_id, username, role, action, target, result, ip, detail, alg)
 SELECT $50, $51, $52, $53, $54, 'case:' || c.id, $55, $56, $57, $58 FROM c WHERE $49::boolean)
SELECT e.case_id, e.id FROM e`
