// Package pii protects personal data at rest: reporter names, phones,
// addresses and identity documents are sealed with an AEAD before they
// reach the database and opened only in the service layer. Two suites:
// AES-256-GCM (default) and SM4-GCM (国密, for deployments that must pass a
// 密评). Keys form a ring: the newest seals, every key opens, so keys can be
// rotated and old rows re-sealed at leisure.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/emmansun/gmsm/sm4"
)

// Prefix marks a sealed value, so plaintext written before encryption was
// turned on still reads (and is sealed on the next write).
const Prefix = "pii1:"

// Suite names.
const (
	AES = "aes-gcm"
	SM4 = "sm4-gcm"
)

// Key is one key of the ring.
type Key struct {
	ID    string // short, unique; stored with each sealed value
	Suite string
	aead  cipher.AEAD
}

// Ring seals with the newest key and opens with any.
type Ring struct {
	keys    map[string]*Key
	current *Key
}

// NewKey makes a key from 16 (SM4) or 32 (AES-256) raw bytes.
func NewKey(id, suite string, raw []byte) (*Key, error) {
	if id == "" || strings.ContainsAny(id, ":") {
		return nil, fmt.Errorf("pii: bad key id %q", id)
	}
	var block cipher.Block
	var err error
	switch suite {
	case AES:
		if len(raw) != 32 {
			return nil, fmt.Errorf("pii: an AES key is 32 bytes, not %d", len(raw))
		}
		block, err = aes.NewCipher(raw)
	case SM4:
		if len(raw) != 16 {
			return nil, fmt.Errorf("pii: an SM4 key is 16 bytes, not %d", len(raw))
		}
		block, err = sm4.NewCipher(raw)
	default:
		return nil, fmt.Errorf("pii: unknown suite %q (aes-gcm or sm4-gcm)", suite)
	}
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Key{ID: id, Suite: suite, aead: aead}, nil
}

// NewRing builds a ring; the last key seals.
func NewRing(keys ...*Key) (*Ring, error) {
	if len(keys) == 0 {
		return nil, errors.New("pii: no keys")
	}
	r := &Ring{keys: map[string]*Key{}}
	for _, k := range keys {
		if _, dup := r.keys[k.ID]; dup {
			return nil, fmt.Errorf("pii: key id %q twice", k.ID)
		}
		r.keys[k.ID] = k
	}
	r.current = keys[len(keys)-1]
	return r, nil
}

// ParseKeys reads a key file: one key a line, "id suite hexkey", oldest
// first; blank lines and # comments ignored.
func ParseKeys(data string) (*Ring, error) {
	var keys []*Key
	for n, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("pii: key file line %d: want \"id suite hexkey\"", n+1)
		}
		raw, err := hex.DecodeString(f[2])
		if err != nil {
			return nil, fmt.Errorf("pii: key file line %d: %w", n+1, err)
		}
		k, err := NewKey(f[0], f[1], raw)
		if err != nil {
			return nil, fmt.Errorf("pii: key file line %d: %w", n+1, err)
		}
		keys = append(keys, k)
	}
	return NewRing(keys...)
}

// LoadKeys reads the ring from a file, or from the environment value
// itself when file is empty.
func LoadKeys(file, env string) (*Ring, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		return ParseKeys(string(b))
	}
	return ParseKeys(env)
}

// GenerateKeyLine returns a new random key line for a key file.
func GenerateKeyLine(id, suite string) (string, error) {
	n := 32
	if suite == SM4 {
		n = 16
	}
	raw := make([]byte, n)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	if _, err := NewKey(id, suite, raw); err != nil {
		return "", err
	}
	return id + " " + suite + " " + hex.EncodeToString(raw), nil
}

// Seal encrypts s; the empty string stays empty (nothing to protect, and
// "no phone given" stays visible to queries).
func (r *Ring) Seal(s string) (string, error) {
	if s == "" || r == nil {
		return s, nil
	}
	nonce := make([]byte, r.current.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := r.current.aead.Seal(nonce, nonce, []byte(s), []byte(r.current.ID))
	return Prefix + r.current.ID + ":" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// Open decrypts a sealed value; a value without the prefix is returned as
// it is (written before encryption was enabled).
func (r *Ring) Open(s string) (string, error) {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return s, nil
	}
	if r == nil {
		return "", errors.New("pii: value is sealed but no key ring is configured")
	}
	id, b64, ok := strings.Cut(rest, ":")
	k := r.keys[id]
	if !ok || k == nil {
		return "", fmt.Errorf("pii: no key %q in the ring", id)
	}
	ct, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(ct) < k.aead.NonceSize() {
		return "", errors.New("pii: sealed value is corrupt")
	}
	pt, err := k.aead.Open(nil, ct[:k.aead.NonceSize()], ct[k.aead.NonceSize():], []byte(id))
	if err != nil {
		return "", errors.New("pii: sealed value failed authentication")
	}
	return string(pt), nil
}

// NeedsReseal reports whether a stored value is plaintext or sealed with
// an older key (for rotation).
func (r *Ring) NeedsReseal(s string) bool {
	if s == "" || r == nil {
		return false
	}
	rest, ok := strings.CutPrefix(s, Prefix)
	return !ok || !strings.HasPrefix(rest, r.current.ID+":")
}

// KeyIDs lists the ring's key ids, sorted.
func (r *Ring) KeyIDs() []string {
	out := make([]string, 0, len(r.keys))
	for id := range r.keys {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
