package sqlstore

import (
	"context"
	"database/sql"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// LoadReference inserts the org tree, grids, categories and rules in one
// transaction, keeping the caller's IDs.
func (db *DB) LoadReference(ctx context.Context, ref store.Reference) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, o := range ref.Org {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO org_units (id, parent_id, kind, code, name) VALUES (?, ?, ?, ?, ?)`),
				o.ID, nullID(o.ParentID), string(o.Kind), o.Code, o.Name); err != nil {
				return err
			}
		}
		for _, g := range ref.Grids {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO grids (org_id, code, code_admin, code_street, code_community, code_seq, name, community_id, street_id, worker_id, geometry, area_m2) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				g.OrgID, g.Code.String(), g.Code.Admin, g.Code.Street, g.Code.Community, g.Code.Seq, g.Name, g.CommunityID, g.StreetID, nullID(g.WorkerID), g.Geometry, g.AreaM2); err != nil {
				return err
			}
		}
		for _, c := range ref.Categories {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO categories (id, parent_id, code, kind, name, name_en, case_type, default_unit_id, deadline_kind, deadline_amount, public) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				c.ID, nullID(c.ParentID), c.Code, string(c.Kind), c.Name, c.NameEn, c.CaseType, nullID(c.DefaultUnitID), string(c.Deadline.Kind), c.Deadline.Amount, boolInt(c.Public)); err != nil {
				return err
			}
		}
		for _, r := range ref.Rules {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO routing_rules (id, category_id, area_id, unit_id) VALUES (?, ?, ?, ?)`),
				r.ID, r.CategoryID, r.AreaID, r.UnitID); err != nil {
				return err
			}
		}
		return db.resetSequences(ctx, tx, "org_units", "categories", "routing_rules")
	})
}

// Empty reports whether no org unit exists yet (a fresh data dir).
func (db *DB) Empty(ctx context.Context) (bool, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM org_units`).Scan(&n)
	return n == 0, err
}

// ListOrgUnits returns every org unit ordered by id.
func (db *DB) ListOrgUnits(ctx context.Context) ([]model.OrgUnit, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, parent_id, kind, code, name FROM org_units ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.OrgUnit
	for rows.Next() {
		var o model.OrgUnit
		var parent sql.NullInt64
		var kind string
		if err := rows.Scan(&o.ID, &parent, &kind, &o.Code, &o.Name); err != nil {
			return nil, err
		}
		o.ParentID, o.Kind = fromNullID(parent), model.OrgKind(kind)
		out = append(out, o)
	}
	return out, rows.Err()
}

// ListGrids returns every unit grid ordered by code.
func (db *DB) ListGrids(ctx context.Context) ([]model.Grid, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT org_id, code_admin, code_street, code_community, code_seq, name, community_id, street_id, worker_id, geometry, area_m2 FROM grids ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Grid
	for rows.Next() {
		var g model.Grid
		var worker sql.NullInt64
		if err := rows.Scan(&g.OrgID, &g.Code.Admin, &g.Code.Street, &g.Code.Community, &g.Code.Seq, &g.Name, &g.CommunityID, &g.StreetID, &worker, &g.Geometry, &g.AreaM2); err != nil {
			return nil, err
		}
		g.WorkerID = fromNullID(worker)
		out = append(out, g)
	}
	return out, rows.Err()
}

// ListCategories returns the category tree as a list ordered by code.
func (db *DB) ListCategories(ctx context.Context) ([]model.Category, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+categoryColumns+` FROM categories ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Category
	for rows.Next() {
		c, err := scanCategory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ListRoutingRules returns every routing rule.
func (db *DB) ListRoutingRules(ctx context.Context) ([]model.RoutingRule, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, category_id, area_id, unit_id FROM routing_rules ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.RoutingRule
	for rows.Next() {
		var r model.RoutingRule
		if err := rows.Scan(&r.ID, &r.CategoryID, &r.AreaID, &r.UnitID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Setting returns a stored setting, or ErrNotFound.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, db.q(`SELECT value FROM settings WHERE key = ?`), key).Scan(&v)
	return v, notFound(err)
}

// SetSetting stores a setting, replacing any earlier value.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	_, err := db.w.ExecContext(ctx, db.q(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`), key, value)
	return err
}
