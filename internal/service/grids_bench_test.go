package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// bigDistrict is a synthetic county of n×n grids of ~100 m (10,000 for
// n = 100): 10 streets of 20 communities of 50 grids, on a jittered mesh
// whose neighbours share vertices exactly.
func bigDistrict(n int) store.Reference {
	rng := rand.New(rand.NewPCG(7, 7))
	const lat0, lng0 = 27.70, 111.95
	ky := 111_000.0
	kx := ky * math.Cos(lat0*math.Pi/180)
	corner := make([][]orb.Point, n+1)
	for i := range corner {
		corner[i] = make([]orb.Point, n+1)
		for j := range corner[i] {
			jx, jy := 0.0, 0.0
			if i > 0 && i < n {
				jx = (rng.Float64() - 0.5) * 0.3
			}
			if j > 0 && j < n {
				jy = (rng.Float64() - 0.5) * 0.3
			}
			corner[i][j] = orb.Point{
				math.Round((lng0+(float64(i)+jx)*100/kx)*1e7) / 1e7,
				math.Round((lat0+(float64(j)+jy)*100/ky)*1e7) / 1e7,
			}
		}
	}
	ref := store.Reference{Org: []model.OrgUnit{{ID: 1, Kind: model.OrgDistrict, Code: "431302", Name: "娄星区"}}}
	next := int64(2)
	commID := map[int]int64{}
	streetID := map[int]int64{}
	cols := n / 10
	for j := range n {
		for i := range n {
			comm := i/10 + cols*(j/5)
			street := comm / 20
			if _, ok := streetID[street]; !ok {
				streetID[street] = next
				ref.Org = append(ref.Org, model.OrgUnit{ID: next, ParentID: 1, Kind: model.OrgStreet, Code: fmt.Sprintf("%03d", street+1), Name: fmt.Sprintf("第%d街道", street+1)})
				next++
			}
			if _, ok := commID[comm]; !ok {
				commID[comm] = next
				ref.Org = append(ref.Org, model.OrgUnit{ID: next, ParentID: streetID[street], Kind: model.OrgCommunity, Code: fmt.Sprintf("%03d", comm%20+1), Name: fmt.Sprintf("第%d社区", comm+1)})
				next++
			}
		}
	}
	for j := range n {
		for i := range n {
			comm := i/10 + cols*(j/5)
			street := comm / 20
			code := model.GridCode{Admin: "431302", Street: fmt.Sprintf("%03d", street+1), Community: fmt.Sprintf("%03d", comm%20+1), Seq: fmt.Sprintf("%02d", i%10+10*(j%5)+1)}
			ring := orb.Ring{corner[i][j], corner[i+1][j], corner[i+1][j+1], corner[i][j+1], corner[i][j]}
			b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": orb.Polygon{ring}})
			ref.Org = append(ref.Org, model.OrgUnit{ID: next, ParentID: commID[comm], Kind: model.OrgGrid, Code: code.String(), Name: "网格" + code.String()})
			ref.Grids = append(ref.Grids, model.Grid{OrgID: next, Code: code, Name: "网格" + code.String(), CommunityID: commID[comm], StreetID: streetID[street],
				Geometry: string(b), AreaM2: geo.AreaM2(orb.MultiPolygon{{ring}})})
			next++
		}
	}
	return ref
}

func bigService(b *testing.B, n int) (*service.Service, store.Store) {
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(b.TempDir(), "big.db"), sqlstore.SQLiteOptions{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.LoadReference(ctx, bigDistrict(n)); err != nil {
		b.Fatal(err)
	}
	wf, _ := workflow.Default()
	svc, err := service.New(ctx, service.Deps{Store: st, Workflows: wf})
	if err != nil {
		b.Fatal(err)
	}
	return svc, st
}

// BenchmarkReload10k rebuilds the whole routing snapshot of 10,000 grids
// from the store (read, parse, index, swap), as every import does.
func BenchmarkReload10k(b *testing.B) {
	svc, _ := bigService(b, 100)
	if n := len(svc.Ref().Grids); n != 10000 {
		b.Fatalf("%d grids", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := svc.Reload(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func exportAll(svc *service.Service) []feature {
	ref := svc.Ref()
	out := make([]feature, 0, len(ref.GridList))
	for _, g := range ref.GridList {
		out = append(out, gridFeature(g, ref))
	}
	return out
}

// BenchmarkImport10k imports a file of 10,000 grids: "unchanged" is the
// whole validation (geometry, codes, overlaps, gaps per community) and the
// diff; "one-change" adds the write transaction and the snapshot rebuild.
func BenchmarkImport10k(b *testing.B) {
	svc, _ := bigService(b, 100)
	fs := exportAll(svc)
	data := collection(fs)
	b.Run("unchanged", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rep, err := svc.ImportGrids(context.Background(), admin, data, service.GridImportOptions{})
			if err != nil || rep.Status != service.ImportUnchanged {
				b.Fatalf("%v %s", err, rep.Text("en"))
			}
		}
	})
	i := 0 // shared by repeated runs (-count), so every import changes a name
	b.Run("one-change", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			i++
			fs[123].Properties["name"] = fmt.Sprintf("改名%d", i)
			rep, err := svc.ImportGrids(context.Background(), admin, collection(fs), service.GridImportOptions{})
			if err != nil || rep.Status != service.ImportImported || rep.Updated != 1 {
				b.Fatalf("%v %s", err, rep.Text("en"))
			}
		}
	})
}
