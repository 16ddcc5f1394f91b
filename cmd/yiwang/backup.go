package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/yiwang-gov/yiwang/internal/app"
)

// passphrase reads the backup passphrase from a file (its first line) or
// from YIWANG_BACKUP_PASSPHRASE; nil when neither is given. A flag with
// the passphrase itself would leave it in the shell history and in ps.
func passphrase(file string) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		line, _, _ := bytes.Cut(b, []byte("\n"))
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			return nil, fmt.Errorf("%s: the passphrase file is empty", file)
		}
		return line, nil
	}
	if v := os.Getenv("YIWANG_BACKUP_PASSPHRASE"); v != "" {
		return []byte(v), nil
	}
	return nil, nil
}

// yiwang backup and restore work on the SQLite data dir. Given a
// PostgreSQL deployment (--db or YIWANG_DB) they refuse, rather than back
// up or restore a SQLite file that holds nothing of the county.
var (
	errPostgresBackup  = errors.New("backup of a PostgreSQL deployment: use pg_dump, and keep the key file (--pii-keys) and the attachments directory (--files) with it; see README")
	errPostgresRestore = errors.New("restore of a PostgreSQL deployment: use pg_restore into an empty database, then start the servers with the same key file; see README")
)

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("YIWANG_DATA", "./yiwang-data"), "data directory (YIWANG_DATA)")
	to := fs.String("to", "", "backup file to write (.tar.gz); must not exist")
	keys := fs.String("pii-keys", env("YIWANG_PII_KEYS", ""), "the server's key file when kept outside the data dir (YIWANG_PII_KEYS); default DATA/pii.keys")
	passFile := fs.String("passphrase-file", "", "file whose first line is the passphrase sealing the key ring into the backup (else YIWANG_BACKUP_PASSPHRASE)")
	without := fs.Bool("without-keys", false, "back up without the key ring (restore will need the key file)")
	dbURL := fs.String("db", env("YIWANG_DB", ""), "refused: a PostgreSQL deployment is backed up with pg_dump (YIWANG_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dbURL != "" {
		return errPostgresBackup
	}
	if *to == "" {
		return errors.New("usage: yiwang backup --data DIR --to FILE.tar.gz (--passphrase-file F | --without-keys) [--pii-keys FILE]")
	}
	pass, err := passphrase(*passFile)
	if err != nil {
		return err
	}
	res, err := app.Backup(ctx, app.BackupOptions{DataDir: *data, To: *to, PIIKeys: *keys, Passphrase: pass, WithoutKeys: *without})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s (%d attachment files)\n", *data, *to, res.Files)
	if res.KeysSealed {
		fmt.Fprintln(stdout, "the personal-data key ring is in it, sealed under the passphrase; restore needs the passphrase")
	} else {
		fmt.Fprintln(stdout, "the personal-data key ring is NOT in this backup: restore will need the key file (yiwang restore --pii-keys FILE); keep a copy of it apart from the backups")
	}
	return nil
}

func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("YIWANG_DATA", "./yiwang-data"), "empty data directory to restore into (YIWANG_DATA)")
	from := fs.String("from", "", "backup file written by yiwang backup")
	passFile := fs.String("passphrase-file", "", "file whose first line is the passphrase of the backup's sealed key ring (else YIWANG_BACKUP_PASSPHRASE)")
	keys := fs.String("pii-keys", "", "key file to read the data with instead of the backup's ring (a backup made --without-keys)")
	dbURL := fs.String("db", env("YIWANG_DB", ""), "refused: a PostgreSQL deployment is restored with pg_restore (YIWANG_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dbURL != "" {
		return errPostgresRestore
	}
	if *from == "" {
		return errors.New("usage: yiwang restore --from FILE.tar.gz --data DIR [--passphrase-file F | --pii-keys FILE]")
	}
	pass, err := passphrase(*passFile)
	if err != nil {
		return err
	}
	res, err := app.Restore(ctx, app.RestoreOptions{From: *from, DataDir: *data, Passphrase: pass, PIIKeys: *keys})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s (%d attachment files); integrity check passed; %d sealed personal values opened\n", *from, *data, res.Files, res.Checked)
	switch {
	case res.KeyFile == "":
		fmt.Fprintln(stdout, "the data holds no sealed personal value; the server makes a key at its first start")
	case *keys != "":
		fmt.Fprintf(stdout, "the data opens with %s: start the server with --pii-keys %s\n", res.KeyFile, res.KeyFile)
	default:
		fmt.Fprintf(stdout, "key ring restored to %s; move it and pass --pii-keys if the server keeps it elsewhere\n", res.KeyFile)
	}
	return nil
}
