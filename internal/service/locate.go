package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// GeoConfigKey is the settings row holding the administrator's GeoConfig.
const GeoConfigKey = "geo.config"

// GeoConfig is the county's geography settings, set by an administrator.
// Zero fields take the defaults of DefaultGeoConfig.
type GeoConfig struct {
	// SeqWidth is the number of digits of a unit grid's sequence: 2 in
	// CJ/T 213 practice (14-digit codes), 3 in Beijing (15 digits).
	SeqWidth int `json:"seq_width"`
	// ToleranceM is how far outside every grid a point may fall and still
	// be routed to the nearest grid; 0 keeps the deployment default (30 m).
	ToleranceM float64 `json:"tolerance_m"`
	// GapMinM2: a hole inside a community's grids larger than this is an
	// import error. OverlapMinM2: grids overlapping by more than this are.
	GapMinM2     float64 `json:"gap_min_m2"`
	OverlapMinM2 float64 `json:"overlap_min_m2"`
	// ComponentM is how far a report may be from a component of its
	// category and still be attached to it.
	ComponentM float64 `json:"component_m"`
	// ReverseM is how far reverse address lookup searches.
	ReverseM float64 `json:"reverse_m"`
	// AddressPrefixes are dropped from addresses and queries before fuzzy
	// matching (province and city names callers add or leave out).
	AddressPrefixes []string `json:"address_prefixes,omitempty"`
}

// DefaultGeoConfig returns the defaults.
func DefaultGeoConfig() GeoConfig {
	return GeoConfig{SeqWidth: 2, GapMinM2: 100, OverlapMinM2: geo.OverlapMinM2, ComponentM: 30, ReverseM: 300}
}

func (c GeoConfig) withDefaults() GeoConfig {
	d := DefaultGeoConfig()
	if c.SeqWidth == 0 {
		c.SeqWidth = d.SeqWidth
	}
	if c.GapMinM2 == 0 {
		c.GapMinM2 = d.GapMinM2
	}
	if c.OverlapMinM2 == 0 {
		c.OverlapMinM2 = d.OverlapMinM2
	}
	if c.ComponentM == 0 {
		c.ComponentM = d.ComponentM
	}
	if c.ReverseM == 0 {
		c.ReverseM = d.ReverseM
	}
	return c
}

func (c GeoConfig) validate() error {
	v := &ValidationError{}
	rng := func(field string, x, lo, hi float64) {
		if math.IsNaN(x) || x < lo || x > hi {
			v.add(field, "field.out_of_range", lo, hi)
		}
	}
	if c.SeqWidth != 0 && c.SeqWidth != 2 && c.SeqWidth != 3 {
		v.add("seq_width", "field.seq_width")
	}
	rng("tolerance_m", c.ToleranceM, 0, 500)
	rng("gap_min_m2", c.GapMinM2, 0, 1e7)
	rng("overlap_min_m2", c.OverlapMinM2, 0, 1e6)
	rng("component_m", c.ComponentM, 0, 1000)
	rng("reverse_m", c.ReverseM, 0, 10000)
	if len(c.AddressPrefixes) > 20 {
		v.add("address_prefixes", "field.too_many", 20)
	}
	for _, p := range c.AddressPrefixes {
		if n := utf8.RuneCountInString(strings.TrimSpace(p)); n == 0 || n > 20 {
			v.add("address_prefixes", "field.too_long", 20)
		}
	}
	return v.err()
}

// GeoConfig returns the geography settings in force (defaults filled in;
// ToleranceM is the effective tolerance).
func (s *Service) GeoConfig() GeoConfig {
	c := s.Ref().geo
	if c.ToleranceM == 0 {
		c.ToleranceM = s.toleranceM
	}
	return c
}

// SetGeoConfig stores new geography settings (administrators) and
// rebuilds the snapshot.
func (s *Service) SetGeoConfig(ctx context.Context, actor model.User, c GeoConfig) (GeoConfig, error) {
	if err := requireAdmin(actor); err != nil {
		return c, err
	}
	if err := c.validate(); err != nil {
		return c, err
	}
	for i, p := range c.AddressPrefixes {
		c.AddressPrefixes[i] = strings.TrimSpace(p)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return c, err
	}
	if err := s.store.SetSetting(ctx, GeoConfigKey, string(b)); err != nil {
		return c, err
	}
	if err := s.store.BumpGeoGeneration(ctx); err != nil {
		return c, err
	}
	if err := s.Reload(ctx); err != nil {
		return c, err
	}
	return s.GeoConfig(), nil
}

// loadGeo fills the geography part of a snapshot being built.
func (s *Service) loadGeo(ctx context.Context, ref *Reference) error {
	var cfg GeoConfig
	switch raw, err := s.store.Setting(ctx, GeoConfigKey); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
			s.log.Warn("geo settings unreadable; defaults used", "err", err)
			cfg = GeoConfig{}
		}
	}
	ref.geo = cfg.withDefaults()
	comps, err := s.store.ListComponents(ctx)
	if err != nil {
		return err
	}
	ref.comps = newComponentSet(comps)
	addrs, err := s.store.ListAddresses(ctx)
	if err != nil {
		return err
	}
	ref.addrs = newAddressSet(addrs, ref.addressPrefixes())
	return nil
}

// gridsETag fingerprints the grids (FNV-1a over codes, names and
// geometry) for the export's ETag.
func gridsETag(grids []model.Grid) string {
	h := fnv.New64a()
	for _, g := range grids {
		fmt.Fprintf(h, "%d\x00%s\x00%s\x00%d\x00%d\x00", g.OrgID, g.Code.String(), g.Name, g.CommunityID, g.StreetID)
		h.Write([]byte(g.Geometry))
	}
	return fmt.Sprintf(`"g%016x"`, h.Sum64())
}

// GridsETag is the export's entity tag for this snapshot's grids.
func (r *Reference) GridsETag() string { return r.gridsETag }

// Generation is the store's geography generation the snapshot was built
// from.
func (r *Reference) Generation() int64 { return r.generation }

// Locate places a WGS-84 point: its grid (within the tolerance), community,
// street and the responsible unit, for the category when one is given
// (0: the territorial unit). See Reference.Place.
func (s *Service) Locate(lat, lng float64, categoryID int64) Placement {
	return s.Ref().Place(lat, lng, categoryID, s.toleranceM)
}

// ParsePoint validates a point given in any supported coordinate system
// and returns it in WGS-84. Field names are those of the query (lat, lng,
// coord).
func ParsePoint(latS, lngS, coordS string) (lat, lng float64, sys geo.CoordSys, err error) {
	v := &ValidationError{}
	sys, cerr := geo.ParseCoordSys(coordS)
	if cerr != nil {
		v.add("coord", "field.unknown_coord")
	}
	parse := func(field, s string, lim float64, key string) float64 {
		if strings.TrimSpace(s) == "" {
			v.add(field, "field.required")
			return 0
		}
		var x float64
		if _, err := fmt.Sscan(strings.TrimSpace(s), &x); err != nil || math.IsNaN(x) || x < -lim || x > lim {
			v.add(field, key)
		}
		return x
	}
	lat = parse("lat", latS, 90, "field.lat_range")
	lng = parse("lng", lngS, 180, "field.lng_range")
	if err := v.err(); err != nil {
		return 0, 0, sys, err
	}
	lat, lng = geo.ToWGS84(lat, lng, sys)
	return lat, lng, sys, nil
}

// ReferenceWatchInterval is how often WatchReference polls.
const ReferenceWatchInterval = 5 * time.Second

// WatchReference reloads the snapshot whenever the geography generation
// in the store moves on: a grid import from the command line, or a change
// made through another node sharing the database. It runs until ctx ends.
func (s *Service) WatchReference(ctx context.Context) {
	t := time.NewTicker(ReferenceWatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.ReloadIfChanged(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("reference reload failed", "err", err)
		}
	}
}

// ReloadIfChanged reloads the snapshot if the store's geography
// generation differs from the snapshot's.
func (s *Service) ReloadIfChanged(ctx context.Context) error {
	gen, err := s.store.GeoGeneration(ctx)
	if err != nil {
		return err
	}
	if gen == s.Ref().generation {
		return nil
	}
	return s.Reload(ctx)
}
