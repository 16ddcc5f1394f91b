package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/yiwang-gov/yiwang/internal/app"
)

// cmdKeys: `yiwang keys rotate` adds a personal-data key to the ring and
// re-seals every reporter field with it.
func cmdKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New("usage: yiwang keys rotate (--data DIR | --db postgres://…) --id NEWID [--pii-keys FILE] [--crypto gm]")
	}
	fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, true)
	crypto := fs.String("crypto", env("YIWANG_CRYPTO", ""), "\"gm\" makes the new key SM4")
	id := fs.String("id", "", "id of the new key (short, unique)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := sf.needExisting(); err != nil {
		return err
	}
	cfg := sf.config(stderr)
	cfg.Crypto = *crypto
	if err := app.RotatePIIKey(cfg, *id); err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	db, ok := a.SQL()
	if !ok {
		return errors.New("no SQL store")
	}
	n, err := db.ResealPII(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key %s added; %d cases re-sealed with it\n", *id, n)
	// A server reads its ring once, at start: until it restarts with the
	// new file it cannot open what was re-sealed.
	where := cfg.PIIKeys
	if where == "" {
		where = filepath.Join(cfg.DataDir, app.PIIKeyFile)
	}
	fmt.Fprintf(stdout, "restart every server with %s now (on several nodes: copy it to each first); until then they cannot open the re-sealed cases\n", where)
	return nil
}
