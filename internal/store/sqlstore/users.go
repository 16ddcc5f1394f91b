package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

const userColumns = `id, username, display_name, role, org_id, password_hash, disabled, created_at, totp_secret, totp_last_step`

func scanUser(row interface{ Scan(...any) error }) (model.User, error) {
	var u model.User
	var role string
	var disabled int
	var created int64
	if err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &role, &u.OrgID, &u.PasswordHash, &disabled, &created, &u.TOTPSecret, &u.TOTPLastStep); err != nil {
		return u, notFound(err)
	}
	u.Role, u.Disabled, u.CreatedAt = model.Role(role), disabled != 0, fromMs(created)
	return u, nil
}

// CreateUser inserts u and sets its ID. A taken username is ErrConflict.
func (db *DB) CreateUser(ctx context.Context, u *model.User) error {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now()
	}
	var exists int
	err := db.auditedTx(ctx, objectTarget("user", &u.ID), func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM users WHERE username = ?`), u.Username).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return store.ErrConflict
		}
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO users (username, display_name, role, org_id, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			u.Username, u.DisplayName, string(u.Role), u.OrgID, u.PasswordHash, boolInt(u.Disabled), ms(u.CreatedAt)).Scan(&u.ID)
	})
	if isUnique(err) {
		return store.ErrConflict
	}
	return err
}

// UserByID returns the user or ErrNotFound.
func (db *DB) UserByID(ctx context.Context, id int64) (model.User, error) {
	return scanUser(db.r.QueryRowContext(ctx, db.q(`SELECT `+userColumns+` FROM users WHERE id = ?`), id))
}

// UserByUsername returns the user or ErrNotFound.
func (db *DB) UserByUsername(ctx context.Context, username string) (model.User, error) {
	return scanUser(db.r.QueryRowContext(ctx, db.q(`SELECT `+userColumns+` FROM users WHERE username = ?`), username))
}

// ListUsers returns all users ordered by id.
func (db *DB) ListUsers(ctx context.Context) ([]model.User, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetPassword replaces a user's password hash.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	res, err := db.w.ExecContext(ctx, db.q(`UPDATE users SET password_hash = ? WHERE id = ?`), hash, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// SetUserDisabled disables or enables an account.
func (db *DB) SetUserDisabled(ctx context.Context, userID int64, disabled bool) error {
	res, err := db.w.ExecContext(ctx, db.q(`UPDATE users SET disabled = ? WHERE id = ?`), boolInt(disabled), userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// SetUserOrg moves an account to another org unit.
func (db *DB) SetUserOrg(ctx context.Context, userID, orgID int64) error {
	res, err := db.w.ExecContext(ctx, db.q(`UPDATE users SET org_id = ? WHERE id = ?`), orgID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteUserSessions ends every session of an account.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	res, err := db.w.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE user_id = ?`), userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CreateSession stores a login session.
func (db *DB) CreateSession(ctx context.Context, s model.Session) error {
	_, err := db.w.ExecContext(ctx, db.q(`INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`),
		s.TokenHash, s.UserID, ms(s.CreatedAt), ms(s.ExpiresAt))
	return err
}

// SessionByHash returns an unexpired session or ErrNotFound.
func (db *DB) SessionByHash(ctx context.Context, hash string, now time.Time) (model.Session, error) {
	var s model.Session
	var created, expires int64
	err := db.r.QueryRowContext(ctx, db.q(`SELECT token_hash, user_id, created_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?`), hash, ms(now)).
		Scan(&s.TokenHash, &s.UserID, &created, &expires)
	if err != nil {
		return s, notFound(err)
	}
	s.CreatedAt, s.ExpiresAt = fromMs(created), fromMs(expires)
	return s, nil
}

// DeleteSession removes a session (logout).
func (db *DB) DeleteSession(ctx context.Context, hash string) error {
	_, err := db.w.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE token_hash = ?`), hash)
	return err
}

// SetTOTP stores (or with "" removes) a user's second-factor secret.
func (db *DB) SetTOTP(ctx context.Context, userID int64, secret string) error {
	res, err := db.w.ExecContext(ctx, db.q(`UPDATE users SET totp_secret = ?, totp_last_step = 0 WHERE id = ?`), secret, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// UseTOTPStep records that a code for step was used; it reports false when
// that step (or a later one) was already used, so a code works once even
// with several nodes.
func (db *DB) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := db.w.ExecContext(ctx, db.q(`UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`), step, userID, step)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
