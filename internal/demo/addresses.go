package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// The demo's address register (地址库) and components (部件): invented but
// plausible — door numbers along each street's roads, residential
// compounds and their buildings, schools, clinics and markets in the
// towns; in the villages 组 and house numbers. Every point lies inside the
// grid the address names. Components are the common street furniture of
// the component categories, each maintained by its category's department.

// Road names per urban street (invented, in local style).
var demoRoads = map[string][]string{
	"乐坪街道":  {"乐坪大道", "新星南路", "春园路", "育才路", "光明街", "建设巷"},
	"花山街道":  {"花山路", "湘中大道", "星火路", "东风街", "花溪巷"},
	"长青街道":  {"长青中街", "杏园路", "仙女路", "锦绣路", "书院街", "长乐巷"},
	"大科街道":  {"大科街", "幸福路", "向阳路", "清泉街", "金桂路"},
	"黄泥塘街道": {"吉星路", "新华路", "竹园街", "桃园路"},
	"涟滨街道":  {"涟滨中路", "氐星路", "桥头街", "秀水路", "龙湾路", "凤凰街"},
	"大埠桥街道": {"贤童街", "泰和路", "华新路", "梅苑街"},
}

var compoundSuffixes = []string{"小区", "家园", "花园", "新村", "公寓", "苑"}

var poiKinds = []string{"小学", "中学", "幼儿园", "卫生服务站", "农贸市场", "超市", "社区服务中心", "派出所", "公园", "停车场"}

// demoAddressPrefixes are what callers add before an address.
var demoAddressPrefixes = []string{"湖南省", "湖南", "娄底市", "娄底"}

// Places returns the demo's addresses and components for district d,
// deterministically. Component and address ids are left to the store.
func (d *District) Places() ([]store.Address, []store.Component) {
	rng := rand.New(rand.NewPCG(0x431302, 0xadd5))
	feats := make([]geo.Feature, 0, len(d.Grids))
	mps := map[int64]geo.Feature{}
	for _, g := range d.Grids {
		mp, err := geo.ParseGeometry([]byte(g.Geometry))
		if err != nil {
			continue
		}
		f := geo.Feature{ID: g.OrgID, Geom: mp}
		feats = append(feats, f)
		mps[g.OrgID] = f
	}
	ix := geo.NewIndex(feats)
	// inside returns a random point of grid g (rejection sampling in its
	// bounding box; the demo's grids are convex, so few tries are needed).
	inside := func(g model.Grid) (lat, lng float64, ok bool) {
		b := mps[g.OrgID].Geom.Bound()
		for range 64 {
			lng := b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0])
			lat := b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])
			if id, ok := ix.Locate(lat, lng); ok && id == g.OrgID {
				return lat, lng, true
			}
		}
		return 0, 0, false
	}
	org := map[int64]model.OrgUnit{}
	for _, o := range d.Org {
		org[o.ID] = o
	}
	var addrs []store.Address
	seen := map[string]bool{}
	add := func(g model.Grid, text, alias string) (float64, float64, bool) {
		if seen[text] {
			return 0, 0, false
		}
		lat, lng, ok := inside(g)
		if !ok {
			return 0, 0, false
		}
		seen[text] = true
		addrs = append(addrs, store.Address{Text: text, Alias: alias, Lat: lat, Lng: lng, StreetID: g.StreetID, CommunityID: g.CommunityID, GridID: g.OrgID})
		return lat, lng, true
	}
	roadNo := map[string]int{}
	poiNo := map[string]int{}
	for _, g := range d.Grids {
		street, comm := org[g.StreetID], org[g.CommunityID]
		stem := strings.TrimSuffix(strings.TrimSuffix(comm.Name, "社区"), "村")
		if roads, urban := demoRoads[street.Name]; urban {
			prefix := street.Name + comm.Name
			// Door numbers on two roads of the street.
			for k := range 2 {
				road := roads[(int(g.OrgID)+k*3)%len(roads)]
				for range 3 {
					roadNo[road] += 1 + rng.IntN(4)
					add(g, fmt.Sprintf("%s%s%d号", prefix, road, roadNo[road]), "")
				}
			}
			// A compound with buildings.
			name := stem + compoundSuffixes[int(g.OrgID)%len(compoundSuffixes)]
			if seq := g.Code.Seq; seq != "01" {
				name = stem + []string{"", "一期", "二期", "东区", "西区", "南苑", "北苑", "新苑", "景苑", "雅苑"}[int(g.OrgID)%10] + compoundSuffixes[int(g.OrgID/7)%len(compoundSuffixes)]
			}
			for b := 1; b <= 2+rng.IntN(2); b++ {
				add(g, fmt.Sprintf("%s%s%d栋", prefix, name, b), name)
			}
			if rng.IntN(3) == 0 {
				kind := poiKinds[rng.IntN(len(poiKinds))]
				poiNo[stem+kind]++
				poi := stem + kind
				if poiNo[poi] > 1 {
					poi = fmt.Sprintf("%s%s第%d%s", stem, "", poiNo[poi], kind)
				}
				road := roads[rng.IntN(len(roads))]
				roadNo[road] += 1 + rng.IntN(4)
				add(g, fmt.Sprintf("%s%s%d号%s", prefix, road, roadNo[road], poi), poi)
			}
			continue
		}
		// Villages: 组 and house numbers.
		prefix := street.Name + comm.Name
		seqN := 0
		fmt.Sscan(g.Code.Seq, &seqN)
		for k := range 6 {
			add(g, fmt.Sprintf("%s%d组%d号", prefix, seqN, k*7+1+rng.IntN(7)), "")
		}
		if rng.IntN(4) == 0 {
			add(g, prefix+"村民委员会", comm.Name+"村委会")
		}
	}
	// Components of the component categories, maintained by the
	// category's department.
	var comps []store.Component
	var compCats []model.Category
	for _, c := range d.Categories {
		if c.Kind == model.CategoryComponent && c.ParentID != 0 {
			compCats = append(compCats, c)
		}
	}
	serial := map[string]int{}
	for _, g := range d.Grids {
		if _, urban := demoRoads[org[g.StreetID].Name]; !urban && rng.IntN(3) != 0 {
			continue // fewer components in the villages
		}
		for range 4 + rng.IntN(3) {
			c := compCats[rng.IntN(len(compCats))]
			lat, lng, ok := inside(g)
			if !ok {
				continue
			}
			serial[c.Code]++
			code := fmt.Sprintf("%s%s%06d", AdminCode, c.Code, serial[c.Code])
			maint := c.DefaultUnitID
			if rng.IntN(5) == 0 {
				maint = g.StreetID // some are kept by the street itself
			}
			comps = append(comps, store.Component{
				Code: code, CategoryID: c.ID, Name: fmt.Sprintf("%s%s%04d", org[g.CommunityID].Name, c.Name, serial[c.Code]),
				OwnerUnitID: c.DefaultUnitID, MaintainerUnitID: maint, Lat: lat, Lng: lng, Status: "完好",
			})
		}
	}
	slices.SortFunc(comps, func(a, b store.Component) int { return strings.Compare(a.Code, b.Code) })
	return addrs, comps
}

// loadPlaces writes the demo's address register, components and address
// prefixes.
func loadPlaces(ctx context.Context, st store.Store, d *District, now time.Time) error {
	addrs, comps := d.Places()
	for i := range comps {
		comps[i].UpdatedAt = now
	}
	if err := st.ApplyAddresses(ctx, addrs, nil); err != nil {
		return fmt.Errorf("demo addresses: %w", err)
	}
	if err := st.ApplyComponents(ctx, comps, nil); err != nil {
		return fmt.Errorf("demo components: %w", err)
	}
	cfg := fmt.Sprintf(`{"address_prefixes":["%s"]}`, strings.Join(demoAddressPrefixes, `","`))
	return st.SetSetting(ctx, service.GeoConfigKey, cfg)
}
