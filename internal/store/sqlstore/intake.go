package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

const eventSourceColumns = `id, code, name, kind, key_prefix, key_hash, min_confidence, fold_window_ms, fold_distance_m, note_every, type_map, created_at, revoked_at`

func scanEventSource(row interface{ Scan(...any) error }) (store.EventSource, error) {
	var s store.EventSource
	var window, created int64
	var revoked sql.NullInt64
	var typeMap string
	if err := row.Scan(&s.ID, &s.Code, &s.Name, &s.Kind, &s.KeyPrefix, &s.KeyHash, &s.MinConfidence, &window, &s.FoldDistanceM,
		&s.NoteEvery, &typeMap, &created, &revoked); err != nil {
		return s, notFound(err)
	}
	if typeMap != "" {
		if err := json.Unmarshal([]byte(typeMap), &s.TypeMap); err != nil {
			return s, err
		}
	}
	s.FoldWindow = time.Duration(window) * time.Millisecond
	s.CreatedAt, s.RevokedAt = fromMs(created), fromNullMs(revoked)
	return s, nil
}

// CreateEventSource inserts s and sets its id.
func (db *DB) CreateEventSource(ctx context.Context, s *store.EventSource) error {
	var typeMap string
	if len(s.TypeMap) > 0 {
		b, err := json.Marshal(s.TypeMap)
		if err != nil {
			return err
		}
		typeMap = string(b)
	}
	err := db.w.QueryRowContext(ctx, db.q(`INSERT INTO event_sources (code, name, kind, key_prefix, key_hash, min_confidence, fold_window_ms,
 fold_distance_m, note_every, type_map, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		s.Code, s.Name, s.Kind, s.KeyPrefix, s.KeyHash, s.MinConfidence, s.FoldWindow.Milliseconds(), s.FoldDistanceM, s.NoteEvery,
		typeMap, ms(s.CreatedAt), nullMs(s.RevokedAt)).Scan(&s.ID)
	if isUnique(err) {
		return store.ErrConflict
	}
	return err
}

// EventSources lists every source, oldest first.
func (db *DB) EventSources(ctx context.Context) ([]store.EventSource, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+eventSourceColumns+` FROM event_sources ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.EventSource
	for rows.Next() {
		s, err := scanEventSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// RevokeEventSource marks a source's key revoked (the first time is kept).
func (db *DB) RevokeEventSource(ctx context.Context, id int64, at time.Time) error {
	res, err := db.w.ExecContext(ctx, db.q(`UPDATE event_sources SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`), ms(at), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

const machineEventColumns = `m.id, m.source_id, s.code, m.device_id, m.event_type, m.category_id, m.status, m.case_id, m.count, m.noted,
 m.confidence, m.lat, m.lng, m.component_code, m.address, m.description, m.snapshot, m.last_snapshot, m.first_at, m.last_at,
 m.created_at, m.updated_at, m.reviewed_by, m.reviewed_at, m.review_note`

// scanMachineEvent reads machineEventColumns and then, into extra, what
// the query selects after them.
func scanMachineEvent(row interface{ Scan(...any) error }, extra ...any) (store.MachineEvent, error) {
	var m store.MachineEvent
	var caseID, by, reviewed sql.NullInt64
	var first, last, created, updated int64
	err := row.Scan(append([]any{&m.ID, &m.SourceID, &m.SourceCode, &m.DeviceID, &m.EventType, &m.CategoryID, &m.Status, &caseID, &m.Count, &m.Noted,
		&m.Confidence, &m.Lat, &m.Lng, &m.ComponentCode, &m.Address, &m.Description, &m.Snapshot, &m.LastSnapshot, &first, &last,
		&created, &updated, &by, &reviewed, &m.ReviewNote}, extra...)...)
	if err != nil {
		return m, notFound(err)
	}
	m.CaseID, m.ReviewedBy, m.ReviewedAt = fromNullID(caseID), fromNullID(by), fromNullMs(reviewed)
	m.FirstAt, m.LastAt, m.CreatedAt, m.UpdatedAt = fromMs(first), fromMs(last), fromMs(created), fromMs(updated)
	return m, nil
}

// MachineEvent returns one record.
func (db *DB) MachineEvent(ctx context.Context, id int64) (store.MachineEvent, error) {
	return scanMachineEvent(db.r.QueryRowContext(ctx, db.q(`SELECT `+machineEventColumns+`
 FROM machine_events m JOIN event_sources s ON s.id = m.source_id WHERE m.id = ?`), id))
}

// ListMachineEvents lists records newest first.
func (db *DB) ListMachineEvents(ctx context.Context, f store.MachineEventFilter) ([]store.MachineEvent, error) {
	where, args := machineEventWhere(f)
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+machineEventColumns+` FROM machine_events m JOIN event_sources s ON s.id = m.source_id`+
		where+` ORDER BY m.id DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.MachineEvent
	for rows.Next() {
		m, err := scanMachineEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CountMachineEvents counts the records f selects (its Limit and AfterID
// aside), through the status index for the review queue.
func (db *DB) CountMachineEvents(ctx context.Context, f store.MachineEventFilter) (int, error) {
	f.AfterID = 0
	where, args := machineEventWhere(f)
	var n int
	err := db.r.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM machine_events m`+where), args...).Scan(&n)
	return n, err
}

func machineEventWhere(f store.MachineEventFilter) (string, []any) {
	var conds []string
	var args []any
	if f.Status != "" {
		conds, args = append(conds, "m.status = ?"), append(args, f.Status)
	}
	if f.CaseID != 0 {
		conds, args = append(conds, "m.case_id = ?"), append(args, f.CaseID)
	}
	if f.SourceID != 0 {
		conds, args = append(conds, "m.source_id = ?"), append(args, f.SourceID)
	}
	if f.AfterID > 0 {
		conds, args = append(conds, "m.id < ?"), append(args, f.AfterID)
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ingestItem makes one item of the events: an operation each. On
// PostgreSQL the item asks for a transaction lock per (source, device,
// category): two nodes taking the first sighting of one event at once
// would otherwise both find nothing to fold into and both open a case.
func ingestItem(in []store.MachineEventInput) (*gcItem, []store.MachineEventResult) {
	out := make([]store.MachineEventResult, len(in))
	ops := make([]gcOp, len(in))
	locks := make([]int32, 0, len(in))
	for i := range in {
		ops[i] = func(b *gcBatch) error {
			out[i] = store.MachineEventResult{}
			if err := b.ingest(&in[i], &out[i]); err != nil {
				return err
			}
			return b.auditEvent(in[i].Audit, out[i].Record.ID)
		}
		locks = append(locks, int32(in[i].FoldKey()))
	}
	it := newItem(ops...)
	it.machine = true
	it.locks = locks
	return it, out
}

// intakeLockClass is the first key of the intake's advisory locks: the
// two-key space does not overlap the one-key space Exclusive uses.
const intakeLockClass = 0x7977 // "yw"

// takeLocks takes the batch's advisory locks on PostgreSQL, sorted and
// once each, at the start of its transaction: every node takes them in
// the same order, so two batches never wait for each other in a circle.
// They are released at commit or rollback.
func (db *DB) takeLocks(ctx context.Context, tx *sql.Tx, items []*gcItem) error {
	if db.dialect != "postgres" {
		return nil // one writer
	}
	var keys []int32
	for _, it := range items {
		keys = append(keys, it.locks...)
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::integer[]) AS k`, intakeLockClass, keys)
	return err
}

func collectResults(it *gcItem, out []store.MachineEventResult) ([]store.MachineEventResult, error) {
	if it.err != nil {
		return nil, it.err
	}
	for i := range out {
		if it.errs[i] != nil {
			out[i] = store.MachineEventResult{Err: it.errs[i]}
		}
	}
	return out, nil
}

// IngestMachineEvents records the events in one transaction of their own,
// each in its own savepoint.
func (db *DB) IngestMachineEvents(ctx context.Context, in []store.MachineEventInput) ([]store.MachineEventResult, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	it, out := ingestItem(in)
	db.runBatch([]*gcItem{it})
	return collectResults(it, out)
}

// IngestMachineEvents hands the events to the batching writer's machine
// lane: they share the next transaction with people's operations.
func (g *GroupCommit) IngestMachineEvents(ctx context.Context, in []store.MachineEventInput) ([]store.MachineEventResult, error) {
	if len(in) == 0 {
		return nil, nil
	}
	it, out := ingestItem(in)
	if err := g.submit(ctx, it); err != nil {
		return nil, err
	}
	return collectResults(it, out)
}

// foldCandidate is a recent record an event may fold into.
type foldCandidate struct {
	id, caseID   int64
	status       string
	caseStatus   string
	lat, lng     float64
	confidence   float64
	count, noted int
	first, last  int64
}

// ingest records one event: it folds into the most recent matching record
// (same source, device, category; sighted within the window; within the
// distance; its case still open), or starts a new one.
func (b *gcBatch) ingest(in *store.MachineEventInput, res *store.MachineEventResult) error {
	if in.NewCase == nil {
		return errors.New("sqlstore: machine event without a case builder")
	}
	if in.EventID == "" {
		return b.sighting(in, res)
	}
	if done, err := b.replay(in, res); done || err != nil {
		return err
	}
	if err := b.sighting(in, res); err != nil {
		return err
	}
	caseID := res.Record.CaseID
	if res.Outcome == store.OutcomeCreated {
		caseID = res.Case.ID
	}
	return b.exec(`INSERT INTO machine_event_keys (source_id, event_id, machine_event_id, outcome, case_id, received_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		in.SourceID, in.EventID, res.Record.ID, res.Outcome, nullID(caseID), ms(in.Now), in.ContentHash)
}

// replay answers an event id the source sent before with what became of
// it then and the record as it is now, or, when the content differs from
// the first event's, with a conflict (nothing written). A miss, the usual
// case, is one primary-key lookup. Keys stored before content hashes
// existed (an empty hash) match any content, as they did.
func (b *gcBatch) replay(in *store.MachineEventInput, res *store.MachineEventResult) (bool, error) {
	var recID int64
	var outcome, hash string
	var caseID sql.NullInt64
	err := b.tx.QueryRowContext(b.ctx, b.db.q(`SELECT machine_event_id, outcome, case_id, content_hash FROM machine_event_keys WHERE source_id = ? AND event_id = ?`),
		in.SourceID, in.EventID).Scan(&recID, &outcome, &caseID, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if hash != "" && in.ContentHash != "" && hash != in.ContentHash {
		*res = store.MachineEventResult{Conflict: true}
		return true, nil
	}
	rec, err := scanMachineEvent(b.tx.QueryRowContext(b.ctx, b.db.q(`SELECT `+machineEventColumns+`
 FROM machine_events m JOIN event_sources s ON s.id = m.source_id WHERE m.id = ?`), recID))
	if err != nil {
		return false, err
	}
	res.Outcome, res.Record, res.Duplicate = outcome, rec, true
	if outcome == store.OutcomeCreated {
		res.Case.ID = fromNullID(caseID)
		if err := b.tx.QueryRowContext(b.ctx, b.db.q(`SELECT receipt FROM cases WHERE id = ?`), res.Case.ID).Scan(&res.Case.Receipt); err != nil {
			return false, err
		}
	}
	return true, nil
}

// PruneMachineEventIDs forgets event ids received before before.
func (db *DB) PruneMachineEventIDs(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, db.q(`DELETE FROM machine_event_keys WHERE received_at < ?`), ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// sighting records one event that is not a retry.
func (b *gcBatch) sighting(in *store.MachineEventInput, res *store.MachineEventResult) error {
	db, tx, ctx := b.db, b.tx, b.ctx
	at := ms(in.At)
	window := in.Window.Milliseconds()
	// The newest records of this source, device and type: a repeat folds
	// into one of them (a new record is made only when none matches), so
	// older ones need not be read. Events located by place only share the
	// device "" and are told apart by distance: read more of them.
	limit := 8
	if in.DeviceID == "" {
		limit = 200
	}
	rows, err := tx.QueryContext(ctx, db.q(`SELECT m.id, m.status, m.case_id, m.lat, m.lng, m.confidence, m.count, m.noted, m.first_at, m.last_at, COALESCE(c.status, '')
 FROM machine_events m LEFT JOIN cases c ON c.id = m.case_id
 WHERE m.source_id = ? AND m.device_id = ? AND m.category_id = ?
 ORDER BY m.id DESC LIMIT ?`), in.SourceID, in.DeviceID, in.CategoryID, limit)
	if err != nil {
		return err
	}
	var match *foldCandidate
	var ended []int64
	for rows.Next() {
		var c foldCandidate
		var caseID sql.NullInt64
		if err := rows.Scan(&c.id, &c.status, &caseID, &c.lat, &c.lng, &c.confidence, &c.count, &c.noted, &c.first, &c.last, &c.caseStatus); err != nil {
			rows.Close()
			return err
		}
		c.caseID = fromNullID(caseID)
		// Seen within the window of this event (which may arrive late).
		if c.last < at-window || c.first > at+window {
			continue
		}
		if c.status == store.MachineClosed || distanceM(in.Lat, in.Lng, c.lat, c.lng) > in.DistanceM {
			continue
		}
		if c.status == store.MachineOpen && isTerminal(c.caseStatus, in.Terminal) {
			ended = append(ended, c.id)
			continue
		}
		if match == nil {
			match = &c
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := ms(in.Now)
	for _, id := range ended {
		// The case ended: its record takes no more repeats.
		if err := b.exec(`UPDATE machine_events SET status = ?, updated_at = ? WHERE id = ?`, store.MachineClosed, now, id); err != nil {
			return err
		}
	}
	res.Record = store.MachineEvent{SourceID: in.SourceID, DeviceID: in.DeviceID, EventType: in.EventType, CategoryID: in.CategoryID,
		Lat: in.Lat, Lng: in.Lng, ComponentCode: in.ComponentCode, Confidence: in.Confidence, FirstAt: in.At, LastAt: in.At}
	switch {
	case match == nil && in.Review:
		res.Outcome = store.OutcomeReview
		return b.insertMachineEvent(in, store.MachineReview, 0, &res.Record)
	case match == nil:
		nc, err := in.NewCase()
		if err != nil {
			return err
		}
		if err := b.createCase(&nc.Case, &nc.Event, "", nc.Timers); err != nil {
			return err
		}
		res.Outcome, res.Case = store.OutcomeCreated, nc.Case
		return b.insertMachineEvent(in, store.MachineOpen, nc.Case.ID, &res.Record)
	case match.status == store.MachineReview && !in.Review:
		// A confident sighting of an event waiting for review: it needs no
		// person any more.
		nc, err := in.NewCase()
		if err != nil {
			return err
		}
		if err := b.createCase(&nc.Case, &nc.Event, "", nc.Timers); err != nil {
			return err
		}
		res.Outcome, res.Case = store.OutcomeCreated, nc.Case
		if err := b.exec(`UPDATE machine_events SET status = ?, case_id = ?, reviewed_at = ? WHERE id = ?`,
			store.MachineOpen, nc.Case.ID, now, match.id); err != nil {
			return err
		}
		match.status, match.caseID = store.MachineOpen, nc.Case.ID
		return b.foldInto(in, match, &res.Record)
	}
	switch match.status {
	case store.MachineOpen:
		res.Outcome = store.OutcomeFolded
	case store.MachineReview:
		res.Outcome = store.OutcomeReview
	default:
		res.Outcome = store.OutcomeSuppressed
	}
	if err := b.foldInto(in, match, &res.Record); err != nil {
		return err
	}
	if match.status == store.MachineOpen && in.NoteEvery > 0 && res.Record.Count-match.noted >= in.NoteEvery && in.Note != nil {
		return b.repeatNote(in, match, &res.Record)
	}
	return nil
}

// foldInto counts the event on the record. The new figures are worked out
// here from the row just read (the writer holds the write lock; on
// PostgreSQL the SQL itself stays correct under concurrent writers, only
// the echoed count may be a little behind).
func (b *gcBatch) foldInto(in *store.MachineEventInput, c *foldCandidate, rec *store.MachineEvent) error {
	greatest, least := "max", "min"
	if b.db.dialect == "postgres" {
		greatest, least = "GREATEST", "LEAST"
	}
	at := ms(in.At)
	if err := b.exec(`UPDATE machine_events SET count = count + 1, last_at = `+greatest+`(last_at, ?), first_at = `+least+`(first_at, ?),
 confidence = `+greatest+`(confidence, ?), last_snapshot = CASE WHEN ? <> '' THEN ? ELSE last_snapshot END, updated_at = ? WHERE id = ?`,
		at, at, in.Confidence, in.Snapshot, in.Snapshot, ms(in.Now), c.id); err != nil {
		return err
	}
	rec.ID, rec.CaseID, rec.Status, rec.Count, rec.Noted = c.id, c.caseID, c.status, c.count+1, c.noted
	rec.FirstAt, rec.LastAt = fromMs(min(c.first, at)), fromMs(max(c.last, at))
	rec.Confidence = max(c.confidence, in.Confidence)
	return nil
}

// repeatNote adds a timeline entry to the case for the repeats since the
// last one, so the timeline says the event goes on without an entry per
// sighting. It moves the case's version like any entry.
func (b *gcBatch) repeatNote(in *store.MachineEventInput, c *foldCandidate, rec *store.MachineEvent) error {
	var version int
	var status string
	var unit sql.NullInt64
	err := b.tx.QueryRowContext(b.ctx, b.db.q(`UPDATE cases SET version = version + 1, updated_at = ? WHERE id = ? RETURNING version, status, unit_id`),
		ms(in.Now), c.caseID).Scan(&version, &status, &unit)
	if err != nil {
		return err
	}
	ev := in.Note(*rec)
	ev.CaseID, ev.Seq = c.caseID, version
	ev.FromState, ev.ToState = model.State(status), model.State(status)
	if ev.At.IsZero() {
		ev.At = in.Now
	}
	if err := b.db.insertEvent(b.ctx, b.tx, &ev, nil); err != nil { // a repeat note sets no fields
		return err
	}
	if err := b.db.enqueue(b.ctx, b.tx, &ev); err != nil {
		return err
	}
	rec.Noted = rec.Count
	return b.exec(`UPDATE machine_events SET noted = ? WHERE id = ?`, rec.Count, c.id)
}

func (b *gcBatch) insertMachineEvent(in *store.MachineEventInput, status string, caseID int64, rec *store.MachineEvent) error {
	at, now := ms(in.At), ms(in.Now)
	err := b.tx.QueryRowContext(b.ctx, b.db.q(`INSERT INTO machine_events (source_id, device_id, event_type, category_id, status, case_id, count, noted,
 confidence, lat, lng, component_code, address, description, snapshot, last_snapshot, first_at, last_at, created_at, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		in.SourceID, in.DeviceID, in.EventType, in.CategoryID, status, nullID(caseID), in.Confidence, in.Lat, in.Lng, in.ComponentCode,
		in.Address, in.Description, in.Snapshot, in.Snapshot, at, at, now, now).Scan(&rec.ID)
	if err != nil {
		return err
	}
	rec.Status, rec.CaseID, rec.Count, rec.Noted, rec.Snapshot, rec.LastSnapshot = status, caseID, 1, 1, in.Snapshot, in.Snapshot
	rec.Address, rec.Description, rec.CreatedAt, rec.UpdatedAt = in.Address, in.Description, in.Now, in.Now
	return nil
}

// ConfirmMachineEvent creates the case of a record waiting for review.
func (db *DB) ConfirmMachineEvent(ctx context.Context, id int64, nc *store.NewMachineCase, by int64, at time.Time, note string) (store.MachineEvent, error) {
	it := newItem(func(b *gcBatch) error {
		if err := b.claimReview(id, store.MachineOpen, by, at, note); err != nil {
			return err
		}
		if err := b.createCase(&nc.Case, &nc.Event, "", nc.Timers); err != nil {
			return err
		}
		return b.exec(`UPDATE machine_events SET case_id = ? WHERE id = ?`, nc.Case.ID, id)
	})
	db.runBatch([]*gcItem{it})
	if err := it.result(0); err != nil {
		return store.MachineEvent{}, err
	}
	return db.machineEventW(ctx, id)
}

// DismissMachineEvent dismisses a record waiting for review.
func (db *DB) DismissMachineEvent(ctx context.Context, id int64, by int64, at time.Time, note string) (store.MachineEvent, error) {
	it := newItem(func(b *gcBatch) error { return b.claimReview(id, store.MachineDismissed, by, at, note) })
	db.runBatch([]*gcItem{it})
	if err := it.result(0); err != nil {
		return store.MachineEvent{}, err
	}
	return db.machineEventW(ctx, id)
}

// claimReview moves a record out of the review queue, once.
func (b *gcBatch) claimReview(id int64, status string, by int64, at time.Time, note string) error {
	res, err := b.tx.ExecContext(b.ctx, b.db.q(`UPDATE machine_events SET status = ?, reviewed_by = ?, reviewed_at = ?, review_note = ?, updated_at = ?
 WHERE id = ? AND status = ?`), status, nullID(by), ms(at), note, ms(at), id, store.MachineReview)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var s string
		if err := b.tx.QueryRowContext(b.ctx, b.db.q(`SELECT status FROM machine_events WHERE id = ?`), id).Scan(&s); err != nil {
			return notFound(err)
		}
		return store.ErrConflict
	}
	return nil
}

// machineEventW reads a record through the write pool (just written).
func (db *DB) machineEventW(ctx context.Context, id int64) (store.MachineEvent, error) {
	return scanMachineEvent(db.w.QueryRowContext(ctx, db.q(`SELECT `+machineEventColumns+`
 FROM machine_events m JOIN event_sources s ON s.id = m.source_id WHERE m.id = ?`), id))
}

func isTerminal(status string, terminal []model.State) bool {
	for _, t := range terminal {
		if string(t) == status {
			return true
		}
	}
	return false
}

// distanceM is the great-circle distance in metres (haversine).
func distanceM(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dlat, dlng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// auditEvent commits the posting request's audit entry in the savepoint of
// the event that carries it: sealed onto the chain on SQLite (the one
// writer holds the head anyway), unchained in audit_pending on PostgreSQL,
// where the intake's writers must not queue on the chain's head.
func (b *gcBatch) auditEvent(e *audit.Entry, recordID int64) error {
	if e == nil {
		return nil
	}
	a := *e
	a.Target = "machine_event:" + strconv.FormatInt(recordID, 10)
	if b.db.dialect == "postgres" {
		return b.db.insertPendingAudit(b.ctx, b.tx, &a)
	}
	_, err := b.appendAudit(a)
	return err
}
