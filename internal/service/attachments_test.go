package service

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// jpegWithEXIF returns a JPEG carrying an APP1 EXIF block with a GPS
// marker string, as a phone camera writes one.
func jpegWithEXIF(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, color.RGBA{10, 200, 10, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	payload := append([]byte("Exif\x00\x00"), []byte("GPSLatitude=27.7301;GPSLongitude=111.9901;SerialNumber=PHONE123")...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	seg = append(seg, payload...)
	return append(append(append([]byte{}, raw[:2]...), seg...), raw[2:]...)
}

func TestSanitizeImageDropsEXIF(t *testing.T) {
	in := jpegWithEXIF(t)
	if !bytes.Contains(in, []byte("GPSLatitude")) {
		t.Fatal("test image has no EXIF")
	}
	out, mime, err := sanitizeImage(in, "image/jpeg")
	if err != nil || mime != "image/jpeg" {
		t.Fatalf("sanitize: %v %s", err, mime)
	}
	if bytes.Contains(out, []byte("GPS")) || bytes.Contains(out, []byte("PHONE123")) || bytes.Contains(out, []byte("Exif")) {
		t.Fatal("EXIF survived re-encoding")
	}
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("re-encoded image unreadable: %v", err)
	}
}

func TestSanitizeRefusesBombsAndJunk(t *testing.T) {
	// A PNG header claiming 100000×100000 pixels.
	bomb := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00")
	if _, _, err := sanitizeImage(bomb, "image/png"); err == nil {
		t.Fatal("decompression bomb accepted")
	}
	if _, _, err := sanitizeImage([]byte("\xff\xd8\xff\xe0 not really a jpeg"), "image/jpeg"); err == nil {
		t.Fatal("broken JPEG accepted")
	}
}
