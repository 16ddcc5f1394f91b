// Package events publishes committed case events to other systems. The
// store's outbox holds every event written with its case change; a
// Publisher drains it into each sink (NATS JetStream, webhooks) and records
// what each delivered. Delivery is at least once: a crash between sending
// and recording resends, and JetStream drops the repeat by message id.
package events

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	"github.com/yiwang-gov/yiwang/internal/store"
)

// Message is what subscribers receive. It carries no personal data: no
// reporter, no actor name, only the actor's role.
type Message struct {
	ID        int64     `json:"id"`
	CaseID    int64     `json:"case_id"`
	Receipt   string    `json:"receipt"`
	CaseType  string    `json:"case_type"`
	Seq       int       `json:"seq"`
	Action    string    `json:"action"`
	FromState string    `json:"from_state,omitempty"`
	ToState   string    `json:"to_state"`
	Status    string    `json:"status"`
	Role      string    `json:"actor_role"`
	UnitID    int64     `json:"unit_id,omitempty"`
	Result    string    `json:"result,omitempty"`
	At        time.Time `json:"at"`
}

// NewMessage turns an outbox row into the published message.
func NewMessage(e store.OutboxEvent) Message {
	return Message{
		ID: e.Event.ID, CaseID: e.Event.CaseID, Receipt: e.Receipt, CaseType: e.CaseType, Seq: e.Event.Seq,
		Action: e.Event.Action, FromState: string(e.Event.FromState), ToState: string(e.Event.ToState), Status: string(e.Status),
		Role: string(e.Event.Role), UnitID: e.UnitID, Result: e.Event.Result, At: e.Event.At,
	}
}

// MsgID is the deduplication id of an event: its id in the database.
func (m Message) MsgID() string { return "yiwang-event-" + strconv.FormatInt(m.ID, 10) }

// Sink delivers messages somewhere. Deliver returns the ids it delivered,
// in order; it may stop early and report the error that stopped it.
type Sink interface {
	Name() string
	Deliver(ctx context.Context, msgs []Message) ([]int64, error)
}

// Publisher drains the outbox into its sinks.
type Publisher struct {
	store    store.OutboxStore
	sinks    []Sink
	log      *slog.Logger
	interval time.Duration
	batch    int
	now      func() time.Time
}

// OutboxRetention is how long a delivered event stays in the outbox.
const OutboxRetention = 7 * 24 * time.Hour

// NewPublisher returns a publisher polling every interval.
func NewPublisher(st store.OutboxStore, log *slog.Logger, interval time.Duration, sinks ...Sink) *Publisher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	return &Publisher{store: st, sinks: sinks, log: log, interval: interval, batch: 200, now: time.Now}
}

// Run publishes until ctx ends. A failing sink backs off on its own
// (doubling up to a minute) without holding up the others.
func (p *Publisher) Run(ctx context.Context) {
	wait := make([]time.Duration, len(p.sinks))
	next := make([]time.Time, len(p.sinks))
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		for i, s := range p.sinks {
			if time.Now().Before(next[i]) {
				continue
			}
			if _, err := p.drain(ctx, s); err != nil {
				wait[i] = min(max(2*wait[i], time.Second), time.Minute)
				next[i] = time.Now().Add(wait[i])
				p.log.Warn("event sink failed; will retry", "sink", s.Name(), "retry_in", wait[i], "err", err)
			} else {
				wait[i] = 0
			}
		}
		if time.Since(lastPrune) > time.Hour {
			lastPrune = time.Now()
			names := make([]string, len(p.sinks))
			for i, s := range p.sinks {
				names[i] = s.Name()
			}
			if _, err := p.store.PruneOutbox(ctx, names, p.now().Add(-OutboxRetention)); err != nil && ctx.Err() == nil {
				p.log.Warn("outbox prune failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Flush delivers everything pending to every sink once, returning how many
// messages went out. Tests and shutdown use it.
func (p *Publisher) Flush(ctx context.Context) (int, error) {
	total := 0
	for _, s := range p.sinks {
		n, err := p.drain(ctx, s)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (p *Publisher) drain(ctx context.Context, s Sink) (int, error) {
	total := 0
	for {
		pending, err := p.store.PendingEvents(ctx, s.Name(), p.batch)
		if err != nil || len(pending) == 0 {
			return total, err
		}
		msgs := make([]Message, len(pending))
		for i, e := range pending {
			msgs[i] = NewMessage(e)
		}
		done, derr := s.Deliver(ctx, msgs)
		if len(done) > 0 {
			if err := p.store.MarkDelivered(ctx, s.Name(), done, p.now()); err != nil {
				return total, err
			}
			total += len(done)
		}
		if derr != nil {
			return total, derr
		}
		if len(pending) < p.batch {
			return total, nil
		}
	}
}

func encode(m Message) []byte {
	b, _ := json.Marshal(m)
	return b
}
