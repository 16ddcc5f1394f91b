package service

// What the event-source page (/admin/sources) needs: the sources with the
// number of their records waiting for review, and adding and revoking in
// an administrator's name. The command line calls the unchecked methods
// in intake_sources.go (it runs with the data dir's rights, not a user's).

import (
	"context"
	"errors"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// AdminEventSource is a source as the administrator's page shows it.
type AdminEventSource struct {
	store.EventSource // KeyHash blank
	// Waiting counts its records waiting in the review queue.
	Waiting int
}

// AdminEventSources lists every source, revoked or not, for an
// administrator.
func (s *Service) AdminEventSources(ctx context.Context, actor model.User) ([]AdminEventSource, error) {
	if actor.Role != model.RoleAdmin {
		return nil, ErrForbidden
	}
	srcs, err := s.store.EventSources(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AdminEventSource, 0, len(srcs))
	for _, src := range srcs {
		src.KeyHash = ""
		// One count per source: sources are a handful, not thousands.
		n, err := s.store.CountMachineEvents(ctx, store.MachineEventFilter{Status: store.MachineReview, SourceID: src.ID})
		if err != nil {
			return nil, err
		}
		out = append(out, AdminEventSource{EventSource: src, Waiting: n})
	}
	return out, nil
}

// AdminCreateEventSource is CreateEventSource for an administrator; the
// key is returned once.
func (s *Service) AdminCreateEventSource(ctx context.Context, actor model.User, in NewEventSource) (string, store.EventSource, error) {
	if actor.Role != model.RoleAdmin {
		return "", store.EventSource{}, ErrForbidden
	}
	key, src, err := s.CreateEventSource(ctx, in)
	src.KeyHash = ""
	return key, src, err
}

// AdminRevokeEventSource revokes a source by its id alone (RevokeEventSource
// also takes a code, and a code may look like another source's id). A
// source revoked already is returned as it is.
func (s *Service) AdminRevokeEventSource(ctx context.Context, actor model.User, id int64) (store.EventSource, error) {
	if actor.Role != model.RoleAdmin {
		return store.EventSource{}, ErrForbidden
	}
	srcs, err := s.store.EventSources(ctx)
	if err != nil {
		return store.EventSource{}, err
	}
	for _, src := range srcs {
		if src.ID != id {
			continue
		}
		src.KeyHash = ""
		if !src.RevokedAt.IsZero() {
			return src, nil
		}
		now := s.now()
		if err := s.store.RevokeEventSource(ctx, src.ID, now); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return src, ErrNotFound
			}
			return src, err
		}
		src.RevokedAt = now
		s.sourcesGen.Add(1) // this node's key cache reloads at once
		return src, nil
	}
	return store.EventSource{}, ErrNotFound
}
