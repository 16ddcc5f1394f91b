package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// TestAPIKeyCommand creates, lists and revokes keys with the CLI while the
// "server" (an open app) runs on the same data dir, and checks the server
// sees each change at once.
func TestAPIKeyCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := app.Open(ctx, app.Config{DataDir: dir, Demo: true, DemoCases: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"apikey"}, args...), &out, &errb)
		return out.String(), errb.String(), code
	}
	out, stderr, code := cli("create", "--data", dir, "--name", "娄星随手拍小程序", "--jurisdiction", srv.Service.Ref().Root.Code, "--rate", "30")
	if code != 0 {
		t.Fatalf("create: %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	words := strings.Fields(lines[len(lines)-1])
	key := words[len(words)-1]
	if !strings.HasPrefix(key, service.APIKeyPrefix) {
		t.Fatalf("last word %q is not a key:\n%s", key, out)
	}
	k, err := srv.Service.CheckAPIKey(ctx, key)
	if err != nil || k.Name != "娄星随手拍小程序" || k.RatePerMinute != 30 || k.Jurisdiction != srv.Service.Ref().Root.Code || k.Scope != "public" {
		t.Fatalf("server sees %+v, %v", k, err)
	}
	if k.Hash == key || strings.Contains(k.Hash, key) {
		t.Fatal("the key itself is stored")
	}
	out, _, code = cli("list", "--data", dir)
	if code != 0 || !strings.Contains(out, "娄星随手拍小程序") || strings.Contains(out, key) {
		t.Fatalf("list: %d %s", code, out)
	}
	if _, stderr, code := cli("create", "--data", dir, "--name", "x", "--jurisdiction", "999"); code == 0 || !strings.Contains(stderr, "jurisdiction") {
		t.Fatalf("unknown jurisdiction accepted: %s", stderr)
	}
	// --scope staff: the key reads Open311 exactly and unmasked; another
	// scope is refused on its field.
	out, stderr, code = cli("create", "--data", dir, "--name", "内部系统", "--scope", "staff")
	words = strings.Fields(out)
	if code != 0 || !strings.Contains(out, "staff scope") {
		t.Fatalf("create --scope staff: %d %s %s", code, out, stderr)
	}
	if sk, err := srv.Service.CheckAPIKey(ctx, words[len(words)-1]); err != nil || sk.Scope != "staff" {
		t.Fatalf("staff key %+v, %v", sk, err)
	}
	if out, _, _ := cli("list", "--data", dir); !strings.Contains(out, "scope=staff") || !strings.Contains(out, "scope=public") {
		t.Errorf("list does not show scopes: %s", out)
	}
	if _, stderr, code := cli("create", "--data", dir, "--name", "x", "--scope", "root"); code == 0 || !strings.Contains(stderr, "scope") {
		t.Fatalf("unknown scope accepted: %s", stderr)
	}
	if _, _, code := cli("revoke", "--data", dir, "12345"); code == 0 {
		t.Fatal("revoking an unknown key succeeded")
	}
	if out, stderr, code := cli("revoke", "--data", dir, k.Prefix); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %d %s %s", code, out, stderr)
	}
	if _, err := srv.Service.CheckAPIKey(ctx, key); !errors.Is(err, service.ErrKeyRevoked) {
		t.Fatalf("after revoke: %v", err)
	}
}
