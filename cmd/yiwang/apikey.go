package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/service"
)

const apikeyUsage = `usage:
  yiwang apikey create --data DIR --name NAME [--jurisdiction ID] [--rate N] [--scope public|staff]
  yiwang apikey list   --data DIR
  yiwang apikey revoke --data DIR ID|PREFIX
(--db postgres://… instead of --data for a PostgreSQL deployment)`

// cmdAPIKey manages Open311 API keys. It works while the server runs on
// the same data dir (SQLite in WAL mode takes a second writer); the server
// checks keys against the database on every request, so a revocation
// takes effect at once.
func cmdAPIKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(apikeyUsage)
	}
	fs := flag.NewFlagSet("apikey "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, false)
	name := fs.String("name", "", "who the key is for, e.g. the citizen app's name (create)")
	jur := fs.String("jurisdiction", "", "restrict the key to one jurisdiction_id: the district's code or a street's (create)")
	rate := fs.Int("rate", 0, "requests per minute the key may make; 0 means the server's default (create)")
	keyScope := fs.String("scope", "public", "what the key reads from Open311: public (what anyone sees: accepted cases, masked, coarse points) or staff (every case, exact and unmasked) (create)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	open := func() (*app.App, error) { return sf.open(ctx, stderr) }
	switch args[0] {
	case "create":
		a, err := open()
		if err != nil {
			return err
		}
		defer a.Close()
		key, k, err := a.Service.CreateAPIKey(ctx, service.NewAPIKey{Name: *name, Jurisdiction: *jur, RatePerMinute: *rate, Scope: *keyScope})
		var ve *service.ValidationError
		if errors.As(err, &ve) {
			for f, fe := range ve.Fields {
				fmt.Fprintf(stderr, "  %s: %s\n", f, fe.Key)
			}
			return errors.New("api key not created")
		}
		if err != nil {
			return err
		}
		scope := "every jurisdiction"
		if k.Jurisdiction != "" {
			scope = "jurisdiction " + k.Jurisdiction
		}
		fmt.Fprintf(stdout, "api key %d (%s) created for %s, %s scope; it is shown only this once, keep it secret.\n", k.ID, k.Name, scope, k.Scope)
		fmt.Fprintf(stdout, "key: %s\n", key)
		return nil
	case "list":
		a, err := open()
		if err != nil {
			return err
		}
		defer a.Close()
		keys, err := a.Service.ListAPIKeys(ctx)
		if err != nil {
			return err
		}
		for _, k := range keys {
			state := "active"
			if !k.RevokedAt.IsZero() {
				state = "revoked " + k.RevokedAt.Format(time.RFC3339)
			}
			jur := k.Jurisdiction
			if jur == "" {
				jur = "*"
			}
			fmt.Fprintf(stdout, "%d\t%s…\t%s\tjurisdiction=%s\trate=%d/min\tscope=%s\tcreated %s\t%s\n", k.ID, k.Prefix, k.Name, jur, k.RatePerMinute, k.Scope, k.CreatedAt.Format(time.RFC3339), state)
		}
		return nil
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New(apikeyUsage)
		}
		a, err := open()
		if err != nil {
			return err
		}
		defer a.Close()
		k, err := a.Service.RevokeAPIKey(ctx, fs.Arg(0))
		switch {
		case errors.Is(err, service.ErrNotFound):
			return fmt.Errorf("no api key %q", fs.Arg(0))
		case errors.Is(err, service.ErrConflict):
			return fmt.Errorf("%q matches more than one key; give the id", fs.Arg(0))
		case err != nil:
			return err
		}
		fmt.Fprintf(stdout, "api key %d (%s) revoked\n", k.ID, k.Name)
		return nil
	}
	return errors.New(apikeyUsage)
}
