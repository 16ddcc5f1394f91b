package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/i18n"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

const geoUsage = `usage:
  yiwang grids import --data DIR [--db URL] [--dry-run] [--retire-missing] [--allow-gaps] [--lang en] FILE.geojson
        import unit grids (FeatureCollection of Polygon/MultiPolygon, properties code, name, community, street);
        every problem is reported per feature and an invalid file writes nothing
  yiwang grids export --data DIR [--db URL] [--out FILE]
        write the grids as GeoJSON (what grids import reads back unchanged)
  yiwang components import --data DIR [--db URL] [--coord wgs84|gcj02|bd09] [--replace] [--dry-run] FILE.geojson
        import components (部件): Point features with properties code (16 digits), name, owner, maintainer
  yiwang addresses import --data DIR [--db URL] [--coord wgs84|gcj02|bd09] [--replace] [--dry-run] FILE.geojson
        import the address register (地址库): Point features with properties address, alias

A server running on the same data reloads the change by itself when it runs the reference watcher;
otherwise restart it.
`

// cliAdmin is the actor of command-line imports: an administrator without
// an account (the operating-system user is accountable).
var cliAdmin = model.User{Role: model.RoleAdmin, Username: "cli", DisplayName: "命令行"}

// cmdGeo runs "grids", "components" and "addresses" subcommands.
func cmdGeo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 || args[1] == "help" || args[1] == "-h" || args[1] == "--help" {
		fmt.Fprint(stdout, geoUsage)
		if len(args) < 2 {
			return errors.New("a subcommand is required")
		}
		return nil
	}
	what, verb := args[0], args[1]
	fs := flag.NewFlagSet(what+" "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, false)
	dry := fs.Bool("dry-run", false, "validate and report, write nothing")
	retire := fs.Bool("retire-missing", false, "grids: take grids that are not in the file out of routing")
	gaps := fs.Bool("allow-gaps", false, "grids: report gaps inside a community as warnings, not errors")
	replace := fs.Bool("replace", false, "components, addresses: remove those not in the file")
	coord := fs.String("coord", "wgs84", "components, addresses: coordinate system of the file's points")
	lang := fs.String("lang", "zh-CN", "language of the report: zh-CN or en")
	out := fs.String("out", "", "export: file to write (default standard output)")
	// Flags may come before and after the file name.
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	var file string
	if fs.NArg() > 0 {
		file = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected arguments %v", fs.Args())
		}
	}
	switch {
	case what == "grids" && verb == "export":
		return geoExport(ctx, sf, *out, stdout, stderr)
	case verb != "import":
		return fmt.Errorf("unknown subcommand %q\n\n%s", what+" "+verb, geoUsage)
	case file == "":
		return fmt.Errorf("%s import: a FILE.geojson is required", what)
	}
	sys, err := geo.ParseCoordSys(*coord)
	if err != nil {
		return err
	}
	body, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	a, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	var rep *service.ImportReport
	switch what {
	case "grids":
		rep, err = a.Service.ImportGrids(ctx, cliAdmin, body, service.GridImportOptions{DryRun: *dry, RetireMissing: *retire, AllowGaps: *gaps, Source: file})
	case "components":
		rep, err = a.Service.ImportComponents(ctx, cliAdmin, body, service.ComponentImportOptions{DryRun: *dry, Replace: *replace, Coord: sys})
	case "addresses":
		rep, err = a.Service.ImportAddresses(ctx, cliAdmin, body, service.AddressImportOptions{DryRun: *dry, Replace: *replace, Coord: sys})
	default:
		return fmt.Errorf("unknown command %q", what)
	}
	if err != nil {
		return err
	}
	rep.Localize(cat)
	fmt.Fprint(stdout, rep.Text(*lang))
	if rep.Status == service.ImportInvalid {
		return fmt.Errorf("%s: %d errors, nothing written", file, rep.Errors)
	}
	return nil
}

// geoExport writes the grids as the API's GET /api/v1/grids does.
func geoExport(ctx context.Context, sf *storeFlags, out string, stdout, stderr io.Writer) error {
	a, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	ref := a.Service.Ref()
	type feature struct {
		Type       string          `json:"type"`
		ID         int64           `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	for _, g := range ref.GridList {
		fc.Features = append(fc.Features, feature{Type: "Feature", ID: g.OrgID, Geometry: json.RawMessage(g.Geometry), Properties: map[string]any{
			"code": g.Code.String(), "name": g.Name, "community": ref.OrgName(g.CommunityID), "street": ref.OrgName(g.StreetID),
		}})
	}
	w := stdout
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(fc)
}
