package pii

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestSealWithPassphrase: a sealed key file opens with its passphrase
// only; a changed header (weaker parameters, another salt) or body fails
// authentication; a header asking for absurd memory is refused before any
// work; the keys do not appear in the sealed text.
func TestSealWithPassphrase(t *testing.T) {
	line, _ := GenerateKeyLine("k1", AES)
	keys := []byte("# keys\n" + line + "\n")
	start := time.Now()
	sealed, err := SealWithPassphrase(keys, []byte("县 passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("argon2id t=%d m=%d KiB p=%d + AES-256-GCM: %v", sealTime, sealMemory, sealThreads, time.Since(start).Round(time.Millisecond))
	if strings.Contains(string(sealed), strings.Fields(line)[2]) {
		t.Fatal("key in the clear in the sealed text")
	}
	got, err := OpenWithPassphrase(sealed, []byte("县 passphrase"))
	if err != nil || string(got) != string(keys) {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := OpenWithPassphrase(sealed, []byte("县 passphrasE")); !errors.Is(err, ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	header, body, _ := strings.Cut(string(sealed), "\n")
	weaker := strings.Replace(header, " t=3 ", " t=1 ", 1) + "\n" + body
	if _, err := OpenWithPassphrase([]byte(weaker), []byte("县 passphrase")); !errors.Is(err, ErrPassphrase) {
		t.Fatalf("changed parameters: %v", err)
	}
	flipped := []byte(string(sealed))
	flipped[len(header)+10] ^= 1
	if _, err := OpenWithPassphrase(flipped, []byte("县 passphrase")); err == nil {
		t.Fatal("changed body opened")
	}
	greedy := strings.Replace(header, " m=65536 ", " m=4294967295 ", 1) + "\n" + body
	if _, err := OpenWithPassphrase([]byte(greedy), []byte("x")); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("absurd memory: %v", err)
	}
	if _, err := OpenWithPassphrase([]byte("k1 aes-gcm 00\n"), []byte("x")); err == nil {
		t.Fatal("a plain key file taken for a sealed one")
	}
	if _, err := SealWithPassphrase(keys, nil); err == nil {
		t.Fatal("sealed under an empty passphrase")
	}
}
