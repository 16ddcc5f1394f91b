package sqlstore

import (
	"context"
	"database/sql"

	"github.com/yiwang-gov/yiwang/internal/store"
)

// ListComponents returns every component ordered by code.
func (db *DB) ListComponents(ctx context.Context) ([]store.Component, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, code, category_id, name, owner_unit_id, owner_name, maintainer_unit_id, maintainer_name, lat, lng, address, status, updated_at FROM components ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Component
	for rows.Next() {
		var c store.Component
		var owner, maint sql.NullInt64
		var upd int64
		if err := rows.Scan(&c.ID, &c.Code, &c.CategoryID, &c.Name, &owner, &c.OwnerName, &maint, &c.MaintainerName, &c.Lat, &c.Lng, &c.Address, &c.Status, &upd); err != nil {
			return nil, err
		}
		c.OwnerUnitID, c.MaintainerUnitID, c.UpdatedAt = fromNullID(owner), fromNullID(maint), fromMs(upd)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ApplyComponents upserts components by code and removes the listed codes.
func (db *DB) ApplyComponents(ctx context.Context, upsert []store.Component, remove []string) error {
	return db.auditedTx(ctx, nil, func(tx *sql.Tx) error {
		for _, code := range remove {
			if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM components WHERE code = ?`), code); err != nil {
				return err
			}
		}
		for _, c := range upsert {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO components (code, category_id, name, owner_unit_id, owner_name, maintainer_unit_id, maintainer_name, lat, lng, address, status, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
 ON CONFLICT (code) DO UPDATE SET category_id = excluded.category_id, name = excluded.name, owner_unit_id = excluded.owner_unit_id,
 owner_name = excluded.owner_name, maintainer_unit_id = excluded.maintainer_unit_id, maintainer_name = excluded.maintainer_name,
 lat = excluded.lat, lng = excluded.lng, address = excluded.address, status = excluded.status, updated_at = excluded.updated_at`),
				c.Code, c.CategoryID, c.Name, nullID(c.OwnerUnitID), c.OwnerName, nullID(c.MaintainerUnitID), c.MaintainerName,
				c.Lat, c.Lng, c.Address, c.Status, ms(c.UpdatedAt)); err != nil {
				return err
			}
		}
		return db.bumpGeo(ctx, tx)
	})
}
