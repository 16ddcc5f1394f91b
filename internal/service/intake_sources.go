package service

import (
	"context"
	"crypto/rand"
	"errors"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/auth"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// EventKeyPrefix starts every event-source key, so a leaked key is
// recognisable in logs and secret scanners.
const EventKeyPrefix = "ywev_"

// Defaults of an event source (configurable per source).
const (
	DefaultMinConfidence = 0.6
	DefaultFoldWindow    = 10 * time.Minute
	DefaultFoldDistanceM = 50
	DefaultNoteEvery     = 10
)

// Source kinds.
const (
	SourceVideo  = "video"
	SourceSensor = "sensor"
)

var sourceCodeRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)

// NewEventSource is the input of CreateEventSource. Zero numbers take the
// defaults.
type NewEventSource struct {
	Code          string
	Name          string
	Kind          string
	MinConfidence float64
	FoldWindow    time.Duration
	FoldDistanceM float64
	NoteEvery     int
	TypeMap       map[string]string // event type → category code
}

// CreateEventSource registers a video or sensor source and returns its key,
// once; only the key's hash is stored.
func (s *Service) CreateEventSource(ctx context.Context, in NewEventSource) (string, store.EventSource, error) {
	v := &ValidationError{}
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	if !sourceCodeRe.MatchString(in.Code) {
		v.add("code", "field.wrong_type")
	}
	switch {
	case in.Name == "":
		v.add("name", "field.required")
	case utf8.RuneCountInString(in.Name) > 100:
		v.add("name", "field.too_long", 100)
	}
	if in.Kind == "" {
		in.Kind = SourceVideo
	}
	if in.Kind != SourceVideo && in.Kind != SourceSensor {
		v.add("kind", "field.unknown_value")
	}
	if in.MinConfidence == 0 {
		in.MinConfidence = DefaultMinConfidence
	}
	if math.IsNaN(in.MinConfidence) || in.MinConfidence < 0 || in.MinConfidence > 1 {
		v.add("min_confidence", "field.out_of_range", 0, 1)
	}
	if in.FoldWindow == 0 {
		in.FoldWindow = DefaultFoldWindow
	}
	if in.FoldWindow < 0 || in.FoldWindow > 24*time.Hour {
		v.add("window", "field.out_of_range", "0s", "24h")
	}
	if in.FoldDistanceM == 0 {
		in.FoldDistanceM = DefaultFoldDistanceM
	}
	if math.IsNaN(in.FoldDistanceM) || in.FoldDistanceM < 0 || in.FoldDistanceM > 10000 {
		v.add("distance", "field.out_of_range", 0, 10000)
	}
	if in.NoteEvery == 0 {
		in.NoteEvery = DefaultNoteEvery
	}
	if in.NoteEvery < 0 || in.NoteEvery > 1_000_000 {
		v.add("note_every", "field.out_of_range", 1, 1_000_000)
	}
	ref := s.Ref()
	for typ, code := range in.TypeMap {
		if c, ok := ref.ByCode[code]; !ok || !ref.IsLeaf(c.ID) || typ == "" {
			v.add("map."+typ, "field.unknown_category")
		}
	}
	if err := v.err(); err != nil {
		return "", store.EventSource{}, err
	}
	b := make([]byte, 25)
	if _, err := rand.Read(b); err != nil {
		return "", store.EventSource{}, err
	}
	key := EventKeyPrefix + keyEncoding.EncodeToString(b)
	src := store.EventSource{
		Code: in.Code, Name: in.Name, Kind: in.Kind, KeyPrefix: key[:len(EventKeyPrefix)+6], KeyHash: auth.HashToken(key),
		MinConfidence: in.MinConfidence, FoldWindow: in.FoldWindow, FoldDistanceM: in.FoldDistanceM, NoteEvery: in.NoteEvery,
		TypeMap: in.TypeMap, CreatedAt: s.now(),
	}
	if err := s.store.CreateEventSource(ctx, &src); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return "", src, Invalid("code", "field.duplicate")
		}
		return "", src, err
	}
	s.sourcesGen.Add(1)
	return key, src, nil
}

// ListEventSources lists the sources (key prefixes and hashes only).
func (s *Service) ListEventSources(ctx context.Context) ([]store.EventSource, error) {
	return s.store.EventSources(ctx)
}

// RevokeEventSource revokes a source's key by its code or id.
func (s *Service) RevokeEventSource(ctx context.Context, codeOrID string) (store.EventSource, error) {
	srcs, err := s.store.EventSources(ctx)
	if err != nil {
		return store.EventSource{}, err
	}
	for _, src := range srcs {
		if src.Code == codeOrID || itoa(src.ID) == codeOrID {
			if err := s.store.RevokeEventSource(ctx, src.ID, s.now()); err != nil {
				return src, err
			}
			src.RevokedAt = s.now()
			s.sourcesGen.Add(1)
			return src, nil
		}
	}
	return store.EventSource{}, ErrNotFound
}

// sourceCache answers key checks from memory: sources are few and a flood
// of events must not cost a database read each. It reloads every ttl, at
// most once a second for a key it does not know, and at once after this
// node added or revoked a source: a new source works at once, and a
// revocation takes effect at once here and within ttl on other nodes.
type sourceCache struct {
	mu      sync.Mutex
	byHash  map[string]store.EventSource
	gen     int64 // the service's sourcesGen when loaded
	loaded  time.Time
	missed  time.Time
	ttl     time.Duration
	loading sync.Mutex
}

func (c *sourceCache) lookup(ctx context.Context, s *Service, key string) (store.EventSource, error) {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > 200 {
		return store.EventSource{}, ErrUnauthorized
	}
	hash := auth.HashToken(key)
	now := time.Now()
	c.mu.Lock()
	src, ok := c.byHash[hash]
	gen := s.sourcesGen.Load()
	stale := now.Sub(c.loaded) > c.ttl || c.gen != gen
	retry := !ok && now.Sub(c.missed) > time.Second
	if retry {
		c.missed = now
	}
	c.mu.Unlock()
	if stale || retry {
		if err := c.reload(ctx, s, now); err != nil {
			return store.EventSource{}, err
		}
		c.mu.Lock()
		src, ok = c.byHash[hash]
		c.mu.Unlock()
	}
	switch {
	case !ok:
		return src, ErrUnauthorized
	case !src.RevokedAt.IsZero():
		return src, ErrKeyRevoked
	}
	return src, nil
}

func (c *sourceCache) reload(ctx context.Context, s *Service, now time.Time) error {
	c.loading.Lock()
	defer c.loading.Unlock()
	gen := s.sourcesGen.Load()
	c.mu.Lock()
	fresh := (c.loaded.After(now) || c.loaded.Equal(now)) && c.gen == gen
	c.mu.Unlock()
	if fresh {
		return nil // another caller reloaded meanwhile
	}
	srcs, err := s.store.EventSources(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]store.EventSource, len(srcs))
	for _, src := range srcs {
		m[src.KeyHash] = src
	}
	c.mu.Lock()
	c.byHash, c.loaded, c.gen = m, time.Now(), gen
	c.mu.Unlock()
	return nil
}
