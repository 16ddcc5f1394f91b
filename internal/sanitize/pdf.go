package sanitize

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
)

// A PDF sent by a citizen carries more than its pages: the document
// information dictionary (/Info: author, often a name and phone number),
// XMP metadata streams, JavaScript (document-level, /OpenAction, /AA
// triggers), embedded files, forms and link annotations whose actions
// launch programs or post data. The unit a report concerns downloads the
// file. So a PDF is not stored as sent: it is parsed (classic xref tables
// and the xref and object streams of PDF 1.5+), and a new file is written
// that holds only what the catalogue's page tree reaches (pages, content
// streams, resources, fonts, images), with a fresh xref, a trailer without
// /Info and a new /ID. Stream data is copied as it is (page content cannot
// run code), except that a JPEG image loses its EXIF, XMP and comment
// segments (a phone's scan app embeds the camera's JPEG whole, GPS and
// all); what cannot be parsed, or is encrypted (its strings cannot be
// checked), is refused rather than passed through.

// ErrPDF: the PDF cannot be made safe (encrypted, unparseable, no pages,
// or over a budget). The text says why.
var ErrPDF = errors.New("pdf cannot be sanitized")

// PDFLimits bound the work of one PDF. Zero fields take the defaults.
type PDFLimits struct {
	MaxObjects int   // objects in the rewritten file (default 50,000)
	MaxOutput  int64 // bytes of the rewritten file (default 32 MiB)
	MaxInflate int64 // bytes inflated from xref and object streams in all (default 64 MiB)
	MaxPages   int   // pages (default 5,000)
	MaxXref    int   // cross-reference entries read (default 1,000,000)
	MaxParse   int64 // bytes the parser may read in all, overlaps counted (default 16 × the file + 16 MiB)
}

func (l PDFLimits) withDefaults() PDFLimits {
	if l.MaxObjects <= 0 {
		l.MaxObjects = 50_000
	}
	if l.MaxOutput <= 0 {
		l.MaxOutput = 32 << 20
	}
	if l.MaxInflate <= 0 {
		l.MaxInflate = 64 << 20
	}
	if l.MaxPages <= 0 {
		l.MaxPages = 5_000
	}
	if l.MaxXref <= 0 {
		l.MaxXref = 1_000_000
	}
	return l
}

func pdfErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrPDF}, args...)...)
}

// The object model: nil (null), bool, int64, pdfReal, pdfString, pdfName,
// pdfArray, pdfDict, pdfRef, *pdfStream.
type (
	pdfReal   string // kept as written
	pdfString []byte
	pdfName   string
	pdfArray  []any
	pdfDict   map[pdfName]any
	pdfRef    struct{ num, gen int }
	pdfStream struct {
		dict pdfDict
		data []byte // raw, still encoded
	}
)

// maxDepth bounds nesting of arrays and dictionaries (and of references
// followed while parsing a stream's /Length).
const maxDepth = 64

// lexer reads objects from b starting at p.
type lexer struct {
	b []byte
	p int
}

func isSpace(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func (l *lexer) skip() {
	for l.p < len(l.b) {
		c := l.b[l.p]
		switch {
		case isSpace(c):
			l.p++
		case c == '%':
			for l.p < len(l.b) && l.b[l.p] != '\n' && l.b[l.p] != '\r' {
				l.p++
			}
		default:
			return
		}
	}
}

// word reads a run of regular characters (a number or keyword).
func (l *lexer) word() string {
	l.skip()
	s := l.p
	for l.p < len(l.b) && !isSpace(l.b[l.p]) && !isDelim(l.b[l.p]) {
		l.p++
	}
	return string(l.b[s:l.p])
}

// keyword reports whether the next word is kw, consuming it if so.
func (l *lexer) keyword(kw string) bool {
	save := l.p
	if l.word() == kw {
		return true
	}
	l.p = save
	return false
}

func isInt(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isReal(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && digits <= 40 && dots <= 1
}

// object reads one direct object (a reference counts as one).
func (l *lexer) object(depth int) (any, error) {
	if depth > maxDepth {
		return nil, pdfErr("nesting deeper than %d", maxDepth)
	}
	l.skip()
	if l.p >= len(l.b) {
		return nil, pdfErr("unexpected end of file")
	}
	switch c := l.b[l.p]; c {
	case '/':
		l.p++
		var name []byte
		for l.p < len(l.b) && !isSpace(l.b[l.p]) && !isDelim(l.b[l.p]) {
			if l.b[l.p] == '#' && l.p+2 < len(l.b) {
				if v, err := strconv.ParseUint(string(l.b[l.p+1:l.p+3]), 16, 8); err == nil {
					name = append(name, byte(v))
					l.p += 3
					continue
				}
			}
			name = append(name, l.b[l.p])
			l.p++
		}
		return pdfName(name), nil
	case '(':
		return l.literal()
	case '<':
		if l.p+1 < len(l.b) && l.b[l.p+1] == '<' {
			l.p += 2
			d := pdfDict{}
			for {
				l.skip()
				if l.p+1 < len(l.b) && l.b[l.p] == '>' && l.b[l.p+1] == '>' {
					l.p += 2
					return d, nil
				}
				k, err := l.object(depth + 1)
				if err != nil {
					return nil, err
				}
				name, ok := k.(pdfName)
				if !ok {
					return nil, pdfErr("dictionary key is not a name at %d", l.p)
				}
				v, err := l.object(depth + 1)
				if err != nil {
					return nil, err
				}
				d[name] = v
			}
		}
		return l.hexString()
	case '[':
		l.p++
		a := pdfArray{}
		for {
			l.skip()
			if l.p < len(l.b) && l.b[l.p] == ']' {
				l.p++
				return a, nil
			}
			v, err := l.object(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case ')', '>', ']', '{', '}':
		return nil, pdfErr("unexpected %q at %d", c, l.p)
	}
	w := l.word()
	switch {
	case w == "true":
		return true, nil
	case w == "false":
		return false, nil
	case w == "null":
		return nil, nil
	case isInt(w):
		n, err := strconv.ParseInt(w, 10, 64)
		if err != nil {
			return nil, pdfErr("number %q", w)
		}
		// "num gen R" is a reference.
		save := l.p
		if g := l.word(); isInt(g) && n >= 0 && n < 1<<31 {
			if l.word() == "R" {
				gen, _ := strconv.Atoi(g)
				return pdfRef{int(n), gen}, nil
			}
		}
		l.p = save
		return n, nil
	case isReal(w):
		return pdfReal(w), nil
	}
	return nil, pdfErr("unexpected %q at %d", w, l.p)
}

func (l *lexer) literal() (any, error) {
	l.p++ // (
	var out []byte
	depth := 1
	for l.p < len(l.b) {
		c := l.b[l.p]
		l.p++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return pdfString(out), nil
			}
		case '\\':
			if l.p >= len(l.b) {
				return nil, pdfErr("unterminated string")
			}
			e := l.b[l.p]
			l.p++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.p < len(l.b) && l.b[l.p] == '\n' {
					l.p++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for i := 0; i < 2 && l.p < len(l.b) && l.b[l.p] >= '0' && l.b[l.p] <= '7'; i++ {
						v = v*8 + int(l.b[l.p]-'0')
						l.p++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return nil, pdfErr("unterminated string")
}

func (l *lexer) hexString() (any, error) {
	l.p++ // <
	var out []byte
	var hi int = -1
	for l.p < len(l.b) {
		c := l.b[l.p]
		l.p++
		var v int
		switch {
		case c == '>':
			if hi >= 0 {
				out = append(out, byte(hi<<4))
			}
			return pdfString(out), nil
		case isSpace(c):
			continue
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'a' && c <= 'f':
			v = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v = int(c-'A') + 10
		default:
			return nil, pdfErr("bad hex string")
		}
		if hi < 0 {
			hi = v
		} else {
			out = append(out, byte(hi<<4|v))
			hi = -1
		}
	}
	return nil, pdfErr("unterminated hex string")
}

// xrefEntry locates an object: at an offset (inStream < 0), or as the
// index-th object of object stream inStream.
type xrefEntry struct {
	off      int
	inStream int
}

type pdfDoc struct {
	b         []byte
	lim       PDFLimits
	xref      map[int]xrefEntry
	trailer   pdfDict
	cache     map[int]any
	busy      map[int]bool // objects being parsed (cycles through /Length)
	objStms   map[int]map[int]any
	inflated  int64
	work      int64 // bytes the lexer has read, over all parses (see spend)
	rebuilt   bool
	xrefCount int
}

// parsePDF reads a PDF's cross-reference data and trailer, rebuilding the
// table by scanning for "n g obj" when it is missing or wrong.
func parsePDF(b []byte, lim PDFLimits) (*pdfDoc, error) {
	lim = lim.withDefaults()
	if lim.MaxParse <= 0 {
		lim.MaxParse = 16*int64(len(b)) + 16<<20
	}
	if i := bytes.Index(b, []byte("%PDF-")); i < 0 || i > 1024 {
		return nil, pdfErr("no %%PDF header")
	}
	d := &pdfDoc{b: b, lim: lim, xref: map[int]xrefEntry{}, cache: map[int]any{}, busy: map[int]bool{}, objStms: map[int]map[int]any{}}
	if err := d.readXrefChain(); err != nil || d.trailer == nil || d.trailer["Root"] == nil {
		if errors.Is(err, errBudget) {
			return nil, err
		}
		if err := d.rebuild(); err != nil {
			return nil, err
		}
	}
	if d.trailer["Encrypt"] != nil {
		return nil, pdfErr("encrypted")
	}
	return d, nil
}

var errBudget = fmt.Errorf("%w: over budget", ErrPDF)

// spend counts n bytes read by the lexer. A hostile file can make parses
// overlap (a thousand "n 0 obj (" headers whose strings never close: each
// reads to the end of the file), so the reading, not only the file, is
// bounded: by MaxParse, by default 16 times the file and 16 MiB more.
func (d *pdfDoc) spend(n int) error {
	d.work += int64(max(n, 0))
	if d.work > d.lim.MaxParse {
		return fmt.Errorf("%w: parsing read more than %d MiB", errBudget, d.lim.MaxParse>>20)
	}
	return nil
}

func (d *pdfDoc) readXrefChain() error {
	i := bytes.LastIndex(d.b, []byte("startxref"))
	if i < 0 {
		return pdfErr("no startxref")
	}
	l := &lexer{b: d.b, p: i + len("startxref")}
	off, err := strconv.Atoi(l.word())
	if err != nil {
		return pdfErr("bad startxref")
	}
	seen := map[int]bool{}
	for {
		if seen[off] || off <= 0 || off >= len(d.b) || len(seen) > 256 {
			break
		}
		seen[off] = true
		tr, err := d.readXref(off)
		if err != nil {
			return err
		}
		if d.trailer == nil {
			d.trailer = tr
		}
		if x, ok := tr["XRefStm"].(int64); ok && x > 0 && int(x) < len(d.b) && !seen[int(x)] {
			seen[int(x)] = true
			if _, err := d.readXref(int(x)); err != nil {
				return err
			}
		}
		prev, ok := tr["Prev"].(int64)
		if !ok {
			break
		}
		off = int(prev)
	}
	return nil
}

// addEntry records num's place unless a newer section already did.
func (d *pdfDoc) addEntry(num int, e xrefEntry) error {
	d.xrefCount++
	if d.xrefCount > d.lim.MaxXref {
		return fmt.Errorf("%w: more than %d cross-reference entries", errBudget, d.lim.MaxXref)
	}
	if _, ok := d.xref[num]; !ok {
		d.xref[num] = e
	}
	return nil
}

// readXref reads one xref section (a table or a stream) and returns its
// trailer dictionary.
func (d *pdfDoc) readXref(off int) (pdfDict, error) {
	l := &lexer{b: d.b, p: off}
	if !l.keyword("xref") {
		return d.readXrefStream(off)
	}
	for {
		if l.keyword("trailer") {
			o, err := l.object(0)
			if err != nil {
				return nil, err
			}
			tr, ok := o.(pdfDict)
			if !ok {
				return nil, pdfErr("trailer is not a dictionary")
			}
			return tr, nil
		}
		start, err1 := strconv.Atoi(l.word())
		count, err2 := strconv.Atoi(l.word())
		if err1 != nil || err2 != nil || start < 0 || count < 0 {
			return nil, pdfErr("bad xref subsection")
		}
		for i := 0; i < count; i++ {
			o, err1 := strconv.Atoi(l.word())
			_, err2 := strconv.Atoi(l.word())
			kind := l.word()
			if err1 != nil || err2 != nil || (kind != "n" && kind != "f") {
				return nil, pdfErr("bad xref entry")
			}
			if kind == "n" {
				if err := d.addEntry(start+i, xrefEntry{off: o, inStream: -1}); err != nil {
					return nil, err
				}
			} else if _, ok := d.xref[start+i]; !ok {
				d.xref[start+i] = xrefEntry{off: -1, inStream: -1} // free: null
			}
		}
	}
}

func (d *pdfDoc) readXrefStream(off int) (pdfDict, error) {
	o, num, err := d.indirectAt(off)
	if err != nil {
		return nil, err
	}
	s, ok := o.(*pdfStream)
	if !ok || s.dict["Type"] != pdfName("XRef") {
		return nil, pdfErr("no xref at %d", off)
	}
	d.cache[num] = s
	data, err := d.decode(s)
	if err != nil {
		return nil, err
	}
	ws, _ := s.dict["W"].(pdfArray)
	if len(ws) != 3 {
		return nil, pdfErr("bad xref stream /W")
	}
	var w [3]int
	row := 0
	for i, v := range ws {
		n, ok := v.(int64)
		if !ok || n < 0 || n > 8 {
			return nil, pdfErr("bad xref stream /W")
		}
		w[i] = int(n)
		row += int(n)
	}
	if row == 0 {
		return nil, pdfErr("bad xref stream /W")
	}
	size, _ := s.dict["Size"].(int64)
	index := pdfArray{int64(0), size}
	if ix, ok := s.dict["Index"].(pdfArray); ok {
		index = ix
	}
	field := func(b []byte, def int) int {
		if len(b) == 0 {
			return def
		}
		v := 0
		for _, c := range b {
			v = v<<8 | int(c)
		}
		return v
	}
	p := 0
	for i := 0; i+1 < len(index); i += 2 {
		start, ok1 := index[i].(int64)
		count, ok2 := index[i+1].(int64)
		if !ok1 || !ok2 || start < 0 || count < 0 {
			return nil, pdfErr("bad xref stream /Index")
		}
		for j := int64(0); j < count; j++ {
			if p+row > len(data) {
				return nil, pdfErr("xref stream too short")
			}
			r := data[p : p+row]
			p += row
			typ := field(r[:w[0]], 1)
			a, b := field(r[w[0]:w[0]+w[1]], 0), field(r[w[0]+w[1]:], 0)
			num := int(start + j)
			switch typ {
			case 1:
				err = d.addEntry(num, xrefEntry{off: a, inStream: -1})
			case 2:
				err = d.addEntry(num, xrefEntry{off: b, inStream: a})
			default:
				if _, ok := d.xref[num]; !ok {
					d.xref[num] = xrefEntry{off: -1, inStream: -1}
				}
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return s.dict, nil
}

var objHeader = regexp.MustCompile(`(?:^|[\s])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj\b`)

// rebuild scans the whole file for "n g obj" headers (the last one of a
// number wins, as an incremental update would) and takes the trailer from
// the last "trailer" keyword, an xref stream, or the catalogue itself.
func (d *pdfDoc) rebuild() error {
	d.rebuilt = true
	d.xref, d.cache, d.trailer, d.xrefCount = map[int]xrefEntry{}, map[int]any{}, nil, 0
	for _, m := range objHeader.FindAllSubmatchIndex(d.b, -1) {
		num, _ := strconv.Atoi(string(d.b[m[2]:m[3]]))
		d.xrefCount++
		if d.xrefCount > d.lim.MaxXref {
			return fmt.Errorf("%w: more than %d objects", errBudget, d.lim.MaxXref)
		}
		d.xref[num] = xrefEntry{off: m[2], inStream: -1}
	}
	if i := bytes.LastIndex(d.b, []byte("trailer")); i >= 0 {
		l := &lexer{b: d.b, p: i + len("trailer")}
		if o, err := l.object(0); err == nil {
			d.trailer, _ = o.(pdfDict)
		}
	}
	nums := make([]int, 0, len(d.xref))
	for n := range d.xref {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	// Objects inside object streams, and a catalogue to root the trailer.
	var catalog pdfRef
	for _, n := range nums {
		o, err := d.get(n)
		if errors.Is(err, errBudget) {
			return err
		}
		if err != nil {
			continue
		}
		switch v := o.(type) {
		case *pdfStream:
			if v.dict["Type"] == pdfName("ObjStm") {
				objs, err := d.objStream(n)
				if err != nil {
					continue
				}
				for k := range objs {
					if _, ok := d.xref[k]; !ok {
						d.xref[k] = xrefEntry{off: -2, inStream: n}
					}
				}
			}
			if v.dict["Type"] == pdfName("XRef") && (d.trailer == nil || d.trailer["Root"] == nil) {
				d.trailer = v.dict
			}
		case pdfDict:
			if v["Type"] == pdfName("Catalog") {
				catalog = pdfRef{n, 0}
			}
		}
	}
	if d.trailer == nil || d.trailer["Root"] == nil {
		if catalog.num == 0 {
			for n, e := range d.xref {
				if e.inStream >= 0 {
					if o, err := d.get(n); err == nil {
						if v, ok := o.(pdfDict); ok && v["Type"] == pdfName("Catalog") {
							catalog = pdfRef{n, 0}
						}
					}
				}
			}
		}
		if catalog.num == 0 {
			return pdfErr("no catalogue")
		}
		if d.trailer == nil {
			d.trailer = pdfDict{}
		}
		d.trailer["Root"] = catalog
	}
	return nil
}

// indirectAt parses "num gen obj ... endobj" at off.
func (d *pdfDoc) indirectAt(off int) (any, int, error) {
	if off < 0 || off >= len(d.b) {
		return nil, 0, pdfErr("object offset %d outside the file", off)
	}
	if err := d.spend(0); err != nil {
		return nil, 0, err
	}
	l := &lexer{b: d.b, p: off}
	num, err1 := strconv.Atoi(l.word())
	_, err2 := strconv.Atoi(l.word())
	if err1 != nil || err2 != nil || !l.keyword("obj") {
		return nil, 0, pdfErr("no object at %d", off)
	}
	o, err := l.object(0)
	if werr := d.spend(l.p - off); werr != nil {
		return nil, num, werr
	}
	if err != nil {
		return nil, num, err
	}
	dict, ok := o.(pdfDict)
	if !ok || !l.keyword("stream") {
		return o, num, nil
	}
	// The data begins after CRLF or LF.
	p := l.p
	if p < len(d.b) && d.b[p] == '\r' {
		p++
	}
	if p < len(d.b) && d.b[p] == '\n' {
		p++
	}
	var data []byte
	if n, ok := d.streamLength(dict["Length"]); ok && n >= 0 && p+n <= len(d.b) {
		after := &lexer{b: d.b, p: p + n}
		if after.keyword("endstream") {
			data = d.b[p : p+n]
		}
	}
	if data == nil {
		e := bytes.Index(d.b[p:], []byte("endstream"))
		if err := d.spend(max(e, len(d.b)-p)); err != nil {
			return nil, num, err
		}
		if e < 0 {
			return nil, num, pdfErr("unterminated stream")
		}
		data = bytes.TrimSuffix(bytes.TrimSuffix(d.b[p:p+e], []byte("\n")), []byte("\r"))
	}
	return &pdfStream{dict: dict, data: data}, num, nil
}

func (d *pdfDoc) streamLength(v any) (int, bool) {
	if r, ok := v.(pdfRef); ok {
		o, err := d.get(r.num)
		if err != nil {
			return 0, false
		}
		v = o
	}
	n, ok := v.(int64)
	return int(n), ok && n < 1<<31
}

// get returns object num (nil for a free or missing one).
func (d *pdfDoc) get(num int) (any, error) {
	if o, ok := d.cache[num]; ok {
		return o, nil
	}
	e, ok := d.xref[num]
	if !ok || (e.off < 0 && e.inStream < 0) {
		return nil, nil
	}
	if d.busy[num] || len(d.busy) > maxDepth {
		return nil, pdfErr("object %d refers to itself", num)
	}
	d.busy[num] = true
	defer delete(d.busy, num)
	var o any
	if e.inStream >= 0 {
		objs, err := d.objStream(e.inStream)
		if err != nil {
			return nil, err
		}
		o = objs[num]
	} else {
		var got int
		var err error
		o, got, err = d.indirectAt(e.off)
		if err == nil && got != num {
			err = pdfErr("object %d is not at its offset", num)
		}
		if err != nil {
			if d.rebuilt || errors.Is(err, errBudget) {
				return nil, err
			}
			// A wrong offset: the table is rebuilt once from a scan.
			if err := d.rebuild(); err != nil {
				return nil, err
			}
			return d.get(num)
		}
	}
	d.cache[num] = o
	return o, nil
}

// resolve follows a reference.
func (d *pdfDoc) resolve(v any) (any, error) {
	if r, ok := v.(pdfRef); ok {
		return d.get(r.num)
	}
	return v, nil
}

// objStream parses object stream num into its objects by number.
func (d *pdfDoc) objStream(num int) (map[int]any, error) {
	if objs, ok := d.objStms[num]; ok {
		return objs, nil
	}
	o, err := d.get(num)
	if err != nil {
		return nil, err
	}
	s, ok := o.(*pdfStream)
	if !ok || s.dict["Type"] != pdfName("ObjStm") {
		return nil, pdfErr("object %d is not an object stream", num)
	}
	data, err := d.decode(s)
	if err != nil {
		return nil, err
	}
	n, _ := s.dict["N"].(int64)
	first, _ := s.dict["First"].(int64)
	if n < 0 || first < 0 || int(first) > len(data) || n > int64(len(data)) {
		return nil, pdfErr("bad object stream %d", num)
	}
	l := &lexer{b: data}
	objs := map[int]any{}
	for i := int64(0); i < n; i++ {
		k, err1 := strconv.Atoi(l.word())
		off, err2 := strconv.Atoi(l.word())
		if err1 != nil || err2 != nil || off < 0 || int(first)+off > len(data) {
			return nil, pdfErr("bad object stream %d header", num)
		}
		ol := &lexer{b: data, p: int(first) + off}
		v, err := ol.object(0)
		if werr := d.spend(ol.p - int(first) - off); werr != nil {
			return nil, werr
		}
		if err != nil {
			return nil, err
		}
		if _, dup := objs[k]; !dup {
			objs[k] = v
		}
	}
	d.objStms[num] = objs
	return objs, nil
}

// decode inflates a stream (FlateDecode with or without a PNG predictor,
// or no filter): only xref and object streams are decoded, the budget
// counting every byte inflated.
func (d *pdfDoc) decode(s *pdfStream) ([]byte, error) {
	filter := s.dict["Filter"]
	if a, ok := filter.(pdfArray); ok && len(a) == 1 {
		filter = a[0]
	}
	var out []byte
	switch filter {
	case nil:
		out = s.data
	case pdfName("FlateDecode"):
		zr, err := zlib.NewReader(bytes.NewReader(s.data))
		if err != nil {
			return nil, pdfErr("bad compressed stream: %v", err)
		}
		left := d.lim.MaxInflate - d.inflated
		out, err = io.ReadAll(io.LimitReader(zr, left+1))
		if int64(len(out)) > left {
			return nil, fmt.Errorf("%w: more than %d MiB inflated", errBudget, d.lim.MaxInflate>>20)
		}
		if err != nil && len(out) == 0 {
			return nil, pdfErr("bad compressed stream: %v", err)
		}
		d.inflated += int64(len(out))
	default:
		return nil, pdfErr("unsupported filter %v", filter)
	}
	parms, _ := s.dict["DecodeParms"].(pdfDict)
	if a, ok := s.dict["DecodeParms"].(pdfArray); ok && len(a) == 1 {
		parms, _ = a[0].(pdfDict)
	}
	if pred, _ := parms["Predictor"].(int64); pred >= 10 {
		cols, colors, bpc := int64(1), int64(1), int64(8)
		if v, ok := parms["Columns"].(int64); ok {
			cols = v
		}
		if v, ok := parms["Colors"].(int64); ok {
			colors = v
		}
		if v, ok := parms["BitsPerComponent"].(int64); ok {
			bpc = v
		}
		if cols < 1 || cols > 1<<20 || colors < 1 || colors > 32 || bpc < 1 || bpc > 16 {
			return nil, pdfErr("bad predictor parameters")
		}
		return unpredict(out, int((cols*colors*bpc+7)/8), int(max((colors*bpc)/8, 1)))
	} else if pred > 1 {
		return nil, pdfErr("unsupported predictor %d", pred)
	}
	return out, nil
}

// unpredict undoes the PNG row filters (None, Sub, Up, Average, Paeth).
func unpredict(in []byte, rowLen, bpp int) ([]byte, error) {
	stride := rowLen + 1
	out := make([]byte, 0, len(in)/stride*rowLen)
	prev := make([]byte, rowLen)
	for p := 0; p+stride <= len(in); p += stride {
		f, row := in[p], slices.Clone(in[p+1:p+stride])
		for i := range row {
			var left, up, ul byte
			if i >= bpp {
				left, ul = row[i-bpp], prev[i-bpp]
			}
			up = prev[i]
			switch f {
			case 0:
			case 1:
				row[i] += left
			case 2:
				row[i] += up
			case 3:
				row[i] += byte((int(left) + int(up)) / 2)
			case 4:
				pa, pb, pc := abs(int(up)-int(ul)), abs(int(left)-int(ul)), abs(int(left)+int(up)-2*int(ul))
				switch {
				case pa <= pb && pa <= pc:
					row[i] += left
				case pb <= pc:
					row[i] += up
				default:
					row[i] += ul
				}
			default:
				return nil, pdfErr("bad predictor row filter %d", f)
			}
		}
		out = append(out, row...)
		prev = row
	}
	return out, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// pageTree walks the catalogue's /Pages tree and returns the object
// numbers of its nodes (inner nodes and pages) and the number of pages.
func (d *pdfDoc) pageTree() (root pdfRef, nodes map[int]bool, pages int, err error) {
	cat, err := d.resolve(d.trailer["Root"])
	if err != nil {
		return root, nil, 0, err
	}
	catalog, ok := cat.(pdfDict)
	if !ok {
		return root, nil, 0, pdfErr("no catalogue")
	}
	root, ok = catalog["Pages"].(pdfRef)
	if !ok {
		return root, nil, 0, pdfErr("no page tree")
	}
	nodes = map[int]bool{}
	var walk func(r pdfRef, depth int) error
	walk = func(r pdfRef, depth int) error {
		if nodes[r.num] {
			return pdfErr("page tree loops at object %d", r.num)
		}
		if depth > maxDepth {
			return pdfErr("page tree deeper than %d", maxDepth)
		}
		nodes[r.num] = true
		o, err := d.get(r.num)
		if err != nil {
			return err
		}
		n, ok := o.(pdfDict)
		if !ok {
			return pdfErr("page tree node %d is not a dictionary", r.num)
		}
		kids, isTree := n["Kids"]
		if n["Type"] == pdfName("Page") || !isTree {
			pages++
			if pages > d.lim.MaxPages {
				return fmt.Errorf("%w: more than %d pages", errBudget, d.lim.MaxPages)
			}
			return nil
		}
		ks, err := d.resolve(kids)
		if err != nil {
			return err
		}
		arr, _ := ks.(pdfArray)
		for _, k := range arr {
			kr, ok := k.(pdfRef)
			if !ok {
				return pdfErr("page tree kid is not a reference")
			}
			if err := walk(kr, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return root, nil, 0, err
	}
	if pages == 0 {
		return root, nil, 0, pdfErr("no pages")
	}
	return root, nodes, pages, nil
}

// PDFPages parses a PDF and counts its pages; an error wraps ErrPDF.
func PDFPages(data []byte, lim PDFLimits) (int, error) {
	d, err := parsePDF(data, lim)
	if err != nil {
		return 0, err
	}
	_, _, n, err := d.pageTree()
	return n, err
}

// pageKeys are what a page or page-tree node keeps: its place in the
// tree, what is drawn, and how. Annotations (/Annots: links, widgets,
// file attachments, their actions), /AA triggers, /Metadata and private
// /PieceInfo are left behind.
var pageKeys = map[pdfName]bool{
	"Type": true, "Parent": true, "Kids": true, "Count": true, "Resources": true, "Contents": true,
	"MediaBox": true, "CropBox": true, "BleedBox": true, "TrimBox": true, "ArtBox": true,
	"Rotate": true, "Group": true, "UserUnit": true,
}

// dropKeys are removed from every other dictionary reached from the
// pages: scripts and actions, metadata, embedded and external files,
// forms and annotations.
var dropKeys = map[pdfName]bool{
	"Metadata": true, "JavaScript": true, "JS": true, "OpenAction": true, "AA": true, "A": true,
	"Names": true, "EmbeddedFiles": true, "EF": true, "AcroForm": true, "Annots": true, "URI": true,
	"PieceInfo": true, "Info": true, "Ref": true, "OPI": true, "Alternates": true,
}

// streamDropKeys are removed from stream dictionaries besides dropKeys:
// data kept in an external file, and the length, which is written anew.
var streamDropKeys = map[pdfName]bool{"F": true, "FFilter": true, "FDecodeParms": true, "DL": true, "Length": true}

type pdfWriter struct {
	d      *pdfDoc
	nodes  map[int]bool // page tree nodes
	newNum map[int]int
	queue  []int // old numbers to copy, in new-number order
}

// ref gives old object num its number in the new file.
func (w *pdfWriter) ref(num int) (pdfRef, error) {
	if n, ok := w.newNum[num]; ok {
		return pdfRef{n, 0}, nil
	}
	n := len(w.newNum) + 2 // 1 is the new catalogue
	if n > w.d.lim.MaxObjects {
		return pdfRef{}, fmt.Errorf("%w: more than %d objects", errBudget, w.d.lim.MaxObjects)
	}
	w.newNum[num] = n
	w.queue = append(w.queue, num)
	return pdfRef{n, 0}, nil
}

// clean copies v, renumbering references and dropping what is not kept.
func (w *pdfWriter) clean(v any, page bool) (any, error) {
	switch x := v.(type) {
	case pdfRef:
		if e, ok := w.d.xref[x.num]; !ok || (e.off < 0 && e.inStream < 0) {
			return nil, nil
		}
		return w.ref(x.num)
	case pdfArray:
		out := make(pdfArray, len(x))
		for i, e := range x {
			c, err := w.clean(e, false)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case pdfDict:
		out := pdfDict{}
		for _, k := range sortedKeys(x) {
			e := x[k]
			if page && !pageKeys[k] || !page && dropKeys[k] {
				continue
			}
			c, err := w.clean(e, false)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case *pdfStream:
		if t := x.dict["Type"]; t == pdfName("Metadata") || t == pdfName("EmbeddedFile") || t == pdfName("ObjStm") || t == pdfName("XRef") {
			return nil, nil
		}
		out := pdfDict{}
		for _, k := range sortedKeys(x.dict) {
			e := x.dict[k]
			if dropKeys[k] || streamDropKeys[k] {
				continue
			}
			c, err := w.clean(e, false)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		data := x.data
		if f := x.dict["Filter"]; f == pdfName("DCTDecode") || slices.Equal(asArray(f), pdfArray{pdfName("DCTDecode")}) {
			data = StripJPEGMetadata(data)
		}
		out["Length"] = int64(len(data))
		return &pdfStream{dict: out, data: data}, nil
	}
	return v, nil
}

func asArray(v any) pdfArray {
	a, _ := v.(pdfArray)
	return a
}

// sortedKeys orders a dictionary's keys, so that objects are numbered in
// the same order on every run: the same upload gives the same file.
func sortedKeys(d pdfDict) []pdfName {
	keys := make([]pdfName, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// PDF rewrites a PDF with only its pages and what they draw with (see the
// package's PDF notes). The result is a fresh file: one classic xref
// table, a trailer of /Size, /Root and an /ID computed from the content.
// An error wraps ErrPDF.
func PDF(data []byte, lim PDFLimits) ([]byte, error) {
	d, err := parsePDF(data, lim)
	if err != nil {
		return nil, err
	}
	root, nodes, _, err := d.pageTree()
	if err != nil {
		return nil, err
	}
	w := &pdfWriter{d: d, nodes: nodes, newNum: map[int]int{}}
	pagesRef, err := w.ref(root.num)
	if err != nil {
		return nil, err
	}
	objs := []any{pdfDict{"Type": pdfName("Catalog"), "Pages": pagesRef}}
	for i := 0; i < len(w.queue); i++ {
		o, err := d.get(w.queue[i])
		if err != nil {
			return nil, err
		}
		if i == 0 {
			if root, ok := o.(pdfDict); ok && root["Parent"] != nil {
				o = maps.Clone(root)
				delete(o.(pdfDict), "Parent") // the root has none; it would lead out of the tree
			}
		}
		c, err := w.clean(o, nodes[w.queue[i]])
		if err != nil {
			return nil, err
		}
		objs = append(objs, c)
	}
	var out bytes.Buffer
	out.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n", i+1)
		writeObj(&out, o)
		out.WriteString("\nendobj\n")
		if int64(out.Len()) > d.lim.MaxOutput {
			return nil, fmt.Errorf("%w: rewrite over %d MiB", errBudget, d.lim.MaxOutput>>20)
		}
	}
	sum := sha256.Sum256(out.Bytes())
	id := hex.EncodeToString(sum[:16])
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, id, id, xref)
	return out.Bytes(), nil
}

// writeObj serialises v; dictionary keys are sorted so that the same
// input always gives the same file (attachments are stored by hash).
func writeObj(out *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		out.WriteString("null")
	case bool:
		out.WriteString(strconv.FormatBool(x))
	case int64:
		out.WriteString(strconv.FormatInt(x, 10))
	case pdfReal:
		out.WriteString(string(x))
	case pdfString:
		out.WriteByte('<')
		out.WriteString(hex.EncodeToString(x))
		out.WriteByte('>')
	case pdfName:
		writeName(out, x)
	case pdfRef:
		fmt.Fprintf(out, "%d %d R", x.num, x.gen)
	case pdfArray:
		out.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				out.WriteByte(' ')
			}
			writeObj(out, e)
		}
		out.WriteByte(']')
	case pdfDict:
		out.WriteString("<<")
		for _, k := range sortedKeys(x) {
			writeName(out, k)
			out.WriteByte(' ')
			writeObj(out, x[k])
			out.WriteByte(' ')
		}
		out.WriteString(">>")
	case *pdfStream:
		writeObj(out, x.dict)
		out.WriteString("\nstream\n")
		out.Write(x.data)
		out.WriteString("\nendstream")
	}
}

func writeName(out *bytes.Buffer, n pdfName) {
	out.WriteByte('/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < 0x21 || c > 0x7e || c == '#' || isDelim(c) {
			fmt.Fprintf(out, "#%02X", c)
		} else {
			out.WriteByte(c)
		}
	}
}
