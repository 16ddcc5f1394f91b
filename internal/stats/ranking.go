package stats

import (
	"cmp"
	"slices"
)

// Entity is one unit, street or other group with its counts.
type Entity struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Counts Counts `json:"-"`
}

// Ranked is an entity's place in a ranking (红黑榜).
type Ranked struct {
	Rank         int      `json:"rank,omitempty"` // 1 = best; 0 when not ranked
	ID           int64    `json:"id"`
	Name         string   `json:"name"`
	Score        *float64 `json:"score"` // composite 三率 score
	Response     Rate     `json:"response_rate"`
	Resolution   Rate     `json:"resolution_rate"`
	Satisfaction Rate     `json:"satisfaction_rate"`
	ClosureRate  Rate     `json:"closure_rate"`
	OnTimeRate   Rate     `json:"on_time_rate"`
	Dispatched   int64    `json:"dispatched"`
	Closed       int64    `json:"closed_in_period"`
	// Sample is the number of cases the score rests on; below the minimum
	// an entity is listed but not ranked.
	Sample int64 `json:"sample"`
}

// Ranking is a 红黑榜: every entity ranked by composite score, the top
// (红榜) and the bottom (黑榜, worst first), and those with too few cases.
type Ranking struct {
	Weights   Weights  `json:"weights"`
	MinSample int64    `json:"min_sample"`
	All       []Ranked `json:"all"`
	Red       []Ranked `json:"red"`
	Black     []Ranked `json:"black"`
	Unranked  []Ranked `json:"unranked"`
}

// Rank ranks entities by composite score (descending), then 按期结案率,
// then cases closed, then id. Equal keys share a rank (1, 2, 2, 4). An
// entity needs at least minSample cases dispatched or closed in the range
// and a defined score to be ranked. Red holds the best topN, Black the
// worst topN (worst first), never overlapping.
func Rank(ents []Entity, w Weights, minSample int64, topN int) Ranking {
	out := Ranking{Weights: w, MinSample: minSample, All: []Ranked{}, Red: []Ranked{}, Black: []Ranked{}, Unranked: []Ranked{}}
	var ranked []Ranked
	for _, e := range ents {
		m := Measure(e.Counts, w)
		r := Ranked{ID: e.ID, Name: e.Name, Score: m.Composite, Response: m.ResponseRate, Resolution: m.ResolutionRate,
			Satisfaction: m.SatisfactionRate, ClosureRate: m.ClosureRate, OnTimeRate: m.OnTimeRate,
			Dispatched: m.Dispatched, Closed: m.ClosedInPeriod, Sample: max(m.Dispatched, m.ClosedInPeriod)}
		if r.Score == nil || r.Sample < minSample {
			out.Unranked = append(out.Unranked, r)
			continue
		}
		ranked = append(ranked, r)
	}
	key := func(a, b Ranked) int {
		if c := cmp.Compare(*b.Score, *a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(b.OnTimeRate.Percent(), a.OnTimeRate.Percent()); c != 0 {
			return c
		}
		return cmp.Compare(b.Closed, a.Closed)
	}
	slices.SortStableFunc(ranked, func(a, b Ranked) int {
		if c := key(a, b); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for i := range ranked {
		if i > 0 && key(ranked[i-1], ranked[i]) == 0 {
			ranked[i].Rank = ranked[i-1].Rank
		} else {
			ranked[i].Rank = i + 1
		}
	}
	slices.SortFunc(out.Unranked, func(a, b Ranked) int { return cmp.Compare(a.ID, b.ID) })
	out.All = append(out.All, ranked...)
	n := min(topN, len(ranked)/2)
	if len(ranked) == 1 {
		n = min(topN, 1)
	}
	out.Red = append(out.Red, ranked[:n]...)
	if len(ranked) > 1 {
		for i := len(ranked) - 1; i >= len(ranked)-n; i-- {
			out.Black = append(out.Black, ranked[i])
		}
	}
	return out
}
