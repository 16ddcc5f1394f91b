package service

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/auth"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// APIKeyPrefix starts every API key, so a leaked key is recognisable in
// logs and secret scanners.
const APIKeyPrefix = "yw311_"

// ErrKeyRevoked: the API key was valid once and has been revoked.
var ErrKeyRevoked = errors.New("api key revoked")

var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewAPIKey is the input of CreateAPIKey.
type NewAPIKey struct {
	Name          string
	Jurisdiction  string // "" for every jurisdiction this server serves
	RatePerMinute int    // 0: the default
	// Scope is store.KeyScopePublic (the default: the key reads what
	// anyone reads) or store.KeyScopeStaff (exact, unmasked, every case).
	Scope string
}

// CreateAPIKey makes a key and stores its hash. The key itself is returned
// once and never kept.
func (s *Service) CreateAPIKey(ctx context.Context, in NewAPIKey) (string, store.APIKey, error) {
	v := &ValidationError{}
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		v.add("name", "field.required")
	case utf8.RuneCountInString(in.Name) > 100:
		v.add("name", "field.too_long", 100)
	}
	in.Jurisdiction = strings.TrimSpace(in.Jurisdiction)
	if in.Jurisdiction != "" {
		if _, ok := s.Jurisdictions()[in.Jurisdiction]; !ok {
			v.add("jurisdiction", "field.unknown_jurisdiction")
		}
	}
	if in.RatePerMinute < 0 || in.RatePerMinute > 100000 {
		v.add("rate", "field.wrong_type")
	}
	switch in.Scope = strings.TrimSpace(in.Scope); in.Scope {
	case "":
		in.Scope = store.KeyScopePublic
	case store.KeyScopePublic, store.KeyScopeStaff:
	default:
		v.add("scope", "field.unknown_value")
	}
	if err := v.err(); err != nil {
		return "", store.APIKey{}, err
	}
	b := make([]byte, 25)
	if _, err := rand.Read(b); err != nil {
		return "", store.APIKey{}, err
	}
	key := APIKeyPrefix + keyEncoding.EncodeToString(b)
	k := store.APIKey{
		Name: in.Name, Prefix: key[:len(APIKeyPrefix)+6], Hash: auth.HashToken(key), Jurisdiction: in.Jurisdiction,
		RatePerMinute: in.RatePerMinute, Scope: in.Scope, CreatedAt: s.now(),
	}
	if err := s.store.CreateAPIKey(ctx, &k); err != nil {
		return "", k, err
	}
	return key, k, nil
}

// CheckAPIKey returns the stored key for a presented one: ErrUnauthorized
// when it is empty or unknown, ErrKeyRevoked when it was revoked.
func (s *Service) CheckAPIKey(ctx context.Context, key string) (store.APIKey, error) {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > 200 {
		return store.APIKey{}, ErrUnauthorized
	}
	k, err := s.store.APIKeyByHash(ctx, auth.HashToken(key))
	if errors.Is(err, store.ErrNotFound) {
		return k, ErrUnauthorized
	}
	if err != nil {
		return k, err
	}
	if !k.RevokedAt.IsZero() {
		return k, ErrKeyRevoked
	}
	return k, nil
}

// ListAPIKeys lists the keys (hashes and prefixes only).
func (s *Service) ListAPIKeys(ctx context.Context) ([]store.APIKey, error) {
	return s.store.ListAPIKeys(ctx)
}

// RevokeAPIKey revokes a key by id or by its prefix.
func (s *Service) RevokeAPIKey(ctx context.Context, idOrPrefix string) (store.APIKey, error) {
	keys, err := s.store.ListAPIKeys(ctx)
	if err != nil {
		return store.APIKey{}, err
	}
	var found []store.APIKey
	for _, k := range keys {
		if itoa(k.ID) == idOrPrefix || (len(idOrPrefix) >= len(APIKeyPrefix)+4 && strings.HasPrefix(k.Prefix, idOrPrefix)) ||
			(len(idOrPrefix) > len(k.Prefix) && strings.HasPrefix(idOrPrefix, k.Prefix) && auth.HashToken(idOrPrefix) == k.Hash) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		return store.APIKey{}, ErrNotFound
	case 1:
	default:
		return store.APIKey{}, ErrConflict
	}
	k := found[0]
	if err := s.store.RevokeAPIKey(ctx, k.ID, s.now()); err != nil {
		return k, err
	}
	k.RevokedAt = s.now()
	return k, nil
}
