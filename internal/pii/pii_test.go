package pii

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Known-answer tests from the published standards: GB/T 32907-2016 (SM4)
// appendix A.1 and GB/T 32905-2016 (SM3) appendix A.1 and A.2.
func TestSM4KnownAnswer(t *testing.T) {
	key := mustHex("01234567 89abcdef fedcba98 76543210")
	c, err := sm4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 16)
	c.Encrypt(out, key)
	if got, want := hex.EncodeToString(out), "681edf34d206965e86b3e94f536e4246"; got != want {
		t.Fatalf("SM4 = %s, want %s", got, want)
	}
	// A.2: one million encryptions of the result.
	if testing.Short() {
		return
	}
	buf := append([]byte(nil), key...)
	for range 1000000 {
		c.Encrypt(buf, buf)
	}
	if got, want := hex.EncodeToString(buf), "595298c7c6fd271f0402f804c33d3f66"; got != want {
		t.Fatalf("SM4 ×1e6 = %s, want %s", got, want)
	}
}

func TestSM3KnownAnswer(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{strings.Repeat("abcd", 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
	} {
		sum := sm3.Sum([]byte(tc.in))
		if got := hex.EncodeToString(sum[:]); got != tc.want {
			t.Errorf("SM3(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestSealOpenBothSuites(t *testing.T) {
	for _, suite := range []string{AES, SM4} {
		line, err := GenerateKeyLine("k1", suite)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseKeys(line)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"13812345678", "刘小梅", "湖南省娄底市娄星区乐坪街道1号"} {
			sealed, err := r.Seal(s)
			if err != nil || !strings.HasPrefix(sealed, Prefix+"k1:") || strings.Contains(sealed, s) {
				t.Fatalf("%s Seal(%q) = %q, %v", suite, s, sealed, err)
			}
			again, _ := r.Seal(s)
			if again == sealed {
				t.Fatalf("%s: two seals of one value are equal (nonce reuse)", suite)
			}
			if got, err := r.Open(sealed); err != nil || got != s {
				t.Fatalf("%s Open = %q, %v", suite, got, err)
			}
			// Any change to the sealed text fails authentication.
			b := []byte(sealed)
			b[len(b)-3] ^= 1
			if _, err := r.Open(string(b)); err == nil {
				t.Fatalf("%s: tampered value opened", suite)
			}
		}
		if v, _ := r.Seal(""); v != "" {
			t.Fatalf("empty value sealed to %q", v)
		}
		if v, err := r.Open("13800000000"); err != nil || v != "13800000000" {
			t.Fatalf("plaintext from before encryption: %q, %v", v, err)
		}
	}
}

func TestRotation(t *testing.T) {
	l1, _ := GenerateKeyLine("2025", AES)
	l2, _ := GenerateKeyLine("2026", SM4)
	old, _ := ParseKeys(l1)
	sealed, _ := old.Seal("13812345678")
	ring, err := ParseKeys("# oldest first\n" + l1 + "\n\n" + l2 + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ring.Open(sealed); err != nil || got != "13812345678" {
		t.Fatalf("old value with the new ring: %q, %v", got, err)
	}
	if !ring.NeedsReseal(sealed) || !ring.NeedsReseal("plain") || ring.NeedsReseal("") {
		t.Fatal("NeedsReseal wrong")
	}
	fresh, _ := ring.Seal("x")
	if !strings.HasPrefix(fresh, Prefix+"2026:") || ring.NeedsReseal(fresh) {
		t.Fatalf("new seals use %q", fresh)
	}
	onlyNew, _ := ParseKeys(l2)
	if _, err := onlyNew.Open(sealed); err == nil {
		t.Fatal("a value opened without its key")
	}
	for _, bad := range []string{"k1 aes-gcm 00", "k1 des 0011", "k1", "a:b aes-gcm " + strings.Repeat("00", 32), l1 + "\n" + l1} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
}
