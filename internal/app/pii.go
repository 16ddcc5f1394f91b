package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/yiwang-gov/yiwang/internal/pii"
)

// PIIKeyFile is the key ring's default place in the data dir.
const PIIKeyFile = "pii.keys"

// loadPII reads the key ring sealing personal data, making one on first
// start so that no county runs without encryption at rest. A key kept next
// to the database protects a stolen database file but not a stolen data
// dir: the log says so, and --pii-keys points elsewhere.
func loadPII(cfg Config) (*pii.Ring, error) {
	path := cfg.PIIKeys
	if path == "" {
		path = filepath.Join(cfg.DataDir, PIIKeyFile)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && cfg.PIIKeys == "" {
		line, gerr := pii.GenerateKeyLine("k1", suiteFor(cfg.Crypto))
		if gerr != nil {
			return nil, gerr
		}
		data = []byte("# yiwang personal-data keys: id suite hexkey, oldest first. Keep a copy apart from the database backups.\n" + line + "\n")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
		cfg.Log.Warn("personal-data key made in the data dir; move it elsewhere and pass --pii-keys for real deployments", "file", path)
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("personal-data keys: %w", err)
	}
	return pii.ParseKeys(string(data))
}

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
