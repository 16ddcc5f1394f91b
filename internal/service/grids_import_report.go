package service

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/i18n"
)

// Problem is one finding of an import, with its message in Chinese and
// English. Problems found by the geometry library carry their messages;
// the others are filled from the catalogue (key "geo.problem.<code>") by
// Localize.
type Problem struct {
	Code      string `json:"code"`
	Severity  string `json:"severity"` // error (nothing is written) or warning
	Args      []any  `json:"args,omitempty"`
	Message   string `json:"message"`    // zh-CN
	MessageEn string `json:"message_en"` // English
}

// Problem severities.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// FeatureReport is what an import found and did for one feature.
type FeatureReport struct {
	Index    int       `json:"index"` // 0-based position in the file
	Code     string    `json:"code,omitempty"`
	Name     string    `json:"name,omitempty"`
	ID       int64     `json:"id,omitempty"`
	Status   string    `json:"status"` // created, updated, unchanged, invalid (what it would be, on a dry run)
	Problems []Problem `json:"problems,omitempty"`
}

// ImportReport is the outcome of a grid, component or address import.
// Status is "invalid" (nothing written), "unchanged" (nothing to write),
// "valid" (dry run: would be written) or "imported".
type ImportReport struct {
	Status    string          `json:"status"`
	Features  []FeatureReport `json:"features"`
	Problems  []Problem       `json:"problems,omitempty"` // about the file as a whole
	Created   int             `json:"created"`
	Updated   int             `json:"updated"`
	Unchanged int             `json:"unchanged"`
	Removed   int             `json:"removed"` // grids retired, components or addresses removed
	Kept      int             `json:"kept"`    // in the store, not in the file, left as they are
	Errors    int             `json:"errors"`
	Warnings  int             `json:"warnings"`
	// RemovedCodes lists what left (grid or component codes).
	RemovedCodes []string `json:"removed_codes,omitempty"`
}

// Import statuses.
const (
	ImportInvalid   = "invalid"
	ImportUnchanged = "unchanged"
	ImportValid     = "valid"
	ImportImported  = "imported"
)

// Localize fills the messages of problems that carry only a code, in both
// languages, from the catalogue.
func (rep *ImportReport) Localize(cat *i18n.Catalog) {
	fill := func(ps []Problem) {
		for i := range ps {
			p := &ps[i]
			if p.Message != "" {
				continue
			}
			key := "geo.problem." + p.Code
			p.Message, p.MessageEn = cat.T(i18n.Default, key, p.Args...), cat.T("en", key, p.Args...)
		}
	}
	fill(rep.Problems)
	for i := range rep.Features {
		fill(rep.Features[i].Problems)
	}
}

// Text renders the report for a terminal, in lang ("zh-CN" or "en").
func (rep *ImportReport) Text(lang string) string {
	var b strings.Builder
	msg := func(p Problem) string {
		if lang == "en" {
			return p.MessageEn
		}
		return p.Message
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(&b, "file: %s [%s] %s\n", p.Severity, p.Code, msg(p))
	}
	for _, f := range rep.Features {
		for _, p := range f.Problems {
			fmt.Fprintf(&b, "feature %d (%s): %s [%s] %s\n", f.Index+1, f.Code, p.Severity, p.Code, msg(p))
		}
	}
	fmt.Fprintf(&b, "%s: %d created, %d updated, %d unchanged, %d removed, %d kept; %d errors, %d warnings\n",
		rep.Status, rep.Created, rep.Updated, rep.Unchanged, rep.Removed, rep.Kept, rep.Errors, rep.Warnings)
	return b.String()
}

// problemf makes a problem whose message comes from the catalogue.
func problemf(severity, code string, args ...any) Problem {
	return Problem{Code: code, Severity: severity, Args: args}
}

// add appends a problem to feature i.
func (rep *ImportReport) add(i int, p Problem) {
	rep.Features[i].Problems = append(rep.Features[i].Problems, p)
}

// tally counts errors and warnings and settles the invalid status.
func (rep *ImportReport) tally() {
	rep.Errors, rep.Warnings = 0, 0
	count := func(ps []Problem) {
		for _, p := range ps {
			if p.Severity == SeverityError {
				rep.Errors++
			} else {
				rep.Warnings++
			}
		}
	}
	count(rep.Problems)
	for i := range rep.Features {
		f := &rep.Features[i]
		count(f.Problems)
		for _, p := range f.Problems {
			if p.Severity == SeverityError {
				f.Status = ImportInvalid
			}
		}
	}
	if rep.Errors > 0 {
		rep.Status = ImportInvalid
	}
}

func (rep *ImportReport) hasError(i int) bool {
	for _, p := range rep.Features[i].Problems {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

// rawFeature is a GeoJSON feature as read, before any checking.
type rawFeature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

// readFeatures decodes a FeatureCollection. A file that is not one yields
// a file-level problem and no features.
func readFeatures(data []byte) ([]rawFeature, []json.RawMessage, *Problem) {
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&fc); err != nil || fc.Type != "FeatureCollection" {
		p := problemf(SeverityError, "not_feature_collection")
		return nil, nil, &p
	}
	if len(fc.Features) == 0 {
		p := problemf(SeverityError, "no_features")
		return nil, nil, &p
	}
	out := make([]rawFeature, len(fc.Features))
	for i, raw := range fc.Features {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&out[i]); err != nil {
			out[i] = rawFeature{Type: "?"}
		}
	}
	return out, fc.Features, nil
}

// prop reads a string property; numbers are taken as written (so a code
// given as a JSON number keeps its digits).
func prop(p map[string]any, name string) string {
	switch v := p[name].(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	}
	return ""
}
