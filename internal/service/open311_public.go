package service

// What Open311 shows to whom. Anyone may read GET requests without a key,
// so an anonymous reader (or a key with the public scope) sees only what
// staff accepted, with the citizen's words masked (internal/mask), the
// address cut down to its road and the point moved to the centre of a
// grid cell of PublicPrecisionM metres. A key with the staff scope sees
// every case of a public category, exact and as typed: the behaviour the
// API had before, kept for the integrations that were built on it.

import (
	"context"
	"math"
	"slices"

	"github.com/yiwang-gov/yiwang/internal/mask"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// DefaultPublicPrecisionM is the size of the grid cells public points snap
// to unless configured (--public-precision-m).
const DefaultPublicPrecisionM = 50

// MaxPublicPrecisionM bounds the configured cell size (10 km).
const MaxPublicPrecisionM = 10000

// StateCancelled is the end state of a withdrawn case in the workflows.
const StateCancelled model.State = "cancelled"

// unpublished are the end states a case never shows in publicly: refused
// (不予受理), withdrawn, or folded into another case (whose master shows).
var unpublished = []model.State{model.StateRejected, StateCancelled, model.StateMerged}

// Open311Reader is who reads the Open311 output.
type Open311Reader struct {
	// Staff is a key with the staff scope: every case of a public
	// category, exact coordinates, text as typed.
	Staff bool
}

// Open311ReaderOf is the reader a checked key makes (the zero key:
// anonymous).
func Open311ReaderOf(k store.APIKey) Open311Reader {
	return Open311Reader{Staff: k.ID != 0 && k.Scope == store.KeyScopeStaff}
}

// open311Staff reads as before: for the service's own checks (does the
// case a token or an update names exist), never for output.
var open311Staff = Open311Reader{Staff: true}

// PublishedStates lists, by public case type, the states in which a case
// has been accepted by staff and may be shown to anyone: every state of
// the type's definitions but their initial ones (上报/待受理: nobody has
// looked at it yet) and the unpublished end states.
func (s *Service) PublishedStates() map[string][]model.State {
	public := s.PublicTypes()
	initial := map[string][]model.State{}
	for _, d := range s.workflows.All() {
		initial[d.Type] = append(initial[d.Type], model.State(d.Initial))
	}
	out := map[string][]model.State{}
	for _, d := range s.workflows.All() {
		if !slices.Contains(public, d.Type) {
			continue
		}
		if _, ok := out[d.Type]; !ok {
			out[d.Type] = []model.State{}
		}
		for _, st := range d.States {
			name := model.State(st.Name)
			if slices.Contains(initial[d.Type], name) || slices.Contains(unpublished, name) || slices.Contains(out[d.Type], name) {
				continue
			}
			out[d.Type] = append(out[d.Type], name)
		}
	}
	for t := range out {
		slices.Sort(out[t])
	}
	return out
}

// PublicPrecisionM is the grid cell size public points snap to.
func (s *Service) PublicPrecisionM() float64 { return s.publicPrecisionM }

// PublicCase is a case as an anonymous reader sees it: description masked,
// address down to its road and masked, point snapped to the public grid,
// no reporter at all.
func (s *Service) PublicCase(c model.Case) model.Case {
	c.Description = mask.Text(c.Description)
	c.Address = mask.Address(c.Address)
	if c.Lat != 0 || c.Lng != 0 {
		c.Lat, c.Lng = CoarsenPoint(c.Lat, c.Lng, s.publicPrecisionM)
	}
	c.Reporter = model.Reporter{}
	c.Receipt = ""
	c.Fields = nil
	return c
}

// PublicText masks free text for an anonymous reader (notes, answers).
func PublicText(s string) string { return mask.Text(s) }

// metresPerDegree is the length of a degree of latitude (and of longitude
// at the equator) on the WGS-84 mean sphere, to the metre.
const metresPerDegree = 111320.0

// CoarsenPoint moves a WGS-84 point to the centre of its cell in a grid
// of cells cellM metres on a side: rows of cellM/111320 degrees of
// latitude, each row cut into cells of cellM metres of longitude at the
// row's centre latitude. Every point of a cell maps to the same centre,
// so the published point says which cell the case is in and nothing
// finer; the centre is at most cellM·√2/2 (0.71 cellM) from the true
// point. cellM <= 0 returns the point unchanged.
func CoarsenPoint(lat, lng, cellM float64) (float64, float64) {
	if cellM <= 0 {
		return lat, lng
	}
	dLat := cellM / metresPerDegree
	clat := (math.Floor(lat/dLat) + 0.5) * dLat
	cos := math.Cos(clat * math.Pi / 180)
	if cos < 1e-6 {
		return clat, 0
	}
	dLng := cellM / (metresPerDegree * cos)
	clng := (math.Floor(lng/dLng) + 0.5) * dLng
	return clat, clng
}

// Open311Timelines returns the timelines of cases for a reader: notes
// masked for an anonymous one, actors' names left out.
func (s *Service) Open311Timelines(ctx context.Context, rd Open311Reader, caseIDs []int64) (map[int64][]model.Event, error) {
	tl, err := s.store.Timelines(ctx, caseIDs)
	if err != nil || rd.Staff {
		return tl, err
	}
	for id, evs := range tl {
		for i := range evs {
			evs[i].Note = mask.Text(evs[i].Note)
			evs[i].ActorName = ""
		}
		tl[id] = evs
	}
	return tl, nil
}
