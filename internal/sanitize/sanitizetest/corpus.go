// Package sanitizetest makes, in memory, the hostile and the ordinary files
// the sanitizer's tests and the HTTP tests post: decode bombs that claim far
// more pixels than they carry, truncated files, a photo with EXIF, and PDFs
// carrying every kind of metadata and script the sanitizer must drop. Each
// is generated, so the repository holds no binary fixtures.
package sanitizetest

import (
	"bytes"
	"compress/lzw"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"sort"
	"strings"
)

// Secrets are strings a sanitized file must no longer contain.
var Secrets = []string{"张三", "13800138000", "Author", "JavaScript", "app.alert", "OpenAction", "EmbeddedFile",
	"AcroForm", "xmpmeta", "secret-attachment", "GPSLatitude", "PHONE123", "Exif", "/Info", "/Metadata", "/Names", "/Annots", "/URI"}

// Photo is a 64×48 JPEG with an APP1 EXIF block naming a GPS position and a
// phone serial, as a camera writes one.
func Photo() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 90, 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	raw := b.Bytes()
	payload := append([]byte("Exif\x00\x00"), "GPSLatitude=27.7301;GPSLongitude=111.9901;SerialNumber=PHONE123"...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	seg = append(seg, payload...)
	return append(append(append([]byte{}, raw[:2]...), seg...), raw[2:]...)
}

// LargeJPEG is a w×h gradient JPEG: a few hundred kilobytes to send, but
// w×h pixels to decode and re-encode (5000×4000: a few hundred
// milliseconds of one core), for tests that need a decode to last.
func LargeJPEG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 50})
	return b.Bytes()
}

// SmallPNG is an ordinary 32×32 PNG.
func SmallPNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for i := range 32 {
		img.Set(i, i, color.NRGBA{200, 10, 10, 255})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// SmallGIF is an ordinary animation: 3 frames of 20×20.
func SmallGIF() []byte {
	g := &gif.GIF{}
	for i := range 3 {
		f := image.NewPaletted(image.Rect(0, 0, 20, 20), color.Palette{color.Black, color.White})
		f.SetColorIndex(i, i, 1)
		g.Image, g.Delay = append(g.Image, f), append(g.Delay, 10)
	}
	var b bytes.Buffer
	gif.EncodeAll(&b, g)
	return b.Bytes()
}

// SmallWebP is a 1×1 lossless WebP (the x/image encoder-free way to have
// one: its 34 bytes, as commonly published).
func SmallWebP() []byte {
	b, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	return b
}

// WebPWithEXIF wraps SmallWebP's image in an extended file (VP8X) that
// also carries an EXIF chunk with a GPS position.
func WebPWithEXIF() []byte {
	img := SmallWebP()[12:] // the VP8L chunk
	exif := []byte("Exif\x00\x00GPSLatitude=27.7301;SerialNumber=PHONE123")
	body := []byte("WEBP")
	body = append(body, "VP8X"...)
	body = binary.LittleEndian.AppendUint32(body, 10)
	body = append(body, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0) // EXIF flag, 1×1 canvas
	body = append(body, img...)
	body = append(body, "EXIF"...)
	body = binary.LittleEndian.AppendUint32(body, uint32(len(exif)))
	body = append(body, exif...)
	if len(exif)%2 == 1 {
		body = append(body, 0)
	}
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

// APNG is SmallPNG with an acTL chunk claiming a million frames (and no
// frame chunks): an animation the decoder reads as its default image.
func APNG() []byte {
	b := SmallPNG()
	actl := binary.BigEndian.AppendUint32(nil, 1_000_000)
	actl = binary.BigEndian.AppendUint32(actl, 0)
	head := append([]byte{}, b[:33]...) // signature and IHDR
	head = pngChunk(head, "acTL", actl)
	return append(head, b[33:]...)
}

// gifLZW compresses n pixels of colour 0 as GIF image data (minimum code
// size 2) in sub-blocks.
func gifLZW(n int) []byte {
	var z bytes.Buffer
	w := lzw.NewWriter(&z, lzw.LSB, 2)
	zero := make([]byte, 1<<16)
	for n > 0 {
		k := min(n, len(zero))
		w.Write(zero[:k])
		n -= k
	}
	w.Close()
	out := []byte{2}
	for d := z.Bytes(); len(d) > 0; {
		k := min(len(d), 255)
		out = append(out, byte(k))
		out = append(out, d[:k]...)
		d = d[k:]
	}
	return append(out, 0)
}

// gifFile assembles a GIF: screen w×h with a 4-colour global table, then
// the frames (each a descriptor at x,y of fw×fh and its data).
func gifFile(w, h int, frames [][5]int, data func(i int) []byte) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, uint16(w))
	b = binary.LittleEndian.AppendUint16(b, uint16(h))
	b = append(b, 0x81, 0, 0)          // global table of 4 colours
	b = append(b, make([]byte, 12)...) // the table
	// NETSCAPE loop extension and a comment, as real files carry.
	b = append(b, 0x21, 0xFF, 11)
	b = append(b, "NETSCAPE2.0"...)
	b = append(b, 3, 1, 0, 0, 0)
	b = append(b, 0x21, 0xFE, 7)
	b = append(b, "comment"...)
	b = append(b, 0)
	for i, f := range frames {
		b = append(b, 0x21, 0xF9, 4, 0, 10, 0, 0, 0) // graphic control: 0.1 s
		b = append(b, 0x2C)
		for _, v := range f[:4] {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
		b = append(b, 0)
		b = append(b, data(i)...)
	}
	return append(b, 0x3B)
}

// GIFBomb is the attack of issue #16: a 6000×6000 logical screen and 200
// full-screen frames of one colour, each LZW-compressed to a few tens of
// kilobytes (about 5 MB in all), which a decoder expands to 7.2 gigapixels.
// frames and side may be made smaller for a quicker test.
func GIFBomb(side, frames int) []byte {
	data := gifLZW(side * side)
	fs := make([][5]int, frames)
	for i := range fs {
		fs[i] = [5]int{0, 0, side, side}
	}
	return gifFile(side, side, fs, func(int) []byte { return data })
}

// GIFOutsideScreen has a 10×10 screen and a 100×100 frame.
func GIFOutsideScreen() []byte {
	return gifFile(10, 10, [][5]int{{0, 0, 100, 100}}, func(int) []byte { return gifLZW(100 * 100) })
}

func pngChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	c := append([]byte(typ), data...)
	b = append(b, c...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(c))
}

// PNGBomb claims 50000×50000 RGBA pixels (10 GB decoded) with a tiny IDAT.
func PNGBomb() []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, 50000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 50000)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	b = pngChunk(b, "IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 1<<16))
	zw.Close()
	b = pngChunk(b, "IDAT", z.Bytes())
	return pngChunk(b, "IEND", nil)
}

// JPEGBomb is a real small JPEG whose frame header claims 65000×65000.
func JPEGBomb(progressive bool) []byte {
	b := Photo()
	for p := 2; p+9 < len(b); {
		m := b[p+1]
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if m == 0xC0 {
			if progressive {
				b[p+1] = 0xC2
			}
			binary.BigEndian.PutUint16(b[p+5:], 65000)
			binary.BigEndian.PutUint16(b[p+7:], 65000)
			return b
		}
		p += 2 + n
	}
	panic("no SOF0")
}

// JPEGProgressive is a JPEG header claiming a 6000×4000 progressive frame:
// 24 megapixels, under the still limit, but a progressive decoder keeps
// about 15 bytes a pixel (360 MB), over the memory budget.
func JPEGProgressive() []byte {
	b := JPEGBomb(true)
	for p := 2; p+9 < len(b); {
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if b[p+1] == 0xC2 {
			binary.BigEndian.PutUint16(b[p+5:], 4000)
			binary.BigEndian.PutUint16(b[p+7:], 6000)
			return b
		}
		p += 2 + n
	}
	panic("no SOF2")
}

// WebPBomb is an extended WebP whose VP8X canvas is w×h, holding a 1×1
// lossless image.
func WebPBomb(w, h int) []byte {
	vp8x := []byte{0, 0, 0, 0}
	vp8x = append(vp8x, byte(w-1), byte((w-1)>>8), byte((w-1)>>16), byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	// A 1×1 VP8L: signature, 14-bit width-1 and height-1 (0), alpha 0, version 0, then a minimal body.
	vp8l := []byte{0x2f, 0, 0, 0, 0, 0x00, 0x00, 0x00}
	body := []byte("WEBP")
	for _, c := range []struct {
		id   string
		data []byte
	}{{"VP8X", vp8x}, {"VP8L", vp8l}} {
		body = append(body, c.id...)
		body = binary.LittleEndian.AppendUint32(body, uint32(len(c.data)))
		body = append(body, c.data...)
		if len(c.data)%2 == 1 {
			body = append(body, 0)
		}
	}
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

// Truncated returns the first half of b.
func Truncated(b []byte) []byte { return b[:len(b)/2] }

// Bombs are the files that must be refused as too large, by name.
func Bombs() map[string][]byte {
	return map[string][]byte{
		"gif-6000x6000x200":  GIFBomb(6000, 200),
		"png-50000x50000":    PNGBomb(),
		"jpeg-65000x65000":   JPEGBomb(false),
		"jpeg-progressive":   JPEGProgressive(),
		"webp-vp8x-16384sq":  WebPBomb(16384, 16384),
		"webp-vp8x-16777216": WebPBomb(1<<24, 1<<24),
	}
}

// Broken are files that must be refused as unreadable, by name.
func Broken() map[string][]byte {
	return map[string][]byte{
		"gif-frame-outside-screen": GIFOutsideScreen(),
		"gif-truncated":            Truncated(SmallGIF()),
		"png-truncated":            Truncated(SmallPNG()),
		"jpeg-truncated":           Truncated(Photo()),
	}
}

// pdfObj is one object of a generated PDF: its body, and stream data if
// it is a stream.
type pdfObj struct {
	body   string
	stream []byte
}

// PDF returns a two-page PDF carrying everything the sanitizer must drop:
// /Info with an author's name and phone, an XMP metadata stream, a JPEG
// image with EXIF (GPS and a phone serial), an
// /OpenAction and a /Names JavaScript tree, an embedded file, an /AcroForm
// with a field, and a link annotation with a JavaScript action. With
// objStreams the objects are packed into a compressed object stream with a
// compressed xref stream (PNG Up predictor), as PDF 1.5+ writers do.
func PDF(objStreams bool) []byte {
	content := []byte("BT /F1 24 Tf 72 720 Td (Hello page) Tj ET q 64 0 0 48 72 600 cm /Im1 Do Q")
	photo := Photo() // a JPEG with EXIF, drawn on both pages
	var cz bytes.Buffer
	zw := zlib.NewWriter(&cz)
	zw.Write(content)
	zw.Close()
	secret := "张三 13800138000 secret data"
	xmp := `<?xpacket begin=""?><x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>张三 13800138000</dc:creator></x:xmpmeta><?xpacket end="w"?>`
	objs := map[int]pdfObj{
		1:  {body: `<< /Type /Catalog /Pages 2 0 R /Metadata 3 0 R /OpenAction 4 0 R /Names << /JavaScript 5 0 R /EmbeddedFiles 6 0 R >> /AcroForm << /Fields [9 0 R] >> /AA << /WC 4 0 R >> >>`},
		2:  {body: `<< /Type /Pages /Kids [10 0 R 11 0 R] /Count 2 /MediaBox [0 0 595 842] >>`},
		3:  {body: `<< /Type /Metadata /Subtype /XML /Length ` + fmt.Sprint(len(xmp)) + ` >>`, stream: []byte(xmp)},
		4:  {body: `<< /Type /Action /S /JavaScript /JS (app.alert\('hi'\)) >>`},
		5:  {body: `<< /Names [(js1) 4 0 R] >>`},
		6:  {body: `<< /Names [(secret-attachment.txt) 7 0 R] >>`},
		7:  {body: `<< /Type /Filespec /F (secret-attachment.txt) /EF << /F 8 0 R >> >>`},
		8:  {body: `<< /Type /EmbeddedFile /Length ` + fmt.Sprint(len(secret)) + ` >>`, stream: []byte(secret)},
		9:  {body: `<< /FT /Tx /T (name) /V (张三) /Rect [0 0 10 10] /Subtype /Widget /P 10 0 R >>`},
		10: {body: `<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 12 0 R >> /XObject << /Im1 16 0 R >> >> /Contents 13 0 R /Annots [14 0 R 9 0 R] /AA << /O 4 0 R >> /Metadata 3 0 R >>`},
		11: {body: `<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 12 0 R >> /XObject << /Im1 16 0 R >> >> /Contents 13 0 R >>`},
		12: {body: `<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>`},
		13: {body: `<< /Length ` + fmt.Sprint(cz.Len()) + ` /Filter /FlateDecode >>`, stream: cz.Bytes()},
		14: {body: `<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A << /S /URI /URI (http://evil.example/?u=13800138000) >> >>`},
		15: {body: `<< /Title (report) /Author (张三 13800138000) /Producer (scanner) >>`},
		16: {body: `<< /Type /XObject /Subtype /Image /Width 64 /Height 48 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ` +
			fmt.Sprint(len(photo)) + ` >>`, stream: photo},
	}
	// The Chinese strings are written as their UTF-8 bytes, which a
	// literal string carries as they are.
	if objStreams {
		return pdfWithObjStm(objs)
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := map[int]int{}
	for n := 1; n <= len(objs); n++ {
		o := objs[n]
		offsets[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s", n, o.body)
		if o.stream != nil {
			b.WriteString("\nstream\n")
			b.Write(o.stream)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for n := 1; n <= len(objs); n++ {
		fmt.Fprintf(&b, "%010d 00000 n \n", offsets[n])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 15 0 R /ID [<0102> <0102>] >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

// pdfWithObjStm writes the non-stream objects into an object stream and
// the cross-reference data as an xref stream, numbered after them.
func pdfWithObjStm(objs map[int]pdfObj) []byte {
	stmNum, xrefNum := len(objs)+1, len(objs)+2
	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
	type entry struct{ typ, a, b int }
	entries := map[int]entry{}
	var packed []int
	for n, o := range objs {
		if o.stream == nil {
			packed = append(packed, n)
		}
	}
	sort.Ints(packed)
	for n := 1; n <= len(objs); n++ {
		if o := objs[n]; o.stream != nil {
			entries[n] = entry{1, b.Len(), 0}
			fmt.Fprintf(&b, "%d 0 obj\n%s\nstream\n", n, o.body)
			b.Write(o.stream)
			b.WriteString("\nendstream\nendobj\n")
		}
	}
	var head, body strings.Builder
	for i, n := range packed {
		fmt.Fprintf(&head, "%d %d ", n, body.Len())
		body.WriteString(objs[n].body)
		body.WriteString("\n")
		entries[n] = entry{2, stmNum, i}
	}
	stm := head.String() + body.String()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(stm))
	zw.Close()
	entries[stmNum] = entry{1, b.Len(), 0}
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n", stmNum, len(packed), len(head.String()), z.Len())
	b.Write(z.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	entries[xrefNum] = entry{1, b.Len(), 0}
	// Rows of W [1 4 2], each preceded by the PNG "Up" filter byte.
	var raw []byte
	prev := make([]byte, 7)
	for n := 0; n <= xrefNum; n++ {
		e, ok := entries[n]
		row := make([]byte, 7)
		if ok {
			row[0] = byte(e.typ)
			binary.BigEndian.PutUint32(row[1:], uint32(e.a))
			binary.BigEndian.PutUint16(row[5:], uint16(e.b))
		} else {
			row[5], row[6] = 0xFF, 0xFF // free
		}
		raw = append(raw, 2)
		for i := range row {
			raw = append(raw, row[i]-prev[i])
		}
		prev = row
	}
	z.Reset()
	zw = zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Info 15 0 R /Filter /FlateDecode /DecodeParms << /Columns 7 /Predictor 12 >> /Length %d >>\nstream\n", xrefNum, xrefNum+1, z.Len())
	b.Write(z.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", entries[xrefNum].a)
	return b.Bytes()
}

// EncryptedPDF is the plain PDF with an /Encrypt dictionary in its trailer.
func EncryptedPDF() []byte {
	return bytes.Replace(PDF(false), []byte("/Root 1 0 R /Info"), []byte("/Encrypt << /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >> /Root 1 0 R /Info"), 1)
}

// GarbagePDF starts like a PDF and is nothing else.
func GarbagePDF() []byte {
	return []byte("%PDF-1.7\n" + strings.Repeat("this is not a pdf object ( << [ /x ", 200))
}
