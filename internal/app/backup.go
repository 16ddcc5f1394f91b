package app

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/pii"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// SealedKeysEntry is the backup's entry holding the personal-data key
// ring sealed under the operator's passphrase (pii.SealWithPassphrase). It
// comes first, so a restore checks the passphrase before it writes a byte.
const SealedKeysEntry = "pii.keys.sealed"

// BackupOptions says what to back up and how to carry the key ring.
type BackupOptions struct {
	DataDir string
	To      string // the .tar.gz to write; must not exist
	// PIIKeys is the key file when the server keeps it outside the data
	// dir (serve --pii-keys); empty: DataDir/pii.keys.
	PIIKeys string
	// Passphrase seals the key ring into the backup. Without one the
	// backup refuses unless WithoutKeys: a backup without its keys
	// restores to a server that cannot read a single reporter.
	Passphrase  []byte
	WithoutKeys bool
	Log         *slog.Logger
	// pause, set by tests, is called at each stage ("snapshot" once the
	// database copy exists, "archive" half-way through the archive).
	pause func(stage string)
}

// BackupResult says what a backup holds.
type BackupResult struct {
	KeysSealed bool // the key ring is in it, sealed
	Files      int  // attachment files
}

// Backup writes a data dir's consistent snapshot (the database, the
// attachment files and, sealed, the key ring) to a .tar.gz, while the
// server may be running. A backup killed at any point leaves no copy of
// the data behind it: the archive has no name until it is complete (see
// createAnon), and the database snapshot SQLite writes by name is locked,
// unlinked as soon as it is written, and removed by the next backup or
// server start if the process died first (cleanStale).
func Backup(ctx context.Context, opt BackupOptions) (BackupResult, error) {
	var res BackupResult
	if opt.To == "" {
		return res, errors.New("backup: no destination")
	}
	if _, err := os.Stat(opt.To); err == nil {
		return res, fmt.Errorf("backup: %s already exists", opt.To)
	}
	if opt.pause == nil {
		opt.pause = func(string) {}
	}
	destDir := filepath.Dir(opt.To)
	cleanStale(opt.DataDir, opt.Log)
	cleanStale(destDir, opt.Log)

	// The key ring first: a backup that cannot carry it stops before it
	// copies anything.
	var sealedKeys []byte
	if !opt.WithoutKeys {
		if len(opt.Passphrase) == 0 {
			return res, errors.New("backup: a passphrase is needed to seal the personal-data key ring into the backup (--passphrase-file FILE or YIWANG_BACKUP_PASSPHRASE); --without-keys makes a backup without it, which restores only with the key file")
		}
		path := opt.PIIKeys
		if path == "" {
			path = filepath.Join(opt.DataDir, PIIKeyFile)
		}
		keys, err := os.ReadFile(path)
		if err != nil {
			return res, fmt.Errorf("backup: personal-data keys: %w", err)
		}
		if _, err := pii.ParseKeys(string(keys)); err != nil {
			return res, fmt.Errorf("backup: %s: %w", path, err)
		}
		if sealedKeys, err = pii.SealWithPassphrase(keys, opt.Passphrase); err != nil {
			return res, err
		}
		res.KeysSealed = true
	}

	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(opt.DataDir, DBFile), sqlstore.SQLiteOptions{})
	if err != nil {
		return res, err
	}
	defer st.Close()
	// SQLite's VACUUM INTO writes by path: into a locked temporary in the
	// data dir (where the data already is, under the same protection),
	// unlinked the moment it is complete and read through its descriptor.
	snap, err := createNamed(opt.DataDir, tempPrefix+"*.db")
	if err != nil {
		return res, err
	}
	unlinkSnap := func() {
		if snap.name != "" {
			for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
				os.Remove(snap.name + suffix)
			}
			snap.name = ""
		}
	}
	defer snap.discard()
	defer unlinkSnap() // a failed VACUUM INTO may leave its companions too
	if err := st.BackupTo(ctx, snap.name); err != nil {
		return res, err
	}
	opt.pause("snapshot")
	unlinkSnap()

	out, err := createAnon(destDir)
	if err != nil {
		return res, err
	}
	defer out.discard()
	gz := gzip.NewWriter(out)
	tw := tar.NewWriter(gz)
	addBytes := func(name string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: time.Now(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	addFile := func(f *os.File, name string) error {
		info, err := f.Stat()
		if err != nil {
			return err
		}
		hdr, _ := tar.FileInfoHeader(info, "")
		hdr.Name = name
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		return err
	}
	if sealedKeys != nil {
		if err := addBytes(SealedKeysEntry, sealedKeys); err != nil {
			return res, err
		}
	}
	if _, err := snap.Seek(0, io.SeekStart); err != nil {
		return res, err
	}
	if err := addFile(snap.File, DBFile); err != nil {
		return res, err
	}
	snap.Close()
	opt.pause("archive")
	files := filepath.Join(opt.DataDir, "files")
	err = filepath.WalkDir(files, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".upload-") {
			return err
		}
		rel, _ := filepath.Rel(opt.DataDir, path)
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		res.Files++
		return addFile(f, filepath.ToSlash(rel))
	})
	if err != nil {
		return res, err
	}
	if err := tw.Close(); err != nil {
		return res, err
	}
	if err := gz.Close(); err != nil {
		return res, err
	}
	return res, out.link(opt.To)
}

// RestoreOptions says what to restore and how to open the key ring.
type RestoreOptions struct {
	From    string // the backup
	DataDir string // must be empty or absent
	// Passphrase opens the backup's sealed key ring, which is written to
	// DataDir/pii.keys.
	Passphrase []byte
	// PIIKeys is a key file to check the data with instead (a backup made
	// --without-keys); it is not copied: serve with --pii-keys FILE.
	PIIKeys string
}

// RestoreResult says what a restore found.
type RestoreResult struct {
	// KeyFile is where the ring that opens the data is ("" when the data
	// holds no sealed value and no ring came with it).
	KeyFile string
	// Checked is how many sealed values the check opened.
	Checked int
	Files   int
}

// Restore unpacks a backup into an empty data dir, checks the database,
// and opens a sample of its sealed personal data with the key ring (the
// backup's, opened with the passphrase, or the key file given): a restore
// that would give a server unable to read its cases fails, and leaves
// nothing in the data dir.
func Restore(ctx context.Context, opt RestoreOptions) (res RestoreResult, err error) {
	dataDir := opt.DataDir
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return res, fmt.Errorf("restore: %s is not empty", dataDir)
	}
	_, statErr := os.Stat(dataDir)
	created := errors.Is(statErr, fs.ErrNotExist)
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return res, err
	}
	defer func() {
		if err == nil {
			return
		}
		// The directory was empty: whatever is in it now is this restore's.
		entries, _ := os.ReadDir(dataDir)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(dataDir, e.Name()))
		}
		if created {
			os.Remove(dataDir)
		}
	}()
	var ring *pii.Ring
	if opt.PIIKeys != "" {
		b, err := os.ReadFile(opt.PIIKeys)
		if err != nil {
			return res, fmt.Errorf("restore: personal-data keys: %w", err)
		}
		if ring, err = pii.ParseKeys(string(b)); err != nil {
			return res, fmt.Errorf("restore: %s: %w", opt.PIIKeys, err)
		}
		res.KeyFile = opt.PIIKeys
	}
	f, err := os.Open(opt.From)
	if err != nil {
		return res, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return res, fmt.Errorf("restore: %s is not a yiwang backup: %w", opt.From, err)
	}
	tr := tar.NewReader(gz)
	sawDB, sawKeys := false, false
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, err
		}
		name := filepath.Clean(filepath.FromSlash(hdr.Name))
		if hdr.Typeflag == tar.TypeReg && name == SealedKeysEntry {
			sawKeys = true
			if ring != nil {
				continue // the key file given wins
			}
			if len(opt.Passphrase) == 0 {
				return res, errors.New("restore: the backup's personal-data key ring is sealed; give its passphrase (--passphrase-file FILE or YIWANG_BACKUP_PASSPHRASE), or the key file (--pii-keys FILE)")
			}
			sealed, err := io.ReadAll(io.LimitReader(tr, 1<<20))
			if err != nil {
				return res, err
			}
			keys, err := pii.OpenWithPassphrase(sealed, opt.Passphrase)
			if err != nil {
				return res, fmt.Errorf("restore: %w", err)
			}
			if ring, err = pii.ParseKeys(string(keys)); err != nil {
				return res, fmt.Errorf("restore: the sealed key ring: %w", err)
			}
			res.KeyFile = filepath.Join(dataDir, PIIKeyFile)
			if err := writeSynced(res.KeyFile, keys, 0o600); err != nil {
				return res, err
			}
			continue
		}
		if hdr.Typeflag != tar.TypeReg || filepath.IsAbs(name) || strings.HasPrefix(name, "..") || (name != DBFile && !strings.HasPrefix(name, "files"+string(filepath.Separator))) {
			return res, fmt.Errorf("restore: unexpected entry %q in backup", hdr.Name)
		}
		dst := filepath.Join(dataDir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return res, err
		}
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
		if err != nil {
			return res, err
		}
		if _, err := io.Copy(out, io.LimitReader(tr, hdr.Size)); err != nil {
			out.Close()
			return res, err
		}
		if err := out.Sync(); err != nil {
			out.Close()
			return res, err
		}
		out.Close()
		if name == DBFile {
			sawDB = true
		} else {
			res.Files++
		}
	}
	if !sawDB {
		return res, errors.New("restore: the backup holds no database")
	}
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dataDir, DBFile), sqlstore.SQLiteOptions{})
	if err != nil {
		return res, err
	}
	defer st.Close()
	if err := st.IntegrityCheck(ctx); err != nil {
		return res, err
	}
	st.SetPII(ring)
	chk, err := st.CheckSealed(ctx, restoreSample, true)
	if err != nil {
		return res, err
	}
	res.Checked = chk.Checked
	if !chk.OK() {
		if ring == nil && !sawKeys {
			return res, fmt.Errorf("restore: the backup holds no key ring (made with --without-keys) and its personal data is sealed with key %s: give the key file of the server it came from (--pii-keys FILE)", strings.Join(chk.KeyIDs, ", "))
		}
		where := "the backup's key ring"
		if opt.PIIKeys != "" {
			where = opt.PIIKeys
		}
		return res, fmt.Errorf("restore: %w", chk.Err(where))
	}
	if ring == nil {
		res.KeyFile = ""
	}
	return res, nil
}

// restoreSample is how many sealed cases (and timeline entries) from each
// end of the tables a restore opens.
const restoreSample = 1000

func writeSynced(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
