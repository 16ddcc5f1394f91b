package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/yiwang-gov/yiwang/internal/store"
)

// ListAddresses returns the address register ordered by id.
func (db *DB) ListAddresses(ctx context.Context) ([]store.Address, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, text, alias, lat, lng, street_id, community_id, grid_id FROM addresses ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Address
	for rows.Next() {
		var a store.Address
		var street, comm, grid sql.NullInt64
		if err := rows.Scan(&a.ID, &a.Text, &a.Alias, &a.Lat, &a.Lng, &street, &comm, &grid); err != nil {
			return nil, err
		}
		a.StreetID, a.CommunityID, a.GridID = fromNullID(street), fromNullID(comm), fromNullID(grid)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ApplyAddresses upserts addresses by text and removes the listed ids.
func (db *DB) ApplyAddresses(ctx context.Context, upsert []store.Address, remove []int64) error {
	return db.auditedTx(ctx, nil, func(tx *sql.Tx) error {
		for _, id := range remove {
			if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM addresses WHERE id = ?`), id); err != nil {
				return err
			}
		}
		for _, a := range upsert {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO addresses (text, alias, lat, lng, street_id, community_id, grid_id) VALUES (?, ?, ?, ?, ?, ?, ?)
 ON CONFLICT (text) DO UPDATE SET alias = excluded.alias, lat = excluded.lat, lng = excluded.lng,
 street_id = excluded.street_id, community_id = excluded.community_id, grid_id = excluded.grid_id`),
				a.Text, a.Alias, a.Lat, a.Lng, nullID(a.StreetID), nullID(a.CommunityID), nullID(a.GridID)); err != nil {
				return err
			}
		}
		return db.bumpGeo(ctx, tx)
	})
}

// PutCasePlace records how a case was placed (once; a second call for the
// same case replaces the first).
func (db *DB) PutCasePlace(ctx context.Context, p store.CasePlace) error {
	_, err := db.w.ExecContext(ctx, db.q(`INSERT INTO case_places (case_id, grid_version, rule_id, rule_version, co_units, component_code, component_m, fallback, exact)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
 ON CONFLICT (case_id) DO UPDATE SET grid_version = excluded.grid_version, rule_id = excluded.rule_id, rule_version = excluded.rule_version,
 co_units = excluded.co_units, component_code = excluded.component_code, component_m = excluded.component_m, fallback = excluded.fallback, exact = excluded.exact`),
		p.CaseID, p.GridVersion, p.RuleID, p.RuleVersion, joinIDs(p.CoUnitIDs), p.ComponentCode, p.ComponentM, boolInt(p.Fallback), boolInt(p.Exact))
	return err
}

// CasePlace reads a case's placement record.
func (db *DB) CasePlace(ctx context.Context, caseID int64) (store.CasePlace, error) {
	var p store.CasePlace
	var co string
	var fallback, exact int
	err := db.r.QueryRowContext(ctx, db.q(`SELECT case_id, grid_version, rule_id, rule_version, co_units, component_code, component_m, fallback, exact FROM case_places WHERE case_id = ?`), caseID).
		Scan(&p.CaseID, &p.GridVersion, &p.RuleID, &p.RuleVersion, &co, &p.ComponentCode, &p.ComponentM, &fallback, &exact)
	if errors.Is(err, sql.ErrNoRows) {
		return p, store.ErrNotFound
	}
	p.CoUnitIDs, p.Fallback, p.Exact = splitIDs(co), fallback != 0, exact != 0
	return p, err
}
