package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
)

// TestGridsCommand exports the grids, imports them back (a no-op), imports
// a change while a "server" runs on the same data dir (which picks it up
// by its generation check), and refuses an invalid file with the problems
// in Chinese or English.
func TestGridsCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := app.Open(ctx, app.Config{DataDir: dir, Demo: true, DemoCases: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := run(ctx, args, &out, &errb)
		return out.String(), errb.String(), code
	}
	file := filepath.Join(t.TempDir(), "grids.geojson")
	if _, stderr, code := cli("grids", "export", "--data", dir, "--out", file); code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string           `json:"type"`
		Features []map[string]any `json:"features"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil || len(fc.Features) != len(srv.Service.Ref().GridList) {
		t.Fatalf("export: %d features, %v", len(fc.Features), err)
	}
	// Flags after the file name work too.
	out, stderr, code := cli("grids", "import", file, "--data", dir)
	if code != 0 || !strings.Contains(out, "unchanged: 0 created, 0 updated, 362 unchanged") {
		t.Fatalf("re-import: %d\n%s%s", code, out, stderr)
	}

	props := fc.Features[7]["properties"].(map[string]any)
	id := int64(fc.Features[7]["id"].(float64))
	props["name"] = "改名后的网格"
	changed, _ := json.Marshal(fc)
	os.WriteFile(file, changed, 0o600)
	gen := srv.Service.Ref().Generation()
	if out, stderr, code := cli("grids", "import", "--data", dir, file); code != 0 || !strings.Contains(out, "imported: 0 created, 1 updated") {
		t.Fatalf("import a change: %d\n%s%s", code, out, stderr)
	}
	if srv.Service.Ref().Generation() != gen {
		t.Fatal("the server's snapshot changed without a reload")
	}
	if err := srv.Service.ReloadIfChanged(ctx); err != nil {
		t.Fatal(err)
	}
	if got := srv.Service.Ref().Grids[id].Name; got != "改名后的网格" {
		t.Fatalf("server sees %q after ReloadIfChanged", got)
	}

	// An invalid file: problems listed, nothing written, exit 1.
	props["code"] = "4313020010019"
	bad, _ := json.Marshal(fc)
	os.WriteFile(file, bad, 0o600)
	out, stderr, code = cli("grids", "import", "--data", dir, file)
	if code != 1 || !strings.Contains(out, "应为 14 位数字") || !strings.Contains(stderr, "nothing written") {
		t.Fatalf("invalid file: %d\n%s%s", code, out, stderr)
	}
	out, _, _ = cli("grids", "import", "--data", dir, "--lang", "en", file)
	if !strings.Contains(out, "must be 14 digits") {
		t.Fatalf("English report:\n%s", out)
	}
	if _, _, code := cli("grids", "import", "--data", dir); code == 0 {
		t.Fatal("import without a file succeeded")
	}

	// Components and addresses.
	comp := filepath.Join(t.TempDir(), "c.geojson")
	os.WriteFile(comp, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[111.99,27.73]},
"properties":{"code":"4313020105888888","name":"命令行路灯","maintainer":"区城市管理局"}}]}`), 0o600)
	if out, stderr, code := cli("components", "import", "--data", dir, "--coord", "gcj02", comp); code != 0 || !strings.Contains(out, "imported: 1 created") {
		t.Fatalf("components: %d\n%s%s", code, out, stderr)
	}
	addr := filepath.Join(t.TempDir(), "a.geojson")
	os.WriteFile(addr, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[111.99,27.73]},
"properties":{"address":"命令行路1号"}}]}`), 0o600)
	if out, stderr, code := cli("addresses", "import", "--data", dir, "--dry-run", addr); code != 0 || !strings.Contains(out, "valid: 1 created") {
		t.Fatalf("addresses: %d\n%s%s", code, out, stderr)
	}
}
