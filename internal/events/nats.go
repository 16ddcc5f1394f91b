package events

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSSink publishes to JetStream on <prefix>.cases.<type>.<action>, with
// the event id as the message id so redeliveries are dropped by the stream.
type NATSSink struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	prefix string
}

// NATSOptions configure the sink.
type NATSOptions struct {
	URL    string
	Prefix string // subject prefix, default "yiwang"
	Stream string // stream name, default "YIWANG"
	// Dedup is the stream's duplicate window (default 10 minutes).
	Dedup time.Duration
}

var subjectToken = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// NewNATSSink connects and makes sure the stream exists.
func NewNATSSink(ctx context.Context, o NATSOptions) (*NATSSink, error) {
	if o.Prefix == "" {
		o.Prefix = "yiwang"
	}
	if o.Stream == "" {
		o.Stream = "YIWANG"
	}
	if o.Dedup == 0 {
		o.Dedup = 10 * time.Minute
	}
	nc, err := nats.Connect(o.URL, nats.Name("yiwang"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", o.URL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: o.Stream, Subjects: []string{o.Prefix + ".cases.>"}, Storage: jetstream.FileStorage, Duplicates: o.Dedup,
	})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats stream %s: %w", o.Stream, err)
	}
	return &NATSSink{nc: nc, js: js, prefix: o.Prefix}, nil
}

// Name is the sink's name in the outbox.
func (s *NATSSink) Name() string { return "nats" }

// Subject is where a message is published.
func (s *NATSSink) Subject(m Message) string {
	return s.prefix + ".cases." + subjectToken.ReplaceAllString(m.CaseType, "_") + "." + subjectToken.ReplaceAllString(m.Action, "_")
}

// Deliver publishes in order and waits for each acknowledgement.
func (s *NATSSink) Deliver(ctx context.Context, msgs []Message) ([]int64, error) {
	done := make([]int64, 0, len(msgs))
	for _, m := range msgs {
		ack, err := s.js.Publish(ctx, s.Subject(m), encode(m), jetstream.WithMsgID(m.MsgID()))
		if err != nil {
			return done, err
		}
		if ack == nil {
			return done, errors.New("nats: no acknowledgement")
		}
		done = append(done, m.ID)
	}
	return done, nil
}

// Close drains the connection.
func (s *NATSSink) Close() { s.nc.Close() }
