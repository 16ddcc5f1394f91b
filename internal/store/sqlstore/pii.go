package sqlstore

import (
	"context"
	"database/sql"
)

// ResealPII seals again, with the ring's newest key, every reporter field
// that is plaintext or sealed with an older key (after a key rotation, or
// when encryption is turned on for an existing county). It returns how
// many cases it rewrote. It runs in batches so the server keeps working.
func (db *DB) ResealPII(ctx context.Context) (int, error) {
	if db.pii == nil {
		return 0, nil
	}
	var after int64
	total := 0
	for {
		rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, reporter_name, reporter_phone FROM cases WHERE id > ? ORDER BY id LIMIT 500`), after)
		if err != nil {
			return total, err
		}
		type row struct {
			id          int64
			name, phone string
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.name, &r.phone); err != nil {
				rows.Close()
				return total, err
			}
			after = r.id
			if db.pii.NeedsReseal(r.name) || db.pii.NeedsReseal(r.phone) {
				batch = append(batch, r)
			}
		}
		n := 0
		if err := rows.Err(); err != nil {
			return total, err
		}
		rows.Close()
		err = db.tx(ctx, func(tx *sql.Tx) error {
			for _, r := range batch {
				name, err := db.resealOne(r.name)
				if err != nil {
					return err
				}
				phone, err := db.resealOne(r.phone)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, db.q(`UPDATE cases SET reporter_name = ?, reporter_phone = ? WHERE id = ?`), name, phone, r.id); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		total += n
		if err != nil {
			return total, err
		}
		var more int
		db.r.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM cases WHERE id > ?`), after).Scan(&more)
		if more == 0 {
			return total, nil
		}
	}
}

func (db *DB) resealOne(v string) (string, error) {
	plain, err := db.pii.Open(v)
	if err != nil {
		return "", err
	}
	return db.pii.Seal(plain)
}
