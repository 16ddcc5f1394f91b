package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/store"
)

// joinIDs and splitIDs keep a short id list in one text column.
func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func splitIDs(s string) []int64 {
	if s == "" {
		return nil
	}
	var out []int64
	for _, p := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// ListRules returns every routing rule with its co-units, by id.
func (db *DB) ListRules(ctx context.Context) ([]store.Rule, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, category_id, area_id, unit_id, co_units, note, updated_at FROM routing_rules ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Rule
	for rows.Next() {
		var r store.Rule
		var co string
		var upd int64
		if err := rows.Scan(&r.ID, &r.CategoryID, &r.AreaID, &r.UnitID, &co, &r.Note, &upd); err != nil {
			return nil, err
		}
		r.CoUnitIDs = splitIDs(co)
		if upd != 0 {
			r.UpdatedAt = fromMs(upd)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CreateRule inserts a rule and its first version.
func (db *DB) CreateRule(ctx context.Context, r *store.Rule, by int64) error {
	return db.auditedTx(ctx, objectTarget("rule", &r.ID), func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO routing_rules (category_id, area_id, unit_id, co_units, note, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			r.CategoryID, r.AreaID, r.UnitID, joinIDs(r.CoUnitIDs), r.Note, ms(r.UpdatedAt)).Scan(&r.ID)
		if isUnique(err) {
			return store.ErrConflict
		}
		if err != nil {
			return err
		}
		if err := db.addRuleVersion(ctx, tx, *r, by); err != nil {
			return err
		}
		return db.bumpGeo(ctx, tx)
	})
}

// UpdateRule replaces a rule, closing its current version.
func (db *DB) UpdateRule(ctx context.Context, r store.Rule, by int64) error {
	return db.auditedTx(ctx, objectTarget("rule", &r.ID), func(tx *sql.Tx) error {
		if err := db.closeRuleVersion(ctx, tx, r.ID, ms(r.UpdatedAt), false, by); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`UPDATE routing_rules SET category_id = ?, area_id = ?, unit_id = ?, co_units = ?, note = ?, updated_at = ? WHERE id = ?`),
			r.CategoryID, r.AreaID, r.UnitID, joinIDs(r.CoUnitIDs), r.Note, ms(r.UpdatedAt), r.ID)
		if isUnique(err) {
			return store.ErrConflict
		}
		if err != nil {
			return err
		}
		if err := db.addRuleVersion(ctx, tx, r, by); err != nil {
			return err
		}
		return db.bumpGeo(ctx, tx)
	})
}

// DeleteRule removes a rule; its versions stay, the last marked deleted.
func (db *DB) DeleteRule(ctx context.Context, id int64, at time.Time, by int64) error {
	return db.auditedTx(ctx, objectTarget("rule", &id), func(tx *sql.Tx) error {
		if err := db.closeRuleVersion(ctx, tx, id, ms(at), true, by); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM routing_rules WHERE id = ?`), id); err != nil {
			return err
		}
		return db.bumpGeo(ctx, tx)
	})
}

// closeRuleVersion ends the rule's open version, recording the rule as it
// stands as version 1 first if it has no history (rules loaded with the
// reference data). ErrNotFound when the rule does not exist.
func (db *DB) closeRuleVersion(ctx context.Context, tx *sql.Tx, id, at int64, deleted bool, by int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM routing_rules WHERE id = ?`), id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM routing_rule_versions WHERE rule_id = ?`), id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO routing_rule_versions (rule_id, version, category_id, area_id, unit_id, co_units, note, valid_from)
 SELECT id, 1, category_id, area_id, unit_id, co_units, note, 0 FROM routing_rules WHERE id = ?`), id); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, db.q(`UPDATE routing_rule_versions SET valid_to = ?, deleted = ?, ended_by = ? WHERE rule_id = ? AND valid_to IS NULL`),
		at, boolInt(deleted), nullID(by), id)
	return err
}

func (db *DB) addRuleVersion(ctx context.Context, tx *sql.Tx, r store.Rule, by int64) error {
	var v int
	if err := tx.QueryRowContext(ctx, db.q(`SELECT COALESCE(MAX(version), 0) FROM routing_rule_versions WHERE rule_id = ?`), r.ID).Scan(&v); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO routing_rule_versions (rule_id, version, category_id, area_id, unit_id, co_units, note, valid_from, changed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.ID, v+1, r.CategoryID, r.AreaID, r.UnitID, joinIDs(r.CoUnitIDs), r.Note, ms(r.UpdatedAt), nullID(by))
	return err
}

// RuleVersions returns a rule's history, oldest first.
func (db *DB) RuleVersions(ctx context.Context, id int64) ([]store.RuleVersion, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT rule_id, version, category_id, area_id, unit_id, co_units, note, valid_from, valid_to, deleted, changed_by
 FROM routing_rule_versions WHERE rule_id = ? ORDER BY version`), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.RuleVersion
	for rows.Next() {
		var v store.RuleVersion
		var co string
		var from int64
		var to, by sql.NullInt64
		var deleted int
		if err := rows.Scan(&v.ID, &v.Version, &v.CategoryID, &v.AreaID, &v.UnitID, &co, &v.Note, &from, &to, &deleted, &by); err != nil {
			return nil, err
		}
		v.CoUnitIDs, v.Deleted, v.ChangedBy = splitIDs(co), deleted != 0, fromNullID(by)
		if from != 0 {
			v.ValidFrom = fromMs(from)
		}
		v.ValidTo = fromNullMs(to)
		out = append(out, v)
	}
	return out, rows.Err()
}
