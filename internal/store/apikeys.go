package store

import (
	"context"
	"time"
)

// APIKey is a key an outside system (an Open311 client) presents. Only the
// SHA-256 of the key is kept.
type APIKey struct {
	ID     int64
	Name   string
	Prefix string // the key's first characters, to tell keys apart
	Hash   string
	// Jurisdiction restricts the key to one Open311 jurisdiction_id; ""
	// means any jurisdiction this server serves.
	Jurisdiction string
	// RatePerMinute is the key's request budget; 0 means the default.
	RatePerMinute int
	// Scope is what the key reads from Open311: KeyScopePublic (what
	// anyone sees without a key) or KeyScopeStaff (every case of a public
	// category, exact and unmasked).
	Scope     string
	CreatedAt time.Time
	RevokedAt time.Time // zero while the key is valid
}

// API key scopes.
const (
	KeyScopePublic = "public"
	KeyScopeStaff  = "staff"
)

// APIKeyStore keeps API keys.
type APIKeyStore interface {
	// CreateAPIKey inserts k and sets k.ID.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// APIKeyByHash finds a key, revoked or not, by its hash.
	APIKeyByHash(ctx context.Context, hash string) (APIKey, error)
	ListAPIKeys(ctx context.Context) ([]APIKey, error)
	// RevokeAPIKey marks a key revoked; ErrNotFound if there is none.
	RevokeAPIKey(ctx context.Context, id int64, at time.Time) error
}

// InteropStore is what the interoperability features keep: API keys and
// the Open311 extras.
type InteropStore interface {
	APIKeyStore
	Open311Store
}
