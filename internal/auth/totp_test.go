package auth

import (
	"encoding/base32"
	"testing"
	"time"
)

// RFC 6238 appendix B, SHA-1 rows (8 digits) and RFC 4226 appendix D.
func TestTOTPKnownAnswers(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"}, {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}} {
		if got := hotp(key, uint64(tc.unix/30), 8); got != tc.want {
			t.Errorf("TOTP at %d = %s, want %s", tc.unix, got, tc.want)
		}
	}
	for i, want := range []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"} {
		if got := hotp(key, uint64(i), 6); got != want {
			t.Errorf("HOTP(%d) = %s, want %s", i, got, want)
		}
	}
}

func TestCheckTOTP(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	now := time.Unix(1234567890, 0)
	code, _ := TOTPCode(secret, now)
	step, ok := CheckTOTP(secret, code, now, 0)
	if !ok || step != 1234567890/30 {
		t.Fatalf("valid code refused")
	}
	if _, ok := CheckTOTP(secret, code, now.Add(30*time.Second), 0); !ok {
		t.Fatal("one step of drift refused")
	}
	if _, ok := CheckTOTP(secret, code, now.Add(95*time.Second), 0); ok {
		t.Fatal("code accepted three steps later")
	}
	if _, ok := CheckTOTP(secret, code, now, step); ok {
		t.Fatal("a code was accepted twice")
	}
	if _, ok := CheckTOTP(secret, "000000", now, 0); ok && code != "000000" {
		t.Fatal("wrong code accepted")
	}
	s, _ := NewTOTPSecret()
	if len(s) != 32 {
		t.Fatalf("secret %q", s)
	}
	if u := TOTPURL(s, "yiwang", "admin"); u[:15] != "otpauth://totp/" {
		t.Fatalf("url %s", u)
	}
}
