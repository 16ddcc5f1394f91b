package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// A key ring travelling in a backup is sealed under an operator's
// passphrase, so the backup alone (a copied tape, a lost disk) opens
// nothing. The sealed form is two text lines: a header naming the KDF and
// its parameters, then the AES-256-GCM nonce and ciphertext in base64. The
// header is the ciphertext's additional data, so changing a parameter
// fails authentication instead of deriving another key.
//
//	yiwang-sealed-keys v1 argon2id t=3 m=65536 p=4 salt=… aes-256-gcm
//	<base64 nonce‖ciphertext>

// Argon2id cost of a sealed key ring: RFC 9106's second recommended
// setting (64 MiB, 3 passes). An operator opens it once per restore, so
// the cost is spent where it hurts a guesser most.
const (
	sealTime    = 3
	sealMemory  = 64 * 1024 // KiB
	sealThreads = 4
	sealHeader  = "yiwang-sealed-keys v1"
)

// ErrPassphrase means the passphrase does not open the sealed ring (or the
// sealed ring was altered: GCM cannot tell the two apart).
var ErrPassphrase = errors.New("pii: the passphrase does not open the sealed key ring (wrong passphrase, or the file was altered)")

// SealWithPassphrase seals a key file's text under passphrase.
func SealWithPassphrase(keys, passphrase []byte) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("pii: empty passphrase")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	header := fmt.Sprintf("%s argon2id t=%d m=%d p=%d salt=%s aes-256-gcm", sealHeader, sealTime, sealMemory, sealThreads, base64.RawStdEncoding.EncodeToString(salt))
	aead, err := passphraseAEAD(passphrase, salt, sealTime, sealMemory, sealThreads)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	ct := aead.Seal(nonce, nonce, keys, []byte(header))
	return []byte(header + "\n" + base64.StdEncoding.EncodeToString(ct) + "\n"), nil
}

// OpenWithPassphrase opens what SealWithPassphrase sealed; ErrPassphrase
// when the passphrase is wrong.
func OpenWithPassphrase(sealed, passphrase []byte) ([]byte, error) {
	header, body, ok := strings.Cut(string(sealed), "\n")
	if !ok || !strings.HasPrefix(header, sealHeader+" ") {
		return nil, errors.New("pii: not a sealed key ring")
	}
	var t, m uint32
	var p uint8
	var salt64 string
	if _, err := fmt.Sscanf(strings.TrimPrefix(header, sealHeader+" "), "argon2id t=%d m=%d p=%d salt=%s aes-256-gcm", &t, &m, &p, &salt64); err != nil {
		return nil, fmt.Errorf("pii: sealed key ring header %q: %w", header, err)
	}
	// Bounds keep a crafted header from asking for terabytes of memory.
	if t < 1 || t > 64 || m < 8*1024 || m > 4*1024*1024 || p < 1 {
		return nil, fmt.Errorf("pii: sealed key ring header %q: parameters out of range", header)
	}
	salt, err := base64.RawStdEncoding.DecodeString(salt64)
	if err != nil || len(salt) < 8 {
		return nil, fmt.Errorf("pii: sealed key ring header %q: bad salt", header)
	}
	ct, err := base64.StdEncoding.DecodeString(strings.TrimSpace(body))
	if err != nil {
		return nil, errors.New("pii: sealed key ring is corrupt")
	}
	aead, err := passphraseAEAD(passphrase, salt, t, m, p)
	if err != nil {
		return nil, err
	}
	if len(ct) < aead.NonceSize() {
		return nil, errors.New("pii: sealed key ring is corrupt")
	}
	pt, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], []byte(header))
	if err != nil {
		return nil, ErrPassphrase
	}
	return pt, nil
}

func passphraseAEAD(passphrase, salt []byte, t, m uint32, p uint8) (cipher.AEAD, error) {
	key := argon2.IDKey(passphrase, salt, t, m, p, 32)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// SealedKeyID returns the id of the key that sealed v ("" for plaintext).
func SealedKeyID(v string) string {
	rest, ok := strings.CutPrefix(v, Prefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, ":")
	return id
}

// Has reports whether the ring holds a key with this id.
func (r *Ring) Has(id string) bool { return r != nil && r.keys[id] != nil }
