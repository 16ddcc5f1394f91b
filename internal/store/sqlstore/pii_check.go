package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/pii"
)

// SealedCheck is what CheckSealed found: how many sealed values it tried
// to open, the key ids they name, which of those the ring lacks, and the
// first value that did not open.
type SealedCheck struct {
	Checked int
	KeyIDs  []string
	Missing []string
	Failed  int
	First   error
}

// OK reports whether every sampled value opened.
func (c SealedCheck) OK() bool { return c.Failed == 0 }

// Err describes the failure for an operator, naming the key ids the data
// needs; nil when every sampled value opened. keyFile is where the ring
// was looked for ("" if none was).
func (c SealedCheck) Err(keyFile string) error {
	if c.OK() {
		return nil
	}
	where := "the key ring"
	if keyFile != "" {
		where = keyFile
	}
	if len(c.Missing) > 0 {
		return fmt.Errorf("personal data is sealed with key %s, which is not in %s; restore the key file or pass --pii-keys", strings.Join(c.Missing, ", "), where)
	}
	return fmt.Errorf("personal data sealed with key %s does not open with the key of that id in %s (a different key under the same id?): %d of %d sampled values failed, first: %v",
		strings.Join(c.KeyIDs, ", "), where, c.Failed, c.Checked, c.First)
}

// sealedCases are the cases whose reporter or fields hold a sealed value.
const sealedCases = `(reporter_name LIKE 'pii1:%' OR reporter_phone LIKE 'pii1:%' OR fields LIKE '%"pii1:%')`

// CheckSealed opens a sample of the sealed values the store holds with its
// ring (nil: none configured, so any sealed value fails): up to n cases
// with a sealed reporter or field from each end of the table (the oldest
// keep the oldest keys, the newest the current one) and, when events is
// set, up to n timeline entries from each end likewise. Start-up asks with
// a small n and no events, restore with n = 1000 and events.
func (db *DB) CheckSealed(ctx context.Context, n int, events bool) (SealedCheck, error) {
	var c SealedCheck
	ids := map[string]bool{}
	try := func(v string) {
		if !strings.HasPrefix(v, pii.Prefix) {
			return
		}
		ids[pii.SealedKeyID(v)] = true
		c.Checked++
		if _, err := db.pii.Open(v); err != nil {
			c.Failed++
			if c.First == nil {
				c.First = err
			}
		}
	}
	seen := map[int64]bool{}
	for _, order := range []string{"ASC", "DESC"} {
		rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, reporter_name, reporter_phone, fields FROM cases WHERE `+sealedCases+` ORDER BY id `+order+` LIMIT ?`), n)
		if err != nil {
			return c, err
		}
		for rows.Next() {
			var id int64
			var name, phone, fields string
			if err := rows.Scan(&id, &name, &phone, &fields); err != nil {
				rows.Close()
				return c, err
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			try(name)
			try(phone)
			walkSealed(fields, try)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return c, err
		}
	}
	if events {
		seenEv := map[int64]bool{}
		for _, order := range []string{"ASC", "DESC"} {
			rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, data FROM case_events WHERE data LIKE '%"pii1:%' ORDER BY id `+order+` LIMIT ?`), n)
			if err != nil {
				return c, err
			}
			for rows.Next() {
				var id int64
				var data string
				if err := rows.Scan(&id, &data); err != nil {
					rows.Close()
					return c, err
				}
				if !seenEv[id] {
					seenEv[id] = true
					walkSealed(data, try)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return c, err
			}
		}
	}
	for id := range ids {
		c.KeyIDs = append(c.KeyIDs, id)
		if !db.pii.Has(id) {
			c.Missing = append(c.Missing, id)
		}
	}
	slices.Sort(c.KeyIDs)
	slices.Sort(c.Missing)
	return c, nil
}

// ProbeSealed opens the newest sealed value among the latest 1000 cases:
// the health probe's proof that this node can read what it serves (a ring
// that lost or lacks a key answers every case read with an error). It
// reads at most 1000 rows, so it stays cheap on any store; no sealed value
// among them is no failure.
func (db *DB) ProbeSealed(ctx context.Context) error {
	var name, phone, fields string
	err := db.r.QueryRowContext(ctx, `SELECT reporter_name, reporter_phone, fields FROM (SELECT id, reporter_name, reporter_phone, fields FROM cases ORDER BY id DESC LIMIT 1000) AS latest WHERE `+sealedCases+` ORDER BY id DESC LIMIT 1`).Scan(&name, &phone, &fields)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	}
	var first error
	try := func(v string) {
		if _, err := db.pii.Open(v); err != nil && first == nil {
			first = err
		}
	}
	for _, v := range []string{name, phone} {
		if strings.HasPrefix(v, pii.Prefix) {
			try(v)
		}
	}
	walkSealed(fields, try)
	return first
}

// walkSealed calls fn with every sealed string inside a JSON text.
func walkSealed(text string, fn func(string)) {
	if !strings.Contains(text, pii.Prefix) {
		return
	}
	var v any
	if json.Unmarshal([]byte(text), &v) != nil {
		return
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if strings.HasPrefix(x, pii.Prefix) {
				fn(x)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
}
