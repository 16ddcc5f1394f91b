package sqlstore

// ExecForTest runs a statement on the write connection, bypassing the store
// API, so tests can try what a tamperer with database access would.
func (db *DB) ExecForTest(q string) (int64, error) {
	res, err := db.w.Exec(q)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
