package service

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// Fuzzy address lookup (地址库).
//
// What a caller says rarely matches the register word for word: the
// province and city are added or left out, numbers are said in Chinese
// (十二号), a 小区 is named instead of the road, words come in another
// order. Addresses and queries are therefore normalised the same way
// (full-width to half-width, Chinese numerals before 号/栋/单元/楼/室… to
// digits, punctuation and spaces dropped, configured prefixes such as the
// province stripped) and compared as sets of character bigrams, which suit
// Chinese, where most words are two characters, without a dictionary.
//
// Ranking: each query bigram weighs its inverse document frequency
// ln(1 + N/df), so 乐坪 counts for more than 街道; each number in the query
// (a house or building number) counts as a rare token of its own. An
// address scores the weight of the query's bigrams and numbers it contains
// divided by the query's total (its coverage of the query, 0..1), plus a
// bonus when it contains the whole normalised query, minus a small penalty
// per character it has beyond the query (so 春园路12号 beats 春园路12号
// 附1栋 for "春园路12号"). Addresses covering under a third of the query are
// not returned. Ties go to the lower id.

// addressSet is the snapshot's address register with its indexes.
type addressSet struct {
	list     []store.Address
	norm     []string
	runes    []int
	post     map[uint64][]int32 // bigram → positions
	nums     map[string][]int32 // number token → positions
	points   *geo.PointIndex
	byID     map[int64]int32
	prefixes []string
	pool     *sync.Pool // *[]float32 score buffers
}

// addressPrefixes are the prefixes stripped before matching: the
// district's own name (with and without 区/县) and the configured ones.
func (r *Reference) addressPrefixes() []string {
	ps := slices.Clone(r.geo.AddressPrefixes)
	if n := r.Root.Name; n != "" {
		ps = append(ps, n)
		if s := strings.TrimRight(n, "区县市"); s != n && utf8.RuneCountInString(s) >= 2 {
			ps = append(ps, s)
		}
	}
	for i, p := range ps {
		ps[i] = normalizeAddress(p, nil)
	}
	// Longest first, so 娄底市 goes before 娄底.
	slices.SortFunc(ps, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	return slices.Compact(ps)
}

func newAddressSet(as []store.Address, prefixes []string) addressSet {
	set := addressSet{list: as, norm: make([]string, len(as)), runes: make([]int, len(as)),
		post: map[uint64][]int32{}, nums: map[string][]int32{}, byID: make(map[int64]int32, len(as)), prefixes: prefixes}
	pts := make([]geo.Point, len(as))
	for i, a := range as {
		n := normalizeAddress(a.Text, prefixes)
		if a.Alias != "" {
			n += "|" + normalizeAddress(a.Alias, prefixes)
		}
		set.norm[i] = n
		set.runes[i] = utf8.RuneCountInString(normalizeAddress(a.Text, prefixes))
		set.byID[a.ID] = int32(i)
		for _, b := range bigrams(n) {
			set.post[b] = append(set.post[b], int32(i))
		}
		for _, t := range numberTokens(n) {
			if l := set.nums[t]; len(l) == 0 || l[len(l)-1] != int32(i) {
				set.nums[t] = append(l, int32(i))
			}
		}
		pts[i] = geo.Point{ID: a.ID, Lat: a.Lat, Lng: a.Lng}
	}
	set.points = geo.NewPointIndex(pts)
	n := len(as)
	set.pool = &sync.Pool{New: func() any { b := make([]float32, n); return &b }}
	return set
}

// bigrams returns the distinct adjacent rune pairs of s, skipping the
// '|' separator between an address and its alias.
func bigrams(s string) []uint64 {
	var out []uint64
	var prev rune = -1
	for _, r := range s {
		if r == '|' {
			prev = -1
			continue
		}
		if prev >= 0 {
			out = append(out, uint64(prev)<<32|uint64(r))
		}
		prev = r
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// numberTokens returns the maximal digit runs of s.
func numberTokens(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		digit := i < len(s) && s[i] >= '0' && s[i] <= '9'
		switch {
		case digit && start < 0:
			start = i
		case !digit && start >= 0:
			out = append(out, s[start:i])
			start = -1
		}
	}
	return out
}

var numeralUnits = []string{"号", "栋", "幢", "单元", "楼", "层", "室", "组", "巷", "弄", "期", "排", "户", "门"}

// normalizeAddress folds an address or a query for matching.
func normalizeAddress(s string, prefixes []string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		r = unicode.ToLower(r)
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(r)
	}
	out := chineseNumerals(b.String())
	for changed := true; changed; {
		changed = false
		for _, p := range prefixes {
			if p != "" && strings.HasPrefix(out, p) && len(out) > len(p) {
				out, changed = out[len(p):], true
			}
		}
	}
	return out
}

const cnDigits = "零〇一二两三四五六七八九十百千"

// chineseNumerals turns a run of Chinese numerals followed by a unit (号,
// 栋, 单元 …) into digits: 十二号 → 12号, 三栋二单元 → 3栋2单元. Numerals in
// names (五一路, 三里桥) are left alone.
func chineseNumerals(s string) string {
	if !strings.ContainsAny(s, cnDigits) {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && strings.ContainsRune(cnDigits, rs[j]) {
			j++
		}
		if j == i {
			b.WriteRune(rs[i])
			i++
			continue
		}
		rest := string(rs[j:])
		unit := false
		for _, u := range numeralUnits {
			if strings.HasPrefix(rest, u) {
				unit = true
				break
			}
		}
		if n, ok := parseChineseNumber(rs[i:j]); unit && ok {
			b.WriteString(itoa(int64(n)))
		} else {
			b.WriteString(string(rs[i:j]))
		}
		i = j
	}
	return b.String()
}

// parseChineseNumber reads 0..9999 written as 十二, 一百零五, 二〇八 (digit
// by digit) or 两千.
func parseChineseNumber(rs []rune) (int, bool) {
	digit := func(r rune) int {
		switch r {
		case '零', '〇':
			return 0
		case '一':
			return 1
		case '二', '两':
			return 2
		case '三':
			return 3
		case '四':
			return 4
		case '五':
			return 5
		case '六':
			return 6
		case '七':
			return 7
		case '八':
			return 8
		case '九':
			return 9
		}
		return -1
	}
	hasUnit := false
	for _, r := range rs {
		if r == '十' || r == '百' || r == '千' {
			hasUnit = true
		}
	}
	if !hasUnit { // digit by digit: 二〇八 → 208
		n := 0
		for _, r := range rs {
			n = n*10 + digit(r)
		}
		return n, len(rs) <= 5
	}
	total, cur := 0, -1
	for _, r := range rs {
		switch r {
		case '十', '百', '千':
			mult := map[rune]int{'十': 10, '百': 100, '千': 1000}[r]
			if cur < 0 {
				cur = 1 // 十二: an implicit one
			}
			total += cur * mult
			cur = -1
		default:
			d := digit(r)
			if d == 0 {
				continue // 一百零五
			}
			cur = d
		}
	}
	if cur > 0 {
		total += cur
	}
	return total, total < 10000
}

// AddressHit is an address found by a lookup.
type AddressHit struct {
	store.Address
	Score  float64 `json:"score,omitempty"`      // fuzzy lookup: 0..~1.25, higher is better
	Meters float64 `json:"distance_m,omitempty"` // reverse lookup: distance from the point
}

// MaxAddressResults bounds a lookup's results.
const MaxAddressResults = 50

// SearchAddresses ranks the register's addresses against what a caller
// said (see the package comment above on the method).
func (r *Reference) SearchAddresses(q string, limit int) []AddressHit {
	set := &r.addrs
	if limit <= 0 || limit > MaxAddressResults {
		limit = 10
	}
	nq := normalizeAddress(q, set.prefixes)
	if nq == "" || len(set.list) == 0 {
		return nil
	}
	N := float64(len(set.list))
	idf := func(df int) float64 {
		if df == 0 {
			return math.Log(1 + N)
		}
		return math.Log(1 + N/float64(df))
	}
	bufp := set.pool.Get().(*[]float32)
	defer set.pool.Put(bufp)
	score := *bufp
	var touched []int32
	total := 0.0
	addPost := func(post []int32, w float64) {
		for _, p := range post {
			if score[p] == 0 {
				touched = append(touched, p)
			}
			score[p] += float32(w)
		}
	}
	qb := bigrams(nq)
	if len(qb) == 0 { // one character: substring scan
		for i, n := range set.norm {
			if strings.Contains(n, nq) {
				touched = append(touched, int32(i))
				score[i] = 1
			}
		}
		total = 1
	}
	for _, b := range qb {
		post := set.post[b]
		w := idf(len(post))
		total += w
		addPost(post, w)
	}
	for _, t := range numberTokens(nq) {
		post := set.nums[t]
		w := 1.5 * idf(len(post))
		total += w
		addPost(post, w)
	}
	qRunes := utf8.RuneCountInString(nq)
	var hits []AddressHit
	for _, p := range touched {
		cov := float64(score[p]) / total
		score[p] = 0
		if cov < 1.0/3 {
			continue
		}
		rank := cov
		if strings.Contains(set.norm[p], nq) {
			rank += 0.25
		}
		rank -= math.Min(0.1, 0.003*math.Max(0, float64(set.runes[p]-qRunes)))
		hits = append(hits, AddressHit{Address: set.list[p], Score: math.Round(rank*1000) / 1000})
	}
	slices.SortFunc(hits, func(a, b AddressHit) int { return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.ID, b.ID)) })
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// NearestAddresses returns the register's addresses within maxM metres of
// a WGS-84 point (the configured reverse radius when maxM ≤ 0), nearest
// first.
func (r *Reference) NearestAddresses(lat, lng, maxM float64, limit int) []AddressHit {
	if maxM <= 0 {
		maxM = r.geo.ReverseM
	}
	if limit <= 0 || limit > MaxAddressResults {
		limit = 1
	}
	if r.addrs.points == nil {
		return nil
	}
	hits := r.addrs.points.Within(lat, lng, maxM, limit, nil)
	out := make([]AddressHit, len(hits))
	for i, h := range hits {
		out[i] = AddressHit{Address: r.addrs.list[r.addrs.byID[h.ID]], Meters: math.Round(h.Meters*10) / 10}
	}
	return out
}

// AddressCount is the number of addresses in the register.
func (r *Reference) AddressCount() int { return len(r.addrs.list) }

// AddressImportOptions control ImportAddresses.
type AddressImportOptions struct {
	DryRun bool
	// Replace removes addresses that are not in the file.
	Replace bool
	// Coord is the coordinate system of the file's points.
	Coord geo.CoordSys
}

// ImportAddresses reads a GeoJSON FeatureCollection of address points
// (properties address, alias), places each in its grid, community and
// street, and when nothing is wrong writes the register in one transaction
// (upsert by address text) and rebuilds the snapshot.
func (s *Service) ImportAddresses(ctx context.Context, actor model.User, data []byte, opt AddressImportOptions) (*ImportReport, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	ref := s.Ref()
	existing, err := s.store.ListAddresses(ctx)
	if err != nil {
		return nil, err
	}
	feats, _, fp := readFeatures(data)
	rep := &ImportReport{Features: make([]FeatureReport, len(feats))}
	if fp != nil {
		rep.Problems = append(rep.Problems, *fp)
		rep.tally()
		return rep, nil
	}
	addrs := make([]store.Address, len(feats))
	first := map[string]int{}
	for i, f := range feats {
		fr := &rep.Features[i]
		fr.Index = i
		if f.Type != "Feature" {
			rep.add(i, problemf(SeverityError, "not_feature"))
			continue
		}
		a := store.Address{Text: prop(f.Properties, "address"), Alias: prop(f.Properties, "alias")}
		fr.Name = a.Text
		switch {
		case a.Text == "":
			rep.add(i, problemf(SeverityError, "address_missing"))
		case utf8.RuneCountInString(a.Text) > MaxAddress || utf8.RuneCountInString(a.Alias) > 100:
			rep.add(i, problemf(SeverityError, "text_too_long"))
		}
		if j, dup := first[a.Text]; dup && a.Text != "" {
			rep.add(i, problemf(SeverityError, "address_duplicate", a.Text, j+1))
		} else {
			first[a.Text] = i
		}
		lat, lng, ok := pointOf(f.Geometry)
		if !ok {
			rep.add(i, problemf(SeverityError, "point_invalid"))
		} else {
			a.Lat, a.Lng = geo.ToWGS84(lat, lng, opt.Coord)
			p := ref.Place(a.Lat, a.Lng, 0, s.toleranceM)
			a.GridID, a.CommunityID, a.StreetID = p.GridID, p.CommunityID, p.StreetID
			if p.Fallback {
				rep.add(i, problemf(SeverityWarning, "outside_grids"))
			}
		}
		addrs[i] = a
	}
	rep.tally()
	if rep.Status == ImportInvalid {
		return rep, nil
	}
	old := map[string]store.Address{}
	for _, a := range existing {
		old[a.Text] = a
	}
	var upsert []store.Address
	inFile := map[string]bool{}
	for i, a := range addrs {
		inFile[a.Text] = true
		fr := &rep.Features[i]
		if o, ok := old[a.Text]; ok {
			a.ID, fr.ID = o.ID, o.ID
			if a == o {
				fr.Status = "unchanged"
				rep.Unchanged++
				continue
			}
			fr.Status = "updated"
			rep.Updated++
		} else {
			fr.Status = "created"
			rep.Created++
		}
		upsert = append(upsert, a)
	}
	var remove []int64
	for _, a := range existing {
		switch {
		case inFile[a.Text]:
		case opt.Replace:
			remove = append(remove, a.ID)
			rep.Removed++
		default:
			rep.Kept++
		}
	}
	switch {
	case len(upsert)+len(remove) == 0:
		rep.Status = ImportUnchanged
		return rep, nil
	case opt.DryRun:
		rep.Status = ImportValid
		return rep, nil
	}
	if err := s.store.ApplyAddresses(ctx, upsert, remove); err != nil {
		return nil, err
	}
	rep.Status = ImportImported
	return rep, s.Reload(ctx)
}
