package geo

import (
	"encoding/json"
	"strconv"

	"github.com/paulmach/orb"
)

// parseFast reads the common shape of a stored grid geometry —
// {"type":"Polygon"|"MultiPolygon","coordinates":[…]}, members in either
// order, whitespace anywhere — without reflection, several times faster
// than encoding/json (a county's 10,000 grids are parsed at every snapshot
// rebuild). Anything else (other members, a Feature, escapes, null, a
// short position, a malformed number, an error of any kind) reports
// ok=false and ParseGeometry takes the general path, so results and error
// messages never depend on which path ran. Numbers go through
// strconv.ParseFloat exactly as encoding/json's do.
func parseFast(b []byte) (orb.MultiPolygon, bool) {
	p := fastParser{b: b}
	p.ws()
	if !p.eat('{') {
		return nil, false
	}
	var typ string
	coords := -1 // offset of the coordinates value
	for first := true; ; first = false {
		p.ws()
		if p.eat('}') {
			if first {
				return nil, false
			}
			break
		}
		if !first && !p.eat(',') {
			return nil, false
		}
		p.ws()
		key, ok := p.str()
		if !ok {
			return nil, false
		}
		p.ws()
		if !p.eat(':') {
			return nil, false
		}
		p.ws()
		switch key {
		case "type":
			if typ != "" {
				return nil, false
			}
			if typ, ok = p.str(); !ok || (typ != "Polygon" && typ != "MultiPolygon") {
				return nil, false
			}
		case "coordinates":
			if coords >= 0 {
				return nil, false
			}
			coords = p.i
			if !p.skipArray() {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	p.ws()
	if p.i != len(p.b) || typ == "" || coords < 0 {
		return nil, false
	}
	p.i = coords
	if typ == "Polygon" {
		poly, ok := p.polygon()
		if !ok {
			return nil, false
		}
		return orb.MultiPolygon{poly}, true
	}
	mp := make(orb.MultiPolygon, 0)
	ok := p.list(func() bool {
		poly, ok := p.polygon()
		mp = append(mp, poly)
		return ok
	})
	return mp, ok
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastParser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes.
func (p *fastParser) str() (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := string(p.b[start:p.i])
			p.i++
			return s, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", false
		}
		p.i++
	}
	return "", false
}

// list reads [item, item, …] (possibly empty), calling item for each.
func (p *fastParser) list(item func() bool) bool {
	p.ws()
	if !p.eat('[') {
		return false
	}
	p.ws()
	if p.eat(']') {
		return true
	}
	for {
		p.ws()
		if !item() {
			return false
		}
		p.ws()
		if p.eat(']') {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

func (p *fastParser) polygon() (orb.Polygon, bool) {
	poly := make(orb.Polygon, 0, 1)
	ok := p.list(func() bool {
		ring := make(orb.Ring, 0, 8)
		ok := p.list(func() bool {
			pt, ok := p.position()
			ring = append(ring, pt)
			return ok
		})
		poly = append(poly, ring)
		return ok
	})
	return poly, ok
}

// position reads [x, y, …]; values after the second are checked and
// dropped (altitude).
func (p *fastParser) position() (orb.Point, bool) {
	var pt orb.Point
	n := 0
	ok := p.list(func() bool {
		v, ok := p.number()
		if n < 2 {
			pt[n] = v
		}
		n++
		return ok
	})
	return pt, ok && n >= 2
}

// number reads a JSON number (RFC 8259 grammar).
func (p *fastParser) number() (float64, bool) {
	start := p.i
	digits := func() int {
		k := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			k++
		}
		return k
	}
	p.eat('-')
	switch {
	case p.eat('0'):
	case p.i < len(p.b) && p.b[p.i] >= '1' && p.b[p.i] <= '9':
		digits()
	default:
		return 0, false
	}
	if p.eat('.') && digits() == 0 {
		return 0, false
	}
	if p.eat('e') || p.eat('E') {
		if !p.eat('+') {
			p.eat('-')
		}
		if digits() == 0 {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	return v, err == nil
}

// skipArray moves past a balanced array value (its content is parsed
// later, once the type is known); strings inside make it give up.
func (p *fastParser) skipArray() bool {
	if p.i >= len(p.b) || p.b[p.i] != '[' {
		return false
	}
	depth := 0
	for ; p.i < len(p.b); p.i++ {
		switch p.b[p.i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				p.i++
				return true
			}
		case '"', '{', '}':
			return false
		}
	}
	return false
}

// GeometryType returns the "type" member of a GeoJSON object ("" when it
// has none or is not JSON), cheaply for the plain shape parseFast reads.
func GeometryType(raw []byte) string {
	p := fastParser{b: raw}
	p.ws()
	if p.eat('{') {
		for first := true; ; first = false {
			p.ws()
			if (!first && !p.eat(',')) || p.i >= len(p.b) {
				break
			}
			p.ws()
			key, ok := p.str()
			p.ws()
			if !ok || !p.eat(':') {
				break
			}
			p.ws()
			if key == "type" {
				if t, ok := p.str(); ok {
					return t
				}
				break
			}
			if key != "coordinates" || !p.skipArray() {
				break
			}
		}
	}
	var t struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &t) != nil {
		return ""
	}
	return t.Type
}
