package geo

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// CoordSys names the datum/obfuscation a coordinate pair is expressed in.
type CoordSys string

const (
	WGS84 CoordSys = "wgs84" // GPS, the index's internal system
	GCJ02 CoordSys = "gcj02" // "Mars" coordinates: AMap/Gaode, Tencent, WeChat
	BD09  CoordSys = "bd09"  // Baidu Maps (lng/lat flavour, BD-09LL)
)

// ErrUnknownCoordSys is wrapped by ParseCoordSys for unsupported names.
var ErrUnknownCoordSys = errors.New("geo: unknown coordinate system")

// coordSysSeparators is built once: ParseCoordSys is on the intake path.
var coordSysSeparators = strings.NewReplacer("-", "", "_", "")

// ParseCoordSys accepts the canonical names case-insensitively, ignoring '-'
// and '_' (so "GCJ-02" and "bd09ll" work, as clients spell them variously).
// An empty string means WGS84, the default for GPS devices.
func ParseCoordSys(s string) (CoordSys, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = coordSysSeparators.Replace(t)
	switch t {
	case "", "wgs84":
		return WGS84, nil
	case "gcj02":
		return GCJ02, nil
	case "bd09", "bd09ll":
		return BD09, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownCoordSys, s)
}

// Valid reports whether c is one of the supported systems.
func (c CoordSys) Valid() bool { return c == WGS84 || c == GCJ02 || c == BD09 }

// ToWGS84 converts (lat, lng) given in sys to WGS-84. An unknown sys is
// treated as WGS-84 (callers are expected to have used ParseCoordSys).
func ToWGS84(lat, lng float64, sys CoordSys) (float64, float64) {
	switch sys {
	case GCJ02:
		return gcjToWGS(lat, lng)
	case BD09:
		return gcjToWGS(bdToGCJ(lat, lng))
	}
	return lat, lng
}

// FromWGS84 converts a WGS-84 (lat, lng) to sys. Unknown sys: unchanged.
func FromWGS84(lat, lng float64, sys CoordSys) (float64, float64) {
	switch sys {
	case GCJ02:
		return wgsToGCJ(lat, lng)
	case BD09:
		return gcjToBD(wgsToGCJ(lat, lng))
	}
	return lat, lng
}

// OutOfChina is the conventional rectangular test used by every public GCJ-02
// implementation; GCJ-02 leaves coordinates outside it untouched. It is a
// bounding box, not the border: real Chinese territory is ≥1° inside it.
func OutOfChina(lat, lng float64) bool {
	return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271
}

// Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
const (
	krasovskyA  = 6378245.0
	krasovskyEE = 0.00669342162296594323
)

// gcjDelta is the GCJ-02 offset (degrees) at a WGS-84 position, without the
// out-of-China gate.
func gcjDelta(lat, lng float64) (dLat, dLng float64) {
	x, y := lng-105.0, lat-35.0
	xPi, yPi := x*math.Pi, y*math.Pi
	common := 20.0*math.Sin(6.0*xPi) + 20.0*math.Sin(2.0*xPi)

	tLat := common + 20.0*math.Sin(yPi) + 40.0*math.Sin(yPi/3.0) +
		160.0*math.Sin(yPi/12.0) + 320.0*math.Sin(yPi/30.0)
	tLng := common + 20.0*math.Sin(xPi) + 40.0*math.Sin(xPi/3.0) +
		150.0*math.Sin(xPi/12.0) + 300.0*math.Sin(xPi/30.0)
	tLat = tLat*2.0/3.0 + (-100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x)))
	tLng = tLng*2.0/3.0 + (300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x)))

	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - krasovskyEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (tLat * 180.0) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * math.Pi)
	dLng = (tLng * 180.0) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLat, dLng
}

func wgsToGCJ(lat, lng float64) (float64, float64) {
	if OutOfChina(lat, lng) {
		return lat, lng
	}
	dLat, dLng := gcjDelta(lat, lng)
	return lat + dLat, lng + dLng
}

// Inverse iteration limits. The offset's Jacobian is ~1e-3, so each
// fixed-point step gains ~3 digits: 4–5 steps reach the 1e-12° tolerance.
const (
	inverseTol   = 1e-12
	inverseSteps = 30
)

// gcjToWGS inverts wgsToGCJ by fixed-point iteration w ← w − (F(w) − g),
// starting from the one-step approximation g − δ(g) (~1 m error) that most
// libraries stop at.
func gcjToWGS(lat, lng float64) (float64, float64) {
	if OutOfChina(lat, lng) {
		return lat, lng
	}
	dLat, dLng := gcjDelta(lat, lng)
	wLat, wLng := lat-dLat, lng-dLng
	for range inverseSteps {
		dLat, dLng = gcjDelta(wLat, wLng)
		eLat, eLng := wLat+dLat-lat, wLng+dLng-lng
		wLat, wLng = wLat-eLat, wLng-eLng
		if math.Abs(eLat) < inverseTol && math.Abs(eLng) < inverseTol {
			break
		}
	}
	return wLat, wLng
}

// xPi is the BD-09 rotation constant (π·3000/180) from Baidu's formula.
const xPi = math.Pi * 3000.0 / 180.0

// gcjToBD applies Baidu's offset. Unlike GCJ-02 it is not gated by
// OutOfChina: the common libraries apply it everywhere, and doing so keeps
// the mapping invertible.
func gcjToBD(lat, lng float64) (float64, float64) {
	z := math.Hypot(lng, lat) + 0.00002*math.Sin(lat*xPi)
	theta := math.Atan2(lat, lng) + 0.000003*math.Cos(lng*xPi)
	return z*math.Sin(theta) + 0.006, z*math.Cos(theta) + 0.0065
}

// bdToGCJ starts from the usual closed-form approximation (error up to
// ~1e-6°) and refines it by fixed-point iteration against gcjToBD.
func bdToGCJ(lat, lng float64) (float64, float64) {
	x, y := lng-0.0065, lat-0.006
	z := math.Hypot(x, y) - 0.00002*math.Sin(y*xPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*xPi)
	gLat, gLng := z*math.Sin(theta), z*math.Cos(theta)
	for range inverseSteps {
		bLat, bLng := gcjToBD(gLat, gLng)
		eLat, eLng := bLat-lat, bLng-lng
		gLat, gLng = gLat-eLat, gLng-eLng
		if math.Abs(eLat) < inverseTol && math.Abs(eLng) < inverseTol {
			break
		}
	}
	return gLat, gLng
}
