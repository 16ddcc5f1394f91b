package app_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// TestThreeNodesOnePostgres runs three yiwang nodes on loopback sharing one
// PostgreSQL database and one JetStream stream:
//   - concurrent actions on the same cases from all three: every accepted
//     action is in the timeline, every stale one got 409, none is lost;
//   - a deadline crossing while all three run their timers: exactly one
//     escalation;
//   - a routing rule added on one node reaches the others through LISTEN
//     well before their polling interval;
//   - the stream holds every committed event exactly once.
func TestThreeNodesOnePostgres(t *testing.T) {
	url := storetest.PostgresURL(t)
	natsURL := os.Getenv("YIWANG_TEST_NATS")
	if natsURL == "" {
		t.Skip("three-node test needs NATS too: set YIWANG_TEST_NATS=nats://127.0.0.1:4222")
	}
	b := make([]byte, 4)
	rand.Read(b)
	suffix := hex.EncodeToString(b)
	prefix, stream := "yiwangtest"+suffix, "YIWANGTEST"+suffix
	clock := &wfClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Beijing())} // a Monday
	nodes := make([]*app.App, 3)
	srvs := make([]*httptest.Server, 3)
	first := t.TempDir()
	for i := range nodes {
		dir, keys := first, "" // node 0 makes the key ring; the others share it, as in production
		if i > 0 {
			dir, keys = t.TempDir(), filepath.Join(first, "pii.keys")
		}
		a, err := app.Open(context.Background(), app.Config{DataDir: dir, DatabaseURL: url, Demo: true, DemoCases: 20,
			Now: clock.Now, TimerTick: 20 * time.Millisecond, PublicPerMinute: -1, PIIKeys: keys,
			NATSURL: natsURL, NATSPrefix: prefix, NATSStream: stream})
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		nodes[i], srvs[i] = a, httptest.NewServer(a.Handler)
	}
	defer func() {
		for i := range nodes {
			srvs[i].Close()
			nodes[i].Close()
		}
		nc, _ := nats.Connect(natsURL)
		js, _ := jetstream.New(nc)
		js.DeleteStream(context.Background(), stream)
		nc.Close()
	}()
	hs := make([]*harness, 3)
	for i := range hs {
		hs[i] = &harness{t: t, app: nodes[i], srv: srvs[i]}
	}
	tokens := func(user string) []string {
		out := make([]string, 3)
		for i := range out {
			out[i] = hs[i].login(user) // a session made on node i is checked on the others below
		}
		return out
	}
	op, disp := tokens("operator1"), tokens("dispatcher")

	// Sessions are shared: a token from node 0 works on node 2.
	if r := hs[2].do("GET", "/api/v1/me", op[0], nil); r.status != 200 {
		t.Fatalf("node 0's session on node 2: %d", r.status)
	}

	// Concurrent actions: for each case all three nodes race to accept,
	// then to dispatch; exactly one of each wins.
	lat, lng, _ := demoPoint(t, hs[0], 11)
	const cases = 12
	var ids []int64
	for i := range cases {
		r := hs[i%3].do("POST", "/api/v1/cases", "", map[string]any{"category": "E0401", "description": fmt.Sprint("多节点 ", i), "lat": lat, "lng": lng})
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		ids = append(ids, num(r.body["id"]))
	}
	var wins, stale, other atomic.Int32
	for step, act := range []struct {
		name   string
		tokens []string
	}{{"accept", op}, {"dispatch", disp}} {
		var wg sync.WaitGroup
		for _, id := range ids {
			for n := range 3 {
				wg.Go(func() {
					r := hs[n].do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/%s", id, act.name), act.tokens[n], map[string]any{"version": step + 1})
					switch r.status {
					case 200:
						wins.Add(1)
					case 409:
						stale.Add(1)
					default:
						other.Add(1)
						t.Errorf("%s case %d on node %d: %d %s", act.name, id, n, r.status, r.raw)
					}
				})
			}
		}
		wg.Wait()
	}
	if wins.Load() != 2*cases || stale.Load() != 4*cases || other.Load() != 0 {
		t.Fatalf("wins %d stale %d other %d; want %d, %d, 0", wins.Load(), stale.Load(), other.Load(), 2*cases, 4*cases)
	}
	for _, id := range ids {
		_, tl, err := nodes[1].Service.Case(context.Background(), adminOf(t, nodes[1]), id)
		if err != nil || len(tl) != 3 || tl[1].Action != "accept" || tl[2].Action != "dispatch" {
			t.Fatalf("case %d timeline: %v %+v", id, err, tl)
		}
	}

	// A deadline crossing while all three nodes run their timers: each
	// case (urgent, 2 clock hours) escalates exactly once.
	clock.Set(clock.Now().Add(3 * time.Hour))
	pg, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	count := func(q string) int {
		var n int
		if err := pg.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	wfWait(t, "escalations", func() bool {
		return count(`SELECT COUNT(*) FROM supervisions WHERE auto = 1`) >= cases
	})
	time.Sleep(300 * time.Millisecond) // fifteen more ticks on each node
	if n := count(`SELECT COUNT(*) FROM supervisions WHERE auto = 1`); n != cases {
		t.Fatalf("%d automatic 督办单 for %d overdue cases", n, cases)
	}

	// Reference data changed on node 0 reaches node 2 through LISTEN/NOTIFY,
	// well inside the 5 s poll.
	ref := nodes[0].Service.Ref()
	before := nodes[2].Service.Ref().Generation()
	var cat string
	var unit int64
	for _, c := range ref.CatList {
		if ref.IsLeaf(c.ID) && c.DefaultUnitID != 0 {
			cat = c.Code
			for _, o := range ref.OrgList() {
				if o.Kind == "department" && o.ID != c.DefaultUnitID {
					unit = o.ID
					break
				}
			}
			break
		}
	}
	if _, err := nodes[0].Service.CreateRule(context.Background(), adminOf(t, nodes[0]), service.RuleInput{Category: cat, AreaID: ref.Root.ID, UnitID: unit}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for nodes[2].Service.Ref().Generation() == before {
		if time.Since(start) > 2*time.Second {
			t.Fatalf("node 2 did not reload within 2 s of the change")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Every committed event reaches the stream exactly once, although all
	// three nodes publish from the same outbox.
	for _, n := range nodes {
		if _, err := n.Publisher.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	events := count(`SELECT COUNT(*) FROM outbox`)
	nc, _ := nats.Connect(natsURL)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := s.Info(context.Background())
	if int(info.State.Msgs) != events || events < 3*cases {
		t.Fatalf("stream holds %d messages for %d committed events", info.State.Msgs, events)
	}
	t.Logf("three nodes: %d cases, %d accepted actions, %d stale (409), %d escalations, %d events once each on the stream",
		cases, wins.Load(), stale.Load(), cases, events)
}

func adminOf(t *testing.T, a *app.App) model.User {
	u, err := a.Store.UserByUsername(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	return u
}
