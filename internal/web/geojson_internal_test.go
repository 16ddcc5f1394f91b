package web

import (
	"bytes"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// TestGridsCachePerWeb: the district's grid GeoJSON is encoded once per
// reference snapshot and cached in the Web that serves it, so two servers
// in one process keep their own grids: serving the second does not evict
// the first's (a process-wide cache would re-encode on every alternation),
// and a new snapshot of the same server is encoded afresh.
func TestGridsCachePerWeb(t *testing.T) {
	ref := func(name string) *service.Reference {
		return &service.Reference{
			Org:      map[int64]model.OrgUnit{2: {ID: 2, Name: name + "社区"}},
			GridList: []model.Grid{{OrgID: 7, Name: name, CommunityID: 2, Geometry: `{"type":"Polygon","coordinates":[]}`}},
		}
	}
	a, b := &Web{}, &Web{}
	refA, refB := ref("甲网格"), ref("乙网格")
	bodyA, err := a.grids.of(refA)
	if err != nil {
		t.Fatal(err)
	}
	bodyB, err := b.grids.of(refB)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bodyA), "甲网格") || !strings.Contains(string(bodyB), "乙网格") || strings.Contains(string(bodyA), "乙网格") {
		t.Fatalf("bodies:\nA %s\nB %s", bodyA, bodyB)
	}
	// Same snapshot again: the cached encoding (the same bytes in memory),
	// although the other server was asked in between.
	if again, _ := a.grids.of(refA); &again[0] != &bodyA[0] {
		t.Errorf("server A re-encoded its grids after server B served its own")
	}
	// A new snapshot (a grid import) is encoded afresh.
	refA2 := ref("甲网格（调整）")
	if next, _ := a.grids.of(refA2); bytes.Equal(next, bodyA) || !strings.Contains(string(next), "（调整）") {
		t.Errorf("a new snapshot served the old grids: %s", next)
	}
}
