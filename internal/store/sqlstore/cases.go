package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

const caseColumns = `id, receipt, type, def_version, channel, category_id, description, lat, lng, address,
 grid_id, community_id, street_id, unit_id, routing, reporter_name, reporter_phone, anonymous, status, version,
 master_id, due_at, satisfaction, created_by, created_at, updated_at, closed_at, fields, flow, owner_id, alert`

// scanCase reads a case row, opening the sealed personal data.
func (db *DB) scanCase(row interface{ Scan(...any) error }) (model.Case, error) {
	var c model.Case
	var channel, status string
	var grid, community, street, unit, master, due, createdBy, closed sql.NullInt64
	var anonymous int
	var created, updated int64
	var fields, flow, alert string
	var owner, category sql.NullInt64 // a type may have no category
	err := row.Scan(&c.ID, &c.Receipt, &c.Type, &c.DefVersion, &channel, &category, &c.Description, &c.Lat, &c.Lng, &c.Address,
		&grid, &community, &street, &unit, &c.Routing, &c.Reporter.Name, &c.Reporter.Phone, &anonymous, &status, &c.Version,
		&master, &due, &c.Satisfaction, &createdBy, &created, &updated, &closed, &fields, &flow, &owner, &alert)
	if err != nil {
		return c, notFound(err)
	}
	if err := decodeCaseJSON(&c, fields, flow); err != nil {
		return c, err
	}
	if err := db.openFields(c.Fields); err != nil {
		return c, err
	}
	if c.Reporter.Name, err = db.pii.Open(c.Reporter.Name); err != nil {
		return c, err
	}
	if c.Reporter.Phone, err = db.pii.Open(c.Reporter.Phone); err != nil {
		return c, err
	}
	c.OwnerID, c.Alert, c.CategoryID = fromNullID(owner), model.Alert(alert), fromNullID(category)
	c.Channel, c.Status, c.Anonymous = model.Channel(channel), model.State(status), anonymous != 0
	c.GridID, c.CommunityID, c.StreetID, c.UnitID = fromNullID(grid), fromNullID(community), fromNullID(street), fromNullID(unit)
	c.MasterID, c.CreatedBy = fromNullID(master), fromNullID(createdBy)
	c.DueAt, c.ClosedAt = fromNullMs(due), fromNullMs(closed)
	c.CreatedAt, c.UpdatedAt = fromMs(created), fromMs(updated)
	return c, nil
}

func (db *DB) insertCase(ctx context.Context, tx *sql.Tx, c *model.Case, idemKey string) error {
	args, err := db.caseRow(c, idemKey, c.Alert)
	if err != nil {
		return err
	}
	return tx.QueryRowContext(ctx, db.q(`INSERT INTO cases (receipt, type, def_version, channel, category_id, description, lat, lng, address,
 grid_id, community_id, street_id, unit_id, routing, reporter_name, reporter_phone, anonymous, status, version,
 master_id, due_at, satisfaction, created_by, created_at, updated_at, closed_at, idem_key, fields, flow, owner_id, alert)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), args...).Scan(&c.ID)
}

// caseRow is a new case's 31 column values in INSERT order, with the
// personal data sealed before it reaches the database.
func (db *DB) caseRow(c *model.Case, idemKey string, alert model.Alert) ([]any, error) {
	var key any
	if idemKey != "" {
		key = idemKey
	}
	name, err := db.seal(c.Reporter.Name)
	if err != nil {
		return nil, err
	}
	phone, err := db.seal(c.Reporter.Phone)
	if err != nil {
		return nil, err
	}
	fields, err := db.fieldsText(c)
	if err != nil {
		return nil, err
	}
	return []any{c.Receipt, c.Type, c.DefVersion, string(c.Channel), nullID(c.CategoryID), c.Description, c.Lat, c.Lng, c.Address,
		nullID(c.GridID), nullID(c.CommunityID), nullID(c.StreetID), nullID(c.UnitID), c.Routing, name, phone,
		boolInt(c.Anonymous), string(c.Status), c.Version, nullID(c.MasterID), nullMs(c.DueAt), c.Satisfaction, nullID(c.CreatedBy),
		ms(c.CreatedAt), ms(c.UpdatedAt), nullMs(c.ClosedAt), key, fields, flowText(c.Flow), nullID(c.OwnerID), string(alert)}, nil
}

// insertEvent appends ev; personal names the case type's fields sealed in
// the data's "fields".
func (db *DB) insertEvent(ctx context.Context, tx *sql.Tx, ev *model.Event, personal []string) error {
	data, err := db.eventDataText(ev, personal)
	if err != nil {
		return err
	}
	err = tx.QueryRowContext(ctx, db.q(`INSERT INTO case_events (case_id, seq, at, actor_id, actor_name, role, action, from_state, to_state, note, unit_id, result, attachments, data)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		ev.CaseID, ev.Seq, ms(ev.At), nullID(ev.ActorID), ev.ActorName, string(ev.Role), ev.Action, string(ev.FromState), string(ev.ToState),
		ev.Note, nullID(ev.UnitID), ev.Result, strings.Join(ev.Attachments, ","), data).Scan(&ev.ID)
	if err != nil {
		return err
	}
	for _, a := range ev.Attachments {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO case_attachments (case_id, attachment_id, event_seq) VALUES (?, ?, ?)`), ev.CaseID, a, ev.Seq); err != nil {
			return err
		}
	}
	return nil
}

// CreateCase inserts the case and its first event in one transaction.
func (db *DB) CreateCase(ctx context.Context, c *model.Case, ev *model.Event, idemKey string) error {
	return db.createCase(ctx, c, ev, idemKey, nil, false)
}

// createCase is CreateCase and CreateCaseTimed: a new case in a
// transaction of its own (on PostgreSQL a single statement is one).
func (db *DB) createCase(ctx context.Context, c *model.Case, ev *model.Event, idemKey string, timers []store.TimerSpec, timed bool) error {
	if db.dialect == "postgres" {
		return db.createCasePG(ctx, c, ev, idemKey, timers, timed)
	}
	ae, unclaim := claimAudit(ctx, "")
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.newCase(ctx, tx, c, ev, idemKey, timers, timed); err != nil {
			return err
		}
		return db.insertPendingAudit(ctx, tx, caseAudit(ae, c.ID))
	})
	if err != nil {
		unclaim()
	}
	// Two nodes racing on one key: the loser's insert hits the unique
	// index; answer as if it had found the winner's case.
	if err != nil && idemKey != "" && isUnique(err) {
		if id, lerr := db.caseIDByKey(ctx, db.w, idemKey); lerr == nil {
			c.ID = id
			return store.ErrConflict
		}
	}
	return err
}

// newCase writes a new case in tx: the case, its first event, its timers
// and its outbox row, or store.ErrConflict with the first case's id when
// idemKey was used before. A new case has no timer yet and none fired, so
// its timers are plain inserts and, when timed, its alert is what a
// recompute gives: none (recomputed only if the caller set one).
func (db *DB) newCase(ctx context.Context, tx *sql.Tx, c *model.Case, ev *model.Event, idemKey string, timers []store.TimerSpec, timed bool) error {
	if db.dialect == "postgres" {
		return db.createCasePGOn(ctx, tx, c, ev, idemKey, timers, timed, nil)
	}
	if idemKey != "" {
		id, err := db.caseIDByKey(ctx, tx, idemKey)
		if err == nil {
			c.ID = id
			return store.ErrConflict
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if err := db.insertCase(ctx, tx, c, idemKey); err != nil {
		return err
	}
	ev.CaseID, ev.Seq = c.ID, c.Version
	if err := db.insertEvent(ctx, tx, ev, db.personalOf(c)); err != nil {
		return err
	}
	if len(timers) > 0 {
		if err := db.syncTimers(ctx, tx, c.ID, timers, c.UpdatedAt); err != nil {
			return err
		}
	}
	if timed && c.Alert != model.AlertNone {
		if err := db.recomputeAlert(ctx, tx, c); err != nil {
			return err
		}
	}
	return db.enqueue(ctx, tx, ev)
}

func (db *DB) caseIDByKey(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, key string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, db.q(`SELECT id FROM cases WHERE idem_key = ?`), key).Scan(&id)
	return id, notFound(err)
}

// CaseIDByIdempotencyKey finds the case created with key, or ErrNotFound.
func (db *DB) CaseIDByIdempotencyKey(ctx context.Context, key string) (int64, error) {
	return db.caseIDByKey(ctx, db.r, key)
}

// UpdateCase writes c and appends ev when nobody changed the case since
// expectVersion was read.
func (db *DB) UpdateCase(ctx context.Context, c *model.Case, expectVersion int, ev *model.Event) error {
	return db.updateCase(ctx, c, expectVersion, ev, nil)
}

// updateCase is UpdateCase; also, when set, writes more in the same
// transaction (the case's timers).
func (db *DB) updateCase(ctx context.Context, c *model.Case, expectVersion int, ev *model.Event, also func(*sql.Tx) error) error {
	fields, err := db.fieldsText(c)
	if err != nil {
		return err
	}
	ae, unclaim := claimAudit(ctx, "case:"+strconv.FormatInt(c.ID, 10))
	err = db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE cases SET status = ?, version = ?, unit_id = ?, routing = ?, master_id = ?, due_at = ?,
 satisfaction = ?, updated_at = ?, closed_at = ?, category_id = ?, description = ?, address = ?, fields = ?, flow = ?, owner_id = ? WHERE id = ? AND version = ?`),
			string(c.Status), c.Version, nullID(c.UnitID), c.Routing, nullID(c.MasterID), nullMs(c.DueAt), c.Satisfaction,
			ms(c.UpdatedAt), nullMs(c.ClosedAt), nullID(c.CategoryID), c.Description, c.Address, fields, flowText(c.Flow), nullID(c.OwnerID), c.ID, expectVersion)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var v int
			if err := tx.QueryRowContext(ctx, db.q(`SELECT version FROM cases WHERE id = ?`), c.ID).Scan(&v); err != nil {
				return notFound(err)
			}
			return store.ErrConflict
		}
		ev.CaseID, ev.Seq = c.ID, c.Version
		if err := db.insertEvent(ctx, tx, ev, db.personalOf(c)); err != nil {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		if err := db.insertPendingAudit(ctx, tx, ae); err != nil {
			return err
		}
		return db.enqueue(ctx, tx, ev)
	})
	if err != nil {
		unclaim()
	}
	return err
}

// caseAudit names the new case in a claimed entry (nil stays nil).
func caseAudit(e *audit.Entry, caseID int64) *audit.Entry {
	if e != nil {
		e.Target = "case:" + strconv.FormatInt(caseID, 10)
	}
	return e
}

// Case returns one case or ErrNotFound.
func (db *DB) Case(ctx context.Context, id int64) (model.Case, error) {
	return db.scanCase(db.r.QueryRowContext(ctx, db.q(`SELECT `+caseColumns+` FROM cases WHERE id = ?`), id))
}

// CaseByReceipt returns the case with a citizen's receipt code.
func (db *DB) CaseByReceipt(ctx context.Context, receipt string) (model.Case, error) {
	return db.scanCase(db.r.QueryRowContext(ctx, db.q(`SELECT `+caseColumns+` FROM cases WHERE receipt = ?`), receipt))
}

func (db *DB) where(f model.CaseFilter, keyset bool) (string, []any) {
	var conds []string
	var args []any
	if len(f.Status) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(f.Status)), ", ")
		conds = append(conds, "status IN ("+ph+")")
		for _, s := range f.Status {
			args = append(args, string(s))
		}
	}
	for _, c := range []struct {
		col string
		v   int64
	}{{"unit_id", f.UnitID}, {"street_id", f.StreetID}, {"grid_id", f.GridID}} {
		if c.v != 0 {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if f.Type != "" {
		conds = append(conds, "type = ?")
		args = append(args, f.Type)
	}
	if len(f.HideTypes) > 0 {
		conds = append(conds, "type NOT IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.HideTypes)), ", ")+")")
		for _, t := range f.HideTypes {
			args = append(args, t)
		}
	}
	if f.OwnerID != 0 {
		conds = append(conds, "owner_id = ?")
		args = append(args, f.OwnerID)
	}
	if keyset && f.AfterID > 0 {
		conds = append(conds, "id < ?")
		args = append(args, f.AfterID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListCases returns cases newest first, after f.AfterID (keyset paging).
func (db *DB) ListCases(ctx context.Context, f model.CaseFilter) ([]model.Case, error) {
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	w, args := db.where(f, true)
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+caseColumns+` FROM cases`+w+` ORDER BY id DESC LIMIT ?`), append(args, limit)...)
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

// CountCases counts the cases matching f (ignoring the keyset cursor).
func (db *DB) CountCases(ctx context.Context, f model.CaseFilter) (int, error) {
	w, args := db.where(f, false)
	var n int
	err := db.r.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM cases`+w), args...).Scan(&n)
	return n, err
}

// Timeline returns a case's events in order.
func (db *DB) Timeline(ctx context.Context, caseID int64) ([]model.Event, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, case_id, seq, at, actor_id, actor_name, role, action, from_state, to_state, note, unit_id, result, attachments, data
 FROM case_events WHERE case_id = ? ORDER BY seq`), caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Event
	for rows.Next() {
		var ev model.Event
		var at int64
		var actor, unit sql.NullInt64
		var role, from, to, atts, data string
		if err := rows.Scan(&ev.ID, &ev.CaseID, &ev.Seq, &at, &actor, &ev.ActorName, &role, &ev.Action, &from, &to, &ev.Note, &unit, &ev.Result, &atts, &data); err != nil {
			return nil, err
		}
		if err := decodeJSONMap(data, &ev.Data); err != nil {
			return nil, err
		}
		if f, ok := ev.Data["fields"].(map[string]any); ok {
			if err := db.openFields(f); err != nil {
				return nil, err
			}
		}
		ev.At, ev.ActorID, ev.UnitID = fromMs(at), fromNullID(actor), fromNullID(unit)
		ev.Role, ev.FromState, ev.ToState = model.Role(role), model.State(from), model.State(to)
		if atts != "" {
			ev.Attachments = strings.Split(atts, ",")
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// ImportCases inserts whole cases with their timelines in one transaction.
func (db *DB) ImportCases(ctx context.Context, cases []store.CaseWithTimeline) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for i := range cases {
			c := &cases[i].Case
			if err := db.insertCase(ctx, tx, c, ""); err != nil {
				return err
			}
			for j := range cases[i].Events {
				ev := &cases[i].Events[j]
				ev.CaseID = c.ID
				if err := db.insertEvent(ctx, tx, ev, db.personalOf(c)); err != nil {
					return err
				}
			}
			if len(cases[i].Timers) > 0 {
				if err := db.syncTimers(ctx, tx, c.ID, cases[i].Timers, c.UpdatedAt); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// PutAttachment records an attachment's metadata; storing the same content
// twice is not an error. A logged-in uploader is recorded each time, so
// everyone who sent the bytes is known (see AttachmentUploadedBy).
func (db *DB) PutAttachment(ctx context.Context, a model.Attachment) error {
	const put = `INSERT INTO attachments (id, mime, size, name, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
	if a.CreatedBy == 0 {
		_, err := db.w.ExecContext(ctx, db.q(put), a.ID, a.Mime, a.Size, a.Name, nil, ms(a.CreatedAt))
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(put), a.ID, a.Mime, a.Size, a.Name, a.CreatedBy, ms(a.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO attachment_uploaders (attachment_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`), a.ID, a.CreatedBy)
		return err
	})
}

// AttachmentUploadedBy reports whether user uploaded attachment id.
func (db *DB) AttachmentUploadedBy(ctx context.Context, id string, user int64) (bool, error) {
	var n int
	err := db.r.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM attachment_uploaders WHERE attachment_id = ? AND user_id = ?`), id, user).Scan(&n)
	return n > 0, err
}

// Attachment returns an attachment's metadata.
func (db *DB) Attachment(ctx context.Context, id string) (model.Attachment, error) {
	var a model.Attachment
	var by sql.NullInt64
	var created int64
	err := db.r.QueryRowContext(ctx, db.q(`SELECT id, mime, size, name, created_by, created_at FROM attachments WHERE id = ?`), id).
		Scan(&a.ID, &a.Mime, &a.Size, &a.Name, &by, &created)
	if err != nil {
		return a, notFound(err)
	}
	a.CreatedBy, a.CreatedAt = fromNullID(by), fromMs(created)
	return a, nil
}

// CaseAttachments lists the attachment ids linked to a case's events.
func (db *DB) CaseAttachments(ctx context.Context, caseID int64) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT attachment_id FROM case_attachments WHERE case_id = ? ORDER BY event_seq`), caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// AttachmentCases lists the cases whose events link attachment id.
func (db *DB) AttachmentCases(ctx context.Context, id string) ([]int64, error) {
	return db.ids(ctx, `SELECT DISTINCT case_id FROM case_attachments WHERE attachment_id = ? ORDER BY case_id`, id)
}

// AttachmentSupervisions lists the supervision documents whose reply cites
// attachment id. Reply files are kept as a comma-separated list; ids are
// hex, so a match between commas is exact.
func (db *DB) AttachmentSupervisions(ctx context.Context, id string) ([]int64, error) {
	return db.ids(ctx, `SELECT id FROM supervisions WHERE reply_files <> '' AND ',' || reply_files || ',' LIKE ? ORDER BY id`, "%,"+id+",%")
}

// ids runs a query of one integer column.
func (db *DB) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
