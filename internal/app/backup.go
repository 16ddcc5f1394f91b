package app

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// Backup writes a data dir's consistent snapshot (database and attachment
// files) to a .tar.gz at to, while the server may be running.
func Backup(ctx context.Context, dataDir, to string) error {
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("backup: %s already exists", to)
	}
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dataDir, DBFile), sqlstore.SQLiteOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	tmpDir, err := os.MkdirTemp(filepath.Dir(to), ".yiwang-backup-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmpDir)
	snap := filepath.Join(tmpDir, DBFile)
	if err := st.BackupTo(ctx, snap); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(to), ".yiwang-backup-*.tar.gz")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	add := func(path, name string) error {
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		hdr, _ := tar.FileInfoHeader(info, "")
		hdr.Name = name
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	}
	if err := add(snap, DBFile); err != nil {
		return err
	}
	files := filepath.Join(dataDir, "files")
	err = filepath.WalkDir(files, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".upload-") {
			return err
		}
		rel, _ := filepath.Rel(dataDir, path)
		return add(path, filepath.ToSlash(rel))
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	f.Close()
	return os.Rename(f.Name(), to)
}

// Restore unpacks a backup into an empty data dir and checks the database.
func Restore(ctx context.Context, from, dataDir string) error {
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("restore: %s is not empty", dataDir)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return err
	}
	f, err := os.Open(from)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("restore: %s is not a yiwang backup: %w", from, err)
	}
	tr := tar.NewReader(gz)
	sawDB := false
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(hdr.Name))
		if hdr.Typeflag != tar.TypeReg || filepath.IsAbs(name) || strings.HasPrefix(name, "..") || (name != DBFile && !strings.HasPrefix(name, "files"+string(filepath.Separator))) {
			return fmt.Errorf("restore: unexpected entry %q in backup", hdr.Name)
		}
		dst := filepath.Join(dataDir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return err
		}
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, io.LimitReader(tr, hdr.Size)); err != nil {
			out.Close()
			return err
		}
		if err := out.Sync(); err != nil {
			out.Close()
			return err
		}
		out.Close()
		sawDB = sawDB || name == DBFile
	}
	if !sawDB {
		return errors.New("restore: the backup holds no database")
	}
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dataDir, DBFile), sqlstore.SQLiteOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	return st.IntegrityCheck(ctx)
}
