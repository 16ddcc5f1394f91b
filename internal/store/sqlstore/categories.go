package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

const categoryColumns = `id, parent_id, code, kind, name, name_en, case_type, default_unit_id, deadline_kind, deadline_amount, public`

func scanCategory(row interface{ Scan(...any) error }) (model.Category, error) {
	var c model.Category
	var parent, unit sql.NullInt64
	var kind, dk string
	var public int
	err := row.Scan(&c.ID, &parent, &c.Code, &kind, &c.Name, &c.NameEn, &c.CaseType, &unit, &dk, &c.Deadline.Amount, &public)
	c.ParentID, c.DefaultUnitID = fromNullID(parent), fromNullID(unit)
	c.Kind, c.Deadline.Kind, c.Public = model.CategoryKind(kind), model.DeadlineKind(dk), public != 0
	return c, err
}

// CreateCategory inserts a category and its first version.
func (db *DB) CreateCategory(ctx context.Context, c *model.Category, at time.Time, by int64) error {
	return db.auditedTx(ctx, objectTarget("category", &c.ID), func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO categories (parent_id, code, kind, name, name_en, case_type, default_unit_id, deadline_kind, deadline_amount, public)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			nullID(c.ParentID), c.Code, string(c.Kind), c.Name, c.NameEn, c.CaseType, nullID(c.DefaultUnitID), string(c.Deadline.Kind), c.Deadline.Amount, boolInt(c.Public)).Scan(&c.ID)
		if isUnique(err) {
			return store.ErrConflict
		}
		if err != nil {
			return err
		}
		if err := db.addCategoryVersion(ctx, tx, *c, 1, at, by); err != nil {
			return err
		}
		return db.bumpGeo(ctx, tx)
	})
}

// UpdateCategory replaces a category's changeable attributes and keeps
// the state it had as a closed version.
func (db *DB) UpdateCategory(ctx context.Context, c model.Category, at time.Time, by int64) error {
	return db.auditedTx(ctx, objectTarget("category", &c.ID), func(tx *sql.Tx) error {
		old, err := scanCategory(tx.QueryRowContext(ctx, db.q(`SELECT `+categoryColumns+` FROM categories WHERE id = ?`), c.ID))
		if err == sql.ErrNoRows {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		var v int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT COALESCE(MAX(version), 0) FROM category_versions WHERE category_id = ?`), c.ID).Scan(&v); err != nil {
			return err
		}
		if v == 0 {
			// Loaded with the reference data: what it was becomes version 1,
			// valid from the beginning.
			if err := db.addCategoryVersion(ctx, tx, old, 1, time.Time{}, 0); err != nil {
				return err
			}
			v = 1
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE category_versions SET valid_to = ? WHERE category_id = ? AND valid_to IS NULL`), ms(at), c.ID); err != nil {
			return err
		}
		c.Code, c.Kind, c.CaseType = old.Code, old.Kind, old.CaseType
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE categories SET parent_id = ?, name = ?, name_en = ?, default_unit_id = ?, deadline_kind = ?, deadline_amount = ?, public = ? WHERE id = ?`),
			nullID(c.ParentID), c.Name, c.NameEn, nullID(c.DefaultUnitID), string(c.Deadline.Kind), c.Deadline.Amount, boolInt(c.Public), c.ID); err != nil {
			return err
		}
		if err := db.addCategoryVersion(ctx, tx, c, v+1, at, by); err != nil {
			return err
		}
		return db.bumpGeo(ctx, tx)
	})
}

func (db *DB) addCategoryVersion(ctx context.Context, tx *sql.Tx, c model.Category, version int, at time.Time, by int64) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	from := int64(0)
	if !at.IsZero() {
		from = ms(at)
	}
	_, err = tx.ExecContext(ctx, db.q(`INSERT INTO category_versions (category_id, version, data, valid_from, changed_by) VALUES (?, ?, ?, ?, ?)`),
		c.ID, version, string(data), from, nullID(by))
	return err
}

// CategoryVersions returns a category's history, oldest first.
func (db *DB) CategoryVersions(ctx context.Context, id int64) ([]store.CategoryVersion, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT version, data, valid_from, valid_to, changed_by FROM category_versions WHERE category_id = ? ORDER BY version`), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.CategoryVersion
	for rows.Next() {
		var v store.CategoryVersion
		var data string
		var from int64
		var to, by sql.NullInt64
		if err := rows.Scan(&v.Version, &data, &from, &to, &by); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &v.Category); err != nil {
			return nil, err
		}
		if from != 0 {
			v.ValidFrom = fromMs(from)
		}
		v.ValidTo, v.ChangedBy = fromNullMs(to), fromNullID(by)
		out = append(out, v)
	}
	return out, rows.Err()
}
