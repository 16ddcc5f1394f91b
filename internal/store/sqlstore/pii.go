package sqlstore

import (
	"context"
	"database/sql"
	"maps"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/pii"
)

// ResealPII seals again, with the ring's newest key, every reporter field
// and personal case field that is plaintext or sealed with an older key
// (after a key rotation, or when encryption is turned on for an existing
// county). It returns how many cases it rewrote. It runs in batches so the
// server keeps working. Timeline entries are append-only (the database
// refuses to rewrite them): fields they recorded keep the key they were
// sealed with, which the ring keeps for reading.
func (db *DB) ResealPII(ctx context.Context) (int, error) {
	if db.pii == nil {
		return 0, nil
	}
	var after int64
	total := 0
	for {
		rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, type, def_version, reporter_name, reporter_phone, fields FROM cases WHERE id > ? ORDER BY id LIMIT 500`), after)
		if err != nil {
			return total, err
		}
		type row struct {
			id          int64
			c           model.Case // type, version and fields
			name, phone string
			fields      string
		}
		var batch []row
		seen := 0
		for rows.Next() {
			var r row
			var fields string
			if err := rows.Scan(&r.id, &r.c.Type, &r.c.DefVersion, &r.name, &r.phone, &fields); err != nil {
				rows.Close()
				return total, err
			}
			after, seen = r.id, seen+1
			stale, err := db.staleFields(&r.c, fields)
			if err != nil {
				rows.Close()
				return total, err
			}
			if stale || db.pii.NeedsReseal(r.name) || db.pii.NeedsReseal(r.phone) {
				r.fields = fields
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
				fields, err := db.fieldsText(&r.c) // opened by staleFields, sealed again here
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, db.q(`UPDATE cases SET reporter_name = ?, reporter_phone = ?, fields = ? WHERE id = ?`), name, phone, fields, r.id); err != nil {
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
		if seen < 500 {
			return total, nil
		}
	}
}

// staleFields decodes a case's stored fields into c.Fields, opened, and
// reports whether a personal value is plaintext or sealed with an older key.
func (db *DB) staleFields(c *model.Case, stored string) (bool, error) {
	if err := decodeJSONMap(stored, &c.Fields); err != nil {
		return false, err
	}
	stale := false
	for _, name := range db.personalOf(c) {
		if v, ok := c.Fields[name].(string); ok && db.pii.NeedsReseal(v) {
			stale = true
		}
	}
	return stale, db.openFields(c.Fields)
}

func (db *DB) resealOne(v string) (string, error) {
	plain, err := db.pii.Open(v)
	if err != nil {
		return "", err
	}
	return db.seal(plain)
}

// SetPersonalFields tells the store which fields of a case type's
// definition hold personal data (workflow.Definition.PersonalFields): their
// values are sealed at rest like the reporter's, in the case row and in the
// "fields" of its timeline entries. Reading opens every sealed value,
// whatever the definitions say now. Call it before the store is used.
func (db *DB) SetPersonalFields(f func(caseType string, version int) []string) { db.personal = f }

func (db *DB) personalOf(c *model.Case) []string {
	if db.personal == nil || (db.pii == nil && !db.piiWithheld) {
		return nil
	}
	return db.personal(c.Type, c.DefVersion)
}

// sealFields returns m with the named string values sealed (a copy when
// any is; m itself is never changed: the caller keeps the plain values).
func (db *DB) sealFields(m map[string]any, personal []string) (map[string]any, error) {
	var out map[string]any
	for _, name := range personal {
		v, ok := m[name].(string)
		if !ok || v == "" {
			continue
		}
		sealed, err := db.seal(v)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = maps.Clone(m)
		}
		out[name] = sealed
	}
	if out == nil {
		return m, nil
	}
	return out, nil
}

// fieldsText is a case's fields as stored: JSON with personal values sealed.
func (db *DB) fieldsText(c *model.Case) (string, error) {
	m, err := db.sealFields(c.Fields, db.personalOf(c))
	if err != nil {
		return "", err
	}
	return jsonText(m), nil
}

// eventDataText is an entry's data as stored: the "fields" it set (on
// create, by an action) with the case type's personal values sealed.
func (db *DB) eventDataText(ev *model.Event, personal []string) (string, error) {
	f, ok := ev.Data["fields"].(map[string]any)
	if !ok || len(personal) == 0 {
		return jsonText(ev.Data), nil
	}
	sealed, err := db.sealFields(f, personal)
	if err != nil {
		return "", err
	}
	data := maps.Clone(ev.Data)
	data["fields"] = sealed
	return jsonText(data), nil
}

// openFields opens every sealed string value of m in place.
func (db *DB) openFields(m map[string]any) error {
	for k, v := range m {
		s, ok := v.(string)
		if !ok || !strings.HasPrefix(s, pii.Prefix) {
			continue
		}
		plain, err := db.pii.Open(s)
		if err != nil {
			return err
		}
		m[k] = plain
	}
	return nil
}
