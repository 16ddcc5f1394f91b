package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/yiwang-gov/yiwang/internal/store"
)

const apiKeyColumns = `id, name, prefix, key_hash, jurisdiction_id, rate_per_minute, scope, created_at, revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }) (store.APIKey, error) {
	var k store.APIKey
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.Hash, &k.Jurisdiction, &k.RatePerMinute, &k.Scope, &created, &revoked); err != nil {
		return k, notFound(err)
	}
	k.CreatedAt, k.RevokedAt = fromMs(created), fromNullMs(revoked)
	return k, nil
}

// CreateAPIKey inserts k and sets its id.
func (db *DB) CreateAPIKey(ctx context.Context, k *store.APIKey) error {
	if k.Scope == "" {
		k.Scope = store.KeyScopePublic
	}
	err := db.w.QueryRowContext(ctx, db.q(`INSERT INTO api_keys (name, prefix, key_hash, jurisdiction_id, rate_per_minute, scope, created_at, revoked_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		k.Name, k.Prefix, k.Hash, k.Jurisdiction, k.RatePerMinute, k.Scope, ms(k.CreatedAt), nullMs(k.RevokedAt)).Scan(&k.ID)
	if isUnique(err) {
		return store.ErrConflict
	}
	return err
}

// APIKeyByHash finds a key by the hash of its value.
func (db *DB) APIKeyByHash(ctx context.Context, hash string) (store.APIKey, error) {
	return scanAPIKey(db.r.QueryRowContext(ctx, db.q(`SELECT `+apiKeyColumns+` FROM api_keys WHERE key_hash = ?`), hash))
}

// ListAPIKeys returns every key, oldest first.
func (db *DB) ListAPIKeys(ctx context.Context) ([]store.APIKey, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey marks a key revoked (the first revocation time is kept).
func (db *DB) RevokeAPIKey(ctx context.Context, id int64, at time.Time) error {
	res, err := db.w.ExecContext(ctx, db.q(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`), ms(at), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
