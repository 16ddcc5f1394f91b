package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/yiwang-gov/yiwang/internal/pii"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// PIIKeyFile is the key ring's default place in the data dir.
const PIIKeyFile = "pii.keys"

// loadPII reads the key ring sealing personal data and puts it on the
// store, making one on first start so that no county runs without
// encryption at rest. A key kept next to the database protects a stolen
// database file but not a stolen data dir: the log says so, and
// --pii-keys points elsewhere.
//
// A key is made only for a store that holds no sealed value: a restored
// data dir whose key file was left behind would otherwise start with a
// fresh key under the same id, answer its health check, and fail every
// case read. And a ring is used only if it opens a sample of the sealed
// values (from the oldest and the newest cases): a ring that lacks a key
// the data names, or holds another key under its id, stops the start with
// the ids the data needs.
func loadPII(ctx context.Context, cfg Config, st *sqlstore.DB) error {
	path := cfg.PIIKeys
	if path == "" {
		path = filepath.Join(cfg.DataDir, PIIKeyFile)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && cfg.PIIKeys == "" {
		chk, cerr := st.CheckSealed(ctx, startSample, false) // no ring yet: any sealed value fails
		if cerr != nil {
			return cerr
		}
		if chk.Checked > 0 {
			return chk.Err(path)
		}
		line, gerr := pii.GenerateKeyLine("k1", suiteFor(cfg.Crypto))
		if gerr != nil {
			return gerr
		}
		data = []byte("# yiwang personal-data keys: id suite hexkey, oldest first. Keep a copy apart from the database backups.\n" + line + "\n")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return err
		}
		cfg.Log.Warn("personal-data key made in the data dir; move it elsewhere and pass --pii-keys for real deployments", "file", path)
		err = nil
	}
	if err != nil {
		return fmt.Errorf("personal-data keys: %w", err)
	}
	ring, err := pii.ParseKeys(string(data))
	if err != nil {
		return err
	}
	st.SetPII(ring)
	chk, err := st.CheckSealed(ctx, startSample, false)
	if err != nil {
		return err
	}
	return chk.Err(path)
}

// startSample is how many sealed cases from each end of the table the
// start-up check opens: about a millisecond on a store with sealed data,
// whatever its size; a store with none is scanned (some 65 ms per 100,000
// cases).
const startSample = 100

func suiteFor(crypto string) string {
	if crypto == "gm" {
		return pii.SM4
	}
	return pii.AES
}

// RotatePIIKey appends a new key to the ring file (it seals from now on);
// ResealPII then rewrites old rows with it.
func RotatePIIKey(cfg Config, id string) error {
	path := cfg.PIIKeys
	if path == "" {
		path = filepath.Join(cfg.DataDir, PIIKeyFile)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	line, err := pii.GenerateKeyLine(id, suiteFor(cfg.Crypto))
	if err != nil {
		return err
	}
	next := string(old) + line + "\n"
	if _, err := pii.ParseKeys(next); err != nil {
		return err
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(next), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
