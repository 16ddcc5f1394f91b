package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// ServiceMetas returns the Open311 metadata rows.
func (db *DB) ServiceMetas(ctx context.Context) ([]store.ServiceMeta, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT category_id, description, keywords, type, metadata FROM open311_services ORDER BY category_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.ServiceMeta
	for rows.Next() {
		var m store.ServiceMeta
		var md sql.NullInt64
		if err := rows.Scan(&m.CategoryID, &m.Description, &m.Keywords, &m.Type, &md); err != nil {
			return nil, err
		}
		if md.Valid {
			b := md.Int64 != 0
			m.Metadata = &b
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ServiceAttributes returns all category attributes by category and order.
func (db *DB) ServiceAttributes(ctx context.Context) ([]store.ServiceAttribute, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT category_id, code, datatype, required, variable, datatype_description, description, ord, vals
 FROM category_attributes ORDER BY category_id, ord, code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.ServiceAttribute
	for rows.Next() {
		var a store.ServiceAttribute
		var req, variable int
		var vals string
		if err := rows.Scan(&a.CategoryID, &a.Code, &a.Datatype, &req, &variable, &a.DatatypeDescription, &a.Description, &a.Order, &vals); err != nil {
			return nil, err
		}
		a.Required, a.Variable = req != 0, variable != 0
		if err := json.Unmarshal([]byte(vals), &a.Values); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (db *DB) putMeta(ctx context.Context, tx *sql.Tx, m store.ServiceMeta) error {
	var md any
	if m.Metadata != nil {
		md = boolInt(*m.Metadata)
	}
	typ := m.Type
	if typ == "" {
		typ = "realtime"
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO open311_services (category_id, description, keywords, type, metadata) VALUES (?, ?, ?, ?, ?)
 ON CONFLICT (category_id) DO UPDATE SET description = excluded.description, keywords = excluded.keywords, type = excluded.type, metadata = excluded.metadata`),
		m.CategoryID, m.Description, m.Keywords, typ, md)
	return err
}

func (db *DB) putAttrs(ctx context.Context, tx *sql.Tx, categoryID int64, attrs []store.ServiceAttribute) error {
	if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM category_attributes WHERE category_id = ?`), categoryID); err != nil {
		return err
	}
	for _, a := range attrs {
		vals := a.Values
		if vals == nil {
			vals = []store.AttributeValue{}
		}
		js, err := json.Marshal(vals)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO category_attributes (category_id, code, datatype, required, variable, datatype_description, description, ord, vals)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), categoryID, a.Code, a.Datatype, boolInt(a.Required), boolInt(a.Variable), a.DatatypeDescription, a.Description, a.Order, string(js)); err != nil {
			if isUnique(err) {
				return store.ErrConflict
			}
			return err
		}
	}
	return nil
}

// PutServiceAttributes replaces a category's metadata and attributes.
func (db *DB) PutServiceAttributes(ctx context.Context, meta store.ServiceMeta, attrs []store.ServiceAttribute) error {
	return db.auditedTx(ctx, nil, func(tx *sql.Tx) error {
		if err := db.putMeta(ctx, tx, meta); err != nil {
			return err
		}
		return db.putAttrs(ctx, tx, meta.CategoryID, attrs)
	})
}

// ImportServices inserts categories with their Open311 metadata and
// attributes in one transaction. A negative ParentID -(i+1) names cats[i].
func (db *DB) ImportServices(ctx context.Context, cats []model.Category, metas []store.ServiceMeta, attrs [][]store.ServiceAttribute) ([]int64, error) {
	ids := make([]int64, len(cats))
	err := db.auditedTx(ctx, nil, func(tx *sql.Tx) error {
		if err := db.resetSequences(ctx, tx, "categories"); err != nil {
			return err
		}
		for i, c := range cats {
			parent := c.ParentID
			if parent < 0 {
				j := int(-parent - 1)
				if j >= i {
					return errors.New("import: a parent must come before its children")
				}
				parent = ids[j]
			}
			err := tx.QueryRowContext(ctx, db.q(`INSERT INTO categories (parent_id, code, kind, name, name_en, case_type, default_unit_id, deadline_kind, deadline_amount, public)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				nullID(parent), c.Code, string(c.Kind), c.Name, c.NameEn, c.CaseType, nullID(c.DefaultUnitID), string(c.Deadline.Kind), c.Deadline.Amount, boolInt(c.Public)).Scan(&ids[i])
			if isUnique(err) {
				return store.ErrConflict
			}
			if err != nil {
				return err
			}
			if i < len(metas) {
				m := metas[i]
				m.CategoryID = ids[i]
				if err := db.putMeta(ctx, tx, m); err != nil {
					return err
				}
			}
			if i < len(attrs) && len(attrs[i]) > 0 {
				if err := db.putAttrs(ctx, tx, ids[i], attrs[i]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return ids, err
}

// SaveOpen311Request stores what an Open311 POST carried besides the case
// and links its uploaded media to the case's first timeline entry.
func (db *DB) SaveOpen311Request(ctx context.Context, r store.Open311Request) error {
	attrs := r.Attributes
	if attrs == nil {
		attrs = map[string][]string{}
	}
	js, err := json.Marshal(attrs)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO open311_requests (case_id, token, api_key_id, jurisdiction_id, email, device_id, account_id, address_id, media_url, media, attributes, created_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), r.CaseID, r.Token, nullID(r.APIKeyID), r.Jurisdiction, r.Email, r.DeviceID, r.AccountID, r.AddressID,
			r.MediaURL, strings.Join(r.Media, ","), string(js), ms(r.CreatedAt))
		if isUnique(err) {
			return store.ErrConflict
		}
		if err != nil {
			return err
		}
		for _, a := range r.Media {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO case_attachments (case_id, attachment_id, event_seq) VALUES (?, ?, 1) ON CONFLICT DO NOTHING`), r.CaseID, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// Open311Requests returns the Open311 extras of the cases that have them.
func (db *DB) Open311Requests(ctx context.Context, caseIDs []int64) (map[int64]store.Open311Request, error) {
	out := map[int64]store.Open311Request{}
	for len(caseIDs) > 0 {
		chunk := caseIDs[:min(len(caseIDs), 500)]
		caseIDs = caseIDs[len(chunk):]
		rows, err := db.r.QueryContext(ctx, db.q(`SELECT case_id, token, api_key_id, jurisdiction_id, email, device_id, account_id, address_id, media_url, media, attributes, created_at
 FROM open311_requests WHERE case_id IN (`+placeholders(len(chunk))+`)`), int64Args(chunk)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var r store.Open311Request
			var key sql.NullInt64
			var media, attrs string
			var created int64
			if err := rows.Scan(&r.CaseID, &r.Token, &key, &r.Jurisdiction, &r.Email, &r.DeviceID, &r.AccountID, &r.AddressID, &r.MediaURL, &media, &attrs, &created); err != nil {
				rows.Close()
				return nil, err
			}
			r.APIKeyID, r.CreatedAt = fromNullID(key), fromMs(created)
			if media != "" {
				r.Media = strings.Split(media, ",")
			}
			if err := json.Unmarshal([]byte(attrs), &r.Attributes); err != nil {
				rows.Close()
				return nil, err
			}
			out[r.CaseID] = r
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CaseIDByOpen311Token finds the case of an Open311 token.
func (db *DB) CaseIDByOpen311Token(ctx context.Context, token string) (int64, error) {
	var id int64
	err := db.r.QueryRowContext(ctx, db.q(`SELECT case_id FROM open311_requests WHERE token = ?`), token).Scan(&id)
	return id, notFound(err)
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func stringArgs[S ~string](ss []S) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// publicCases is the condition every Open311 query starts from: the case's
// category is public and its type is one of types (none: no case at all).
// With published (not nil), each type's cases count only in the states
// listed for it (sorted by type so the query text is stable).
func publicCases(prefix string, types []string, published map[string][]model.State) (string, []any) {
	if len(types) == 0 {
		return "1 = 0", nil
	}
	cond := prefix + "category_id IN (SELECT id FROM categories WHERE public = 1) AND " + prefix + "type IN (" + placeholders(len(types)) + ")"
	args := stringArgs(types)
	if published == nil {
		return cond, args
	}
	var ors []string
	for _, t := range slices.Sorted(maps.Keys(published)) {
		states := published[t]
		if len(states) == 0 {
			continue
		}
		ors = append(ors, "("+prefix+"type = ? AND "+prefix+"status IN ("+placeholders(len(states))+"))")
		args = append(append(args, t), stringArgs(states)...)
	}
	if len(ors) == 0 {
		return "1 = 0", nil
	}
	return cond + " AND (" + strings.Join(ors, " OR ") + ")", args
}

// ListOpen311Cases returns a page of public cases matching f, newest first.
func (db *DB) ListOpen311Cases(ctx context.Context, f store.Open311Filter) ([]model.Case, int, error) {
	cond, args := publicCases("", f.Types, f.Published)
	conds := []string{cond}
	add := func(c string, a ...any) {
		conds = append(conds, c)
		args = append(args, a...)
	}
	if len(f.IDs) > 0 {
		add("id IN ("+placeholders(len(f.IDs))+")", int64Args(f.IDs)...)
	}
	if len(f.CategoryIDs) > 0 {
		add("category_id IN ("+placeholders(len(f.CategoryIDs))+")", int64Args(f.CategoryIDs)...)
	}
	if len(f.Statuses) > 0 {
		add("status IN ("+placeholders(len(f.Statuses))+")", stringArgs(f.Statuses)...)
	}
	if !f.From.IsZero() {
		add("created_at >= ?", ms(f.From))
	}
	if !f.To.IsZero() {
		add("created_at < ?", ms(f.To))
	}
	if !f.UpdatedAfter.IsZero() {
		add("updated_at > ?", ms(f.UpdatedAfter))
	}
	if !f.UpdatedBefore.IsZero() {
		add("updated_at < ?", ms(f.UpdatedBefore))
	}
	if f.StreetID != 0 {
		add("street_id = ?", f.StreetID)
	}
	where := " WHERE " + strings.Join(conds, " AND ")
	var total int
	if err := db.r.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM cases`+where), args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+caseColumns+` FROM cases`+where+` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`),
		append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []model.Case{}
	for rows.Next() {
		c, err := db.scanCase(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

const eventColumns = `e.id, e.case_id, e.seq, e.at, e.actor_id, e.actor_name, e.role, e.action, e.from_state, e.to_state, e.note, e.unit_id, e.result, e.attachments`

func scanEvent(row interface{ Scan(...any) error }) (model.Event, error) {
	var ev model.Event
	var at int64
	var actor, unit sql.NullInt64
	var role, from, to, atts string
	if err := row.Scan(&ev.ID, &ev.CaseID, &ev.Seq, &at, &actor, &ev.ActorName, &role, &ev.Action, &from, &to, &ev.Note, &unit, &ev.Result, &atts); err != nil {
		return ev, err
	}
	ev.At, ev.ActorID, ev.UnitID = fromMs(at), fromNullID(actor), fromNullID(unit)
	ev.Role, ev.FromState, ev.ToState = model.Role(role), model.State(from), model.State(to)
	if atts != "" {
		ev.Attachments = strings.Split(atts, ",")
	}
	return ev, nil
}

// ListOpen311Events returns a page of timeline entries after the first of
// public cases, oldest first.
func (db *DB) ListOpen311Events(ctx context.Context, f store.EventFilter) ([]model.Event, int, error) {
	cond, args := publicCases("c.", f.Types, f.Published)
	conds := []string{cond, "e.seq > 1"}
	if !f.From.IsZero() {
		conds = append(conds, "e.at >= ?")
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		conds = append(conds, "e.at < ?")
		args = append(args, ms(f.To))
	}
	if f.StreetID != 0 {
		conds = append(conds, "c.street_id = ?")
		args = append(args, f.StreetID)
	}
	from := ` FROM case_events e JOIN cases c ON c.id = e.case_id WHERE ` + strings.Join(conds, " AND ")
	var total int
	if err := db.r.QueryRowContext(ctx, db.q(`SELECT COUNT(*)`+from), args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+eventColumns+from+` ORDER BY e.at, e.id LIMIT ? OFFSET ?`), append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []model.Event{}
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, ev)
	}
	return out, total, rows.Err()
}

// Timelines returns the timelines of several cases.
func (db *DB) Timelines(ctx context.Context, caseIDs []int64) (map[int64][]model.Event, error) {
	out := map[int64][]model.Event{}
	for len(caseIDs) > 0 {
		chunk := caseIDs[:min(len(caseIDs), 500)]
		caseIDs = caseIDs[len(chunk):]
		rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+eventColumns+` FROM case_events e WHERE e.case_id IN (`+placeholders(len(chunk))+`) ORDER BY e.case_id, e.seq`), int64Args(chunk)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			ev, err := scanEvent(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[ev.CaseID] = append(out[ev.CaseID], ev)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AddOpen311Update stores a citizen front end's update.
func (db *DB) AddOpen311Update(ctx context.Context, u *store.Open311Update) error {
	return db.auditedTx(ctx, objectTarget("case", &u.CaseID), func(tx *sql.Tx) error {
		if u.ExternalID != "" {
			var id int64
			err := tx.QueryRowContext(ctx, db.q(`SELECT id FROM open311_updates WHERE api_key_id = ? AND external_id = ?`), u.APIKeyID, u.ExternalID).Scan(&id)
			if err == nil {
				u.ID = id
				return store.ErrConflict
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		var ext any
		if u.ExternalID != "" {
			ext = u.ExternalID
		}
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO open311_updates (case_id, api_key_id, external_id, status, description, name, email, media_url, updated_at, created_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), u.CaseID, nullID(u.APIKeyID), ext, u.Status, u.Description, u.Name, u.Email, u.MediaURL,
			ms(u.UpdatedAt), ms(u.CreatedAt)).Scan(&u.ID)
	})
}

// Open311Updates returns the citizen updates of a case, oldest first.
func (db *DB) Open311Updates(ctx context.Context, caseID int64) ([]store.Open311Update, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, case_id, api_key_id, external_id, status, description, name, email, media_url, updated_at, created_at
 FROM open311_updates WHERE case_id = ? ORDER BY id`), caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Open311Update
	for rows.Next() {
		var u store.Open311Update
		var key sql.NullInt64
		var ext sql.NullString
		var upd, created int64
		if err := rows.Scan(&u.ID, &u.CaseID, &key, &ext, &u.Status, &u.Description, &u.Name, &u.Email, &u.MediaURL, &upd, &created); err != nil {
			return nil, err
		}
		u.APIKeyID, u.ExternalID, u.UpdatedAt, u.CreatedAt = fromNullID(key), ext.String, fromMs(upd), fromMs(created)
		out = append(out, u)
	}
	return out, rows.Err()
}
