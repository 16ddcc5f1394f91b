package loadtest

import (
	"testing"
)

func TestCheckTargetLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://[::1]:9", "http://localhost:1"} {
		if _, err := CheckTarget(ok, false); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1", "http://192.168.1.10:8080", "https://8.8.8.8", "ftp://127.0.0.1", "127.0.0.1:8080"} {
		if _, err := CheckTarget(bad, false); err == nil {
			t.Errorf("%s accepted without --allow-remote", bad)
		}
	}
	if _, err := CheckTarget("http://10.0.0.1", true); err != nil {
		t.Errorf("--allow-remote refused: %v", err)
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix("cases=3, read=1")
	if err != nil || m["cases"] != 3 || m["read"] != 1 {
		t.Fatalf("ParseMix = %v, %v", m, err)
	}
	for _, bad := range []string{"", "cases", "cases=-1", "fly=1", "cases=x"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) accepted", bad)
		}
	}
}
