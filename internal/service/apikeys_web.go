package service

// What the API-key page (/admin/apikeys) needs: the keys, and issuing and
// revoking in an administrator's name. The command line calls the
// unchecked methods in apikeys.go (it runs with the data dir's rights,
// not a user's).

import (
	"context"
	"errors"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// AdminAPIKeys lists every key, revoked or not, for an administrator;
// the hashes are blank.
func (s *Service) AdminAPIKeys(ctx context.Context, actor model.User) ([]store.APIKey, error) {
	if actor.Role != model.RoleAdmin {
		return nil, ErrForbidden
	}
	keys, err := s.store.ListAPIKeys(ctx)
	if err != nil {
		return nil, err
	}
	for i := range keys {
		keys[i].Hash = ""
	}
	return keys, nil
}

// AdminCreateAPIKey is CreateAPIKey for an administrator; the key is
// returned once.
func (s *Service) AdminCreateAPIKey(ctx context.Context, actor model.User, in NewAPIKey) (string, store.APIKey, error) {
	if actor.Role != model.RoleAdmin {
		return "", store.APIKey{}, ErrForbidden
	}
	key, k, err := s.CreateAPIKey(ctx, in)
	k.Hash = ""
	return key, k, err
}

// AdminRevokeAPIKey revokes a key by its id alone (RevokeAPIKey also takes
// a prefix, and a prefix may look like another key's id). A key revoked
// already is returned as it is. Keys are checked against the database on
// every request, so the revocation holds at once on every node.
func (s *Service) AdminRevokeAPIKey(ctx context.Context, actor model.User, id int64) (store.APIKey, error) {
	if actor.Role != model.RoleAdmin {
		return store.APIKey{}, ErrForbidden
	}
	keys, err := s.store.ListAPIKeys(ctx)
	if err != nil {
		return store.APIKey{}, err
	}
	for _, k := range keys {
		if k.ID != id {
			continue
		}
		k.Hash = ""
		if !k.RevokedAt.IsZero() {
			return k, nil
		}
		now := s.now()
		if err := s.store.RevokeAPIKey(ctx, k.ID, now); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return k, ErrNotFound
			}
			return k, err
		}
		k.RevokedAt = now
		return k, nil
	}
	return store.APIKey{}, ErrNotFound
}
