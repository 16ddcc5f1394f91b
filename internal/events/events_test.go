package events_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/yiwang-gov/yiwang/internal/events"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// seeded returns a store holding five new cases and one accept: six events.
func seeded(t *testing.T) store.Store {
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "ev.db"), sqlstore.SQLiteOptions{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.LoadReference(context.Background(), storetest.Fixture())
	t0 := time.Now()
	for i := 1; i <= 5; i++ {
		c, ev := storetest.NewCase(i, t0)
		if err := st.CreateCase(context.Background(), &c, &ev, ""); err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			next := c
			next.Status, next.Version = model.StateRegistered, 2
			e := model.Event{At: t0, ActorName: "坐席", Role: model.RoleOperator, Action: "accept", FromState: model.StateReported, ToState: model.StateRegistered}
			if err := st.UpdateCase(context.Background(), &next, 1, &e); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st
}

func TestNATSExactlyOnce(t *testing.T) {
	url := os.Getenv("YIWANG_TEST_NATS")
	if url == "" {
		t.Skip("NATS tests skipped: set YIWANG_TEST_NATS=nats://127.0.0.1:4222 (a server with JetStream) to run them")
	}
	ctx := context.Background()
	b := make([]byte, 4)
	rand.Read(b)
	suffix := hex.EncodeToString(b)
	opt := events.NATSOptions{URL: url, Prefix: "yiwangtest" + suffix, Stream: "YIWANGTEST" + suffix}
	sink, err := events.NewNATSSink(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	nc, _ := nats.Connect(url)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	t.Cleanup(func() { js.DeleteStream(context.Background(), opt.Stream) })

	st := seeded(t)
	pub := events.NewPublisher(st, nil, time.Second, sink)
	if n, err := pub.Flush(ctx); err != nil || n != 6 {
		t.Fatalf("Flush = %d, %v; want 6", n, err)
	}
	// A node that crashed after publishing but before recording sends the
	// same events again: the stream keeps one copy of each.
	again := []events.Message{}
	pending, _ := st.PendingEvents(ctx, "other", 10)
	for _, p := range pending {
		again = append(again, events.NewMessage(p))
	}
	if done, err := sink.Deliver(ctx, again); err != nil || len(done) != 6 {
		t.Fatalf("redelivery: %d, %v", len(done), err)
	}
	if n, err := pub.Flush(ctx); err != nil || n != 0 {
		t.Fatalf("second Flush = %d, %v; want 0", n, err)
	}
	stream, err := js.Stream(ctx, opt.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := stream.Info(ctx)
	if info.State.Msgs != 6 {
		t.Fatalf("stream holds %d messages, want 6", info.State.Msgs)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, opt.Prefix+".cases.city_case.accept")
	if err != nil {
		t.Fatalf("no accept event on its subject: %v", err)
	}
	var m events.Message
	json.Unmarshal(msg.Data, &m)
	if m.Action != "accept" || m.ToState != "registered" || m.Receipt == "" {
		t.Fatalf("accept message = %+v", m)
	}
}

func TestWebhookSignedAndRetried(t *testing.T) {
	secret := "s3cret"
	var mu sync.Mutex
	var got []int64
	failures := 2
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Yiwang-Signature") != events.Sign([]byte(secret), body) {
			http.Error(w, "bad signature", 401)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			http.Error(w, "busy", 503)
			return
		}
		var m events.Message
		json.Unmarshal(body, &m)
		got = append(got, m.ID)
	}))
	defer srv.Close()
	st := seeded(t)
	pub := events.NewPublisher(st, nil, time.Second, events.NewWebhookSink(srv.URL, secret))
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if n, err := pub.Flush(ctx); err == nil || n != 0 {
			t.Fatalf("flush %d against a failing receiver: %d, %v", i, n, err)
		}
	}
	if n, err := pub.Flush(ctx); err != nil || n != 6 {
		t.Fatalf("flush after recovery: %d, %v", n, err)
	}
	if len(got) != 6 {
		t.Fatalf("receiver got %d events, want 6", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("events out of order: %v", got)
		}
	}
	// Signed with the wrong secret, the receiver refuses: nothing is
	// marked delivered and everything stays pending.
	st2 := seeded(t)
	bad := events.NewPublisher(st2, nil, time.Second, events.NewWebhookSink(srv.URL, "wrong"))
	if n, err := bad.Flush(ctx); err == nil || n != 0 {
		t.Fatalf("wrongly signed flush: %d, %v", n, err)
	}
	if p, _ := st2.PendingEvents(ctx, "webhook", 10); len(p) != 6 {
		t.Fatalf("%d pending after refusals, want 6", len(p))
	}
}
