package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/audit"
)

// AppendAudit seals and stores one entry. The head row is read with FOR
// UPDATE on PostgreSQL, so appends from several nodes queue on it and the
// chain stays a line; SQLite's single writer serialises them already.
func (db *DB) AppendAudit(ctx context.Context, e *audit.Entry) error {
	return db.AppendAuditBatch(ctx, []*audit.Entry{e})
}

// AppendAuditBatch seals and stores entries in order in one transaction:
// the head row is locked once for the whole batch, which is what lets
// several busy nodes share one chain.
func (db *DB) AppendAuditBatch(ctx context.Context, entries []*audit.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		in := make([]audit.Entry, len(entries))
		for i, e := range entries {
			in[i] = *e
		}
		if err := db.chainInTx(ctx, tx, in); err != nil {
			return err
		}
		for i := range entries {
			*entries[i] = in[i]
		}
		return nil
	})
}

// chainInTx seals entries (in place) onto the chain after its head, read
// with FOR UPDATE on PostgreSQL, and moves the head.
func (db *DB) chainInTx(ctx context.Context, tx *sql.Tx, entries []audit.Entry) error {
	q := `SELECT seq, hash FROM audit_head WHERE id = 1`
	if db.dialect == "postgres" {
		q += ` FOR UPDATE`
	}
	var seq int64
	prev := audit.Genesis
	err := tx.QueryRowContext(ctx, q).Scan(&seq, &prev)
	first := errors.Is(err, sql.ErrNoRows)
	if err != nil && !first {
		return err
	}
	if first && db.dialect == "postgres" {
		// Two nodes writing the very first entry: one insert wins, the
		// other retries through the conflict.
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, $1) ON CONFLICT DO NOTHING`, audit.Genesis); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, q).Scan(&seq, &prev); err != nil {
			return err
		}
		first = false
	}
	sealed := make([]audit.Entry, len(entries))
	for i, e := range entries {
		s, err := audit.Seal(e, seq, prev)
		if err != nil {
			return err
		}
		sealed[i], seq, prev = s, s.Seq, s.Hash
	}
	if err := db.insertAudit(ctx, tx, sealed); err != nil {
		return err
	}
	if first {
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)`), seq, prev)
	} else {
		_, err = tx.ExecContext(ctx, db.q(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`), seq, prev)
	}
	if err == nil {
		copy(entries, sealed)
	}
	return err
}

// insertAudit writes sealed entries: one INSERT each on SQLite (in
// process, no round trips), one statement for all on PostgreSQL, where a
// batch of a few hundred entries is then one round trip instead of one each.
func (db *DB) insertAudit(ctx context.Context, tx *sql.Tx, sealed []audit.Entry) error {
	if db.dialect == "postgres" {
		return insertAuditPG(ctx, tx, sealed)
	}
	for _, s := range sealed {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, user_id, username, role, action, target, result, ip, detail, alg, prev_hash, hash)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.Seq, ms(s.At), nullID(s.UserID), s.Username, s.Role, s.Action,
			s.Target, s.Result, s.IP, s.Detail, s.Alg, s.PrevHash, s.Hash); err != nil {
			return err
		}
	}
	return nil
}

func insertAuditPG(ctx context.Context, tx *sql.Tx, sealed []audit.Entry) error {
	n := len(sealed)
	seqs, ats, users := make([]int64, n), make([]int64, n), make([]*int64, n)
	text := make([][]string, 9) // username, role, action, target, result, ip, detail, alg, prev_hash; hash below
	for i := range text {
		text[i] = make([]string, n)
	}
	hashes := make([]string, n)
	for i, s := range sealed {
		seqs[i], ats[i] = s.Seq, ms(s.At)
		if s.UserID != 0 {
			id := s.UserID
			users[i] = &id
		}
		for j, v := range []string{s.Username, s.Role, s.Action, s.Target, s.Result, s.IP, s.Detail, s.Alg, s.PrevHash} {
			text[j][i] = v
		}
		hashes[i] = s.Hash
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, user_id, username, role, action, target, result, ip, detail, alg, prev_hash, hash)
 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])`,
		seqs, ats, users, text[0], text[1], text[2], text[3], text[4], text[5], text[6], text[7], text[8], hashes)
	return err
}

// AuditEntries returns up to limit entries after seq, in order.
func (db *DB) AuditEntries(ctx context.Context, after int64, limit int) ([]audit.Entry, error) {
	return auditReader{db, db.r}.AuditEntries(ctx, after, limit)
}

// AuditHead returns the recorded end of the chain (0 and the genesis when empty).
func (db *DB) AuditHead(ctx context.Context) (int64, string, error) {
	return auditReader{db, db.r}.AuditHead(ctx)
}

// AuditSnapshot runs fn over the audit chain as one snapshot (a read
// transaction): a chain appended to while it is read is seen before or
// after each append, never between an entry and the head it moved.
func (db *DB) AuditSnapshot(ctx context.Context, fn func(audit.Source) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.r.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(auditReader{db, tx})
}

// auditReader reads the chain through a pool or one transaction.
type auditReader struct {
	db *DB
	q  interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}
}

func (ar auditReader) AuditEntries(ctx context.Context, after int64, limit int) ([]audit.Entry, error) {
	db := ar.db
	rows, err := ar.q.QueryContext(ctx, db.q(`SELECT seq, at, user_id, username, role, action, target, result, ip, detail, alg, prev_hash, hash
 FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`), after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var e audit.Entry
		var at int64
		var user sql.NullInt64
		if err := rows.Scan(&e.Seq, &at, &user, &e.Username, &e.Role, &e.Action, &e.Target, &e.Result, &e.IP, &e.Detail, &e.Alg, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.At, e.UserID = fromMs(at), fromNullID(user)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (ar auditReader) AuditHead(ctx context.Context) (int64, string, error) {
	var seq int64
	hash := audit.Genesis
	err := ar.q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, audit.Genesis, nil
	}
	return seq, hash, err
}

// claimAudit takes the audit entry of the request ctx belongs to, naming
// target, for the write about to be made (see audit.Recorder). The second
// result gives the entry back if the write fails.
func claimAudit(ctx context.Context, target string) (*audit.Entry, func()) {
	e, rec, ok := audit.ClaimFrom(ctx, target)
	if !ok {
		return nil, func() {}
	}
	return &e, rec.Unclaim
}

const insertPendingSQL = `INSERT INTO audit_pending (at, user_id, username, role, action, target, result, ip, detail, alg)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertPendingAudit writes a claimed entry, unchained, in the write's
// own transaction; the audit writer chains it (ChainPendingAudit).
func (db *DB) insertPendingAudit(ctx context.Context, tx *sql.Tx, e *audit.Entry) error {
	if e == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, db.q(insertPendingSQL), ms(e.At), nullID(e.UserID), e.Username, e.Role, e.Action,
		e.Target, e.Result, e.IP, e.Detail, e.Alg)
	return err
}

// pendingAudit reads up to limit unchained entries, oldest first, locking
// them on PostgreSQL (SKIP LOCKED: two nodes' writers take different rows
// and then queue on the chain's head).
func (db *DB) pendingAudit(ctx context.Context, tx *sql.Tx, limit int) (ids []int64, entries []audit.Entry, err error) {
	q := `SELECT id, at, user_id, username, role, action, target, result, ip, detail, alg FROM audit_pending ORDER BY id LIMIT ?`
	if db.dialect == "postgres" {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	rows, err := tx.QueryContext(ctx, db.q(q), limit)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, at int64
			user   sql.NullInt64
			e      audit.Entry
		)
		if err := rows.Scan(&id, &at, &user, &e.Username, &e.Role, &e.Action, &e.Target, &e.Result, &e.IP, &e.Detail, &e.Alg); err != nil {
			return nil, nil, err
		}
		e.At, e.UserID = fromMs(at), user.Int64
		ids, entries = append(ids, id), append(entries, e)
	}
	return ids, entries, rows.Err()
}

func (db *DB) deletePending(ctx context.Context, tx *sql.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if db.dialect == "postgres" {
		_, err := tx.ExecContext(ctx, `DELETE FROM audit_pending WHERE id = ANY($1::bigint[])`, ids)
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM audit_pending WHERE id >= ? AND id <= ?`, ids[0], ids[len(ids)-1])
	return err
}

// ChainPendingAudit moves up to limit committed-but-unchained entries onto
// the chain, in one transaction, and answers how many it moved.
func (db *DB) ChainPendingAudit(ctx context.Context, limit int) (int, error) {
	if waiting, err := db.auditWaiting(ctx); err != nil || !waiting {
		return 0, err
	}
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		ids, entries, err := db.pendingAudit(ctx, tx, limit)
		if err != nil || len(entries) == 0 {
			return err
		}
		if err := db.chainInTx(ctx, tx, entries); err != nil {
			return err
		}
		n = len(entries)
		return db.deletePending(ctx, tx, ids)
	})
	return n, err
}

// auditWaiting tells from the read pool whether any entry waits to be
// chained: the audit writer asks five times a second, and most of the
// time nothing does (the batching writer chains a create's entry itself),
// so an idle tick costs one indexed read, not a write transaction.
func (db *DB) auditWaiting(ctx context.Context) (bool, error) {
	var one int
	err := db.r.QueryRowContext(ctx, `SELECT 1 FROM audit_pending LIMIT 1`).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// PendingAuditCount is how many entries wait to be chained.
func (db *DB) PendingAuditCount(ctx context.Context) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_pending`).Scan(&n)
	return n, err
}

// auditedTx is tx for a write a person asks for: the request's audit
// entry, if it has one to claim, is committed in the same transaction,
// naming target() (evaluated after fn, so a new row's id can be in it;
// nil or "" names the request's path).
func (db *DB) auditedTx(ctx context.Context, target func() string, fn func(*sql.Tx) error) error {
	ae, unclaim := claimAudit(ctx, "")
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if ae != nil && target != nil {
			if t := target(); t != "" {
				ae.Target = t
			}
		}
		return db.insertPendingAudit(ctx, tx, ae)
	})
	if err != nil {
		unclaim()
	}
	return err
}

// objectTarget names an object in an audit entry: "kind:id".
func objectTarget(kind string, id *int64) func() string {
	return func() string { return kind + ":" + strconv.FormatInt(*id, 10) }
}
