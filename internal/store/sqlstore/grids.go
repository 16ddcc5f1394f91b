package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// geoGenerationKey is the settings row bumped by every geography write.
const geoGenerationKey = "geo.generation"

// bumpGeo increments the geography generation inside tx (atomically: the
// row lock serialises concurrent writers on PostgreSQL).
func (db *DB) bumpGeo(ctx context.Context, tx *sql.Tx) error {
	typ := "INTEGER"
	if db.dialect == "postgres" {
		typ = "BIGINT"
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO settings (key, value) VALUES (?, '1')
 ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(settings.value AS `+typ+`) + 1 AS TEXT)`), geoGenerationKey)
	return err
}

// GeoGeneration returns the geography generation (0 before any write).
func (db *DB) GeoGeneration(ctx context.Context) (int64, error) {
	v, err := db.Setting(ctx, geoGenerationKey)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// BumpGeoGeneration bumps the geography generation.
func (db *DB) BumpGeoGeneration(ctx context.Context) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.bumpGeo(ctx, tx) })
}

// ApplyGridChanges writes a validated grid import in one transaction.
func (db *DB) ApplyGridChanges(ctx context.Context, ch store.GridChanges) ([]int64, error) {
	var ids []int64
	at := ms(ch.At)
	err := db.auditedTx(ctx, nil, func(tx *sql.Tx) error {
		ids = ids[:0]
		for _, id := range ch.Retire {
			if err := db.closeGridVersion(ctx, tx, id, at); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, db.q(`DELETE FROM grids WHERE org_id = ?`), id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("retire grid %d: %w", id, store.ErrNotFound)
			}
		}
		for _, g := range ch.Update {
			if err := db.closeGridVersion(ctx, tx, g.OrgID, at); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, db.q(`UPDATE grids SET name = ?, community_id = ?, street_id = ?, geometry = ?, area_m2 = ? WHERE org_id = ? AND code = ?`),
				g.Name, g.CommunityID, g.StreetID, g.Geometry, g.AreaM2, g.OrgID, g.Code.String())
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("update grid %s: %w", g.Code, store.ErrNotFound)
			}
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE org_units SET name = ?, parent_id = ? WHERE id = ?`), g.Name, g.CommunityID, g.OrgID); err != nil {
				return err
			}
			if err := db.addGridVersion(ctx, tx, g, "updated", ch, at); err != nil {
				return err
			}
		}
		for _, g := range ch.Create {
			change := "created"
			if g.OrgID == 0 {
				err := tx.QueryRowContext(ctx, db.q(`INSERT INTO org_units (parent_id, kind, code, name) VALUES (?, ?, ?, ?) RETURNING id`),
					g.CommunityID, string(model.OrgGrid), g.Code.String(), g.Name).Scan(&g.OrgID)
				if err != nil {
					return err
				}
			} else {
				change = "revived"
				res, err := tx.ExecContext(ctx, db.q(`UPDATE org_units SET name = ?, parent_id = ? WHERE id = ? AND kind = ? AND code = ?`),
					g.Name, g.CommunityID, g.OrgID, string(model.OrgGrid), g.Code.String())
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return fmt.Errorf("revive grid %s: %w", g.Code, store.ErrNotFound)
				}
			}
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO grids (org_id, code, code_admin, code_street, code_community, code_seq, name, community_id, street_id, worker_id, geometry, area_m2) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				g.OrgID, g.Code.String(), g.Code.Admin, g.Code.Street, g.Code.Community, g.Code.Seq, g.Name, g.CommunityID, g.StreetID, nullID(g.WorkerID), g.Geometry, g.AreaM2); err != nil {
				if isUnique(err) {
					return store.ErrConflict
				}
				return err
			}
			if err := db.addGridVersion(ctx, tx, g, change, ch, at); err != nil {
				return err
			}
			ids = append(ids, g.OrgID)
		}
		return db.bumpGeo(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// closeGridVersion ends a current grid's open version, first recording the
// grid as it stands as version 1 if it has no history yet (grids loaded
// with the reference data).
func (db *DB) closeGridVersion(ctx context.Context, tx *sql.Tx, orgID int64, at int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM grid_versions WHERE org_id = ?`), orgID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		res, err := tx.ExecContext(ctx, db.q(`INSERT INTO grid_versions (org_id, version, code, name, community_id, street_id, geometry, area_m2, change, source, valid_from)
 SELECT org_id, 1, code, name, community_id, street_id, geometry, area_m2, 'initial', '', 0 FROM grids WHERE org_id = ?`), orgID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("grid %d: %w", orgID, store.ErrNotFound)
		}
	}
	_, err := tx.ExecContext(ctx, db.q(`UPDATE grid_versions SET valid_to = ? WHERE org_id = ? AND valid_to IS NULL`), at, orgID)
	return err
}

func (db *DB) addGridVersion(ctx context.Context, tx *sql.Tx, g model.Grid, change string, ch store.GridChanges, at int64) error {
	var v int
	if err := tx.QueryRowContext(ctx, db.q(`SELECT COALESCE(MAX(version), 0) FROM grid_versions WHERE org_id = ?`), g.OrgID).Scan(&v); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO grid_versions (org_id, version, code, name, community_id, street_id, geometry, area_m2, change, source, valid_from, changed_by)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		g.OrgID, v+1, g.Code.String(), g.Name, g.CommunityID, g.StreetID, g.Geometry, g.AreaM2, change, ch.Source, at, nullID(ch.By))
	return err
}

// GridVersions returns a grid's versions, oldest first.
func (db *DB) GridVersions(ctx context.Context, orgID int64) ([]store.GridVersion, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT org_id, version, code, name, community_id, street_id, geometry, area_m2, change, source, valid_from, valid_to, changed_by
 FROM grid_versions WHERE org_id = ? ORDER BY version`), orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.GridVersion
	for rows.Next() {
		var v store.GridVersion
		var from int64
		var to, by sql.NullInt64
		if err := rows.Scan(&v.OrgID, &v.Version, &v.Code, &v.Name, &v.CommunityID, &v.StreetID, &v.Geometry, &v.AreaM2, &v.Change, &v.Source, &from, &to, &by); err != nil {
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
