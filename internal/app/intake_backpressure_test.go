package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// TestEventsBackPressure floods a small intake queue: the overflow is
// refused at once with 429 and Retry-After (nothing of a refused request
// is written), the server stays up and answers people, and every event
// that was acknowledged is counted in the database — no more, no less.
func TestEventsBackPressure(t *testing.T) {
	h, key := intakeHarness(t, service.IntakeOptions{Queue: 40, Chunk: 8})
	lat, lng := gridPoint(t, h, 1)

	// More events than the queue holds in one request: refused whole.
	var big []any
	for i := range 41 {
		big = append(big, map[string]any{"device_id": fmt.Sprintf("big-%d", i), "event_type": "occupy_road", "lat": lat, "lng": lng})
	}
	r := h.do("POST", "/api/v1/events", key, map[string]any{"events": big})
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("oversized request: %d %s", r.status, r.raw)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM machine_events`); n != 0 {
		t.Fatalf("a refused request wrote %d records", n)
	}

	// The flood: 48 clients, batches of 10, no pause.
	const clients, rounds, per = 48, 12, 10
	var acked, refused, other atomic.Int64
	var badRetry atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	post := func(body []byte) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		return res, raw, err
	}
	for c := range clients {
		wg.Go(func() {
			for round := range rounds {
				var evs []any
				for i := range per {
					// A few devices per client: first sightings and many repeats.
					evs = append(evs, map[string]any{"device_id": fmt.Sprintf("cam-%d-%d", c, (round+i)%3), "event_type": "occupy_road",
						"confidence": 0.9, "lat": lat, "lng": lng})
				}
				body, _ := json.Marshal(map[string]any{"events": evs})
				res, raw, err := post(body)
				if err != nil {
					t.Error(err)
					return
				}
				switch res.StatusCode {
				case 200:
					var out struct {
						Results []struct {
							Outcome string         `json:"outcome"`
							Error   map[string]any `json:"error"`
						} `json:"results"`
					}
					json.Unmarshal(raw, &out)
					for _, r := range out.Results {
						if r.Error == nil && r.Outcome != "" {
							acked.Add(1)
						}
					}
				case 429:
					refused.Add(1)
					if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 {
						badRetry.Add(1)
					}
				default:
					other.Add(1)
					t.Errorf("status %d: %s", res.StatusCode, raw)
				}
			}
		})
	}
	// A person reports a problem in the middle of the flood.
	time.Sleep(20 * time.Millisecond)
	cat := eventCategory(t, h)
	pr := h.do("POST", "/api/v1/cases", "", map[string]any{"category": cat, "description": "人行道被占用", "lat": lat, "lng": lng})
	wg.Wait()
	if pr.status != 201 {
		t.Fatalf("a person's report during the flood: %d %s", pr.status, pr.raw)
	}
	if refused.Load() == 0 {
		t.Fatalf("no request was refused: the queue of 40 took %d events from %d clients without saturating", acked.Load(), clients)
	}
	if badRetry.Load() != 0 || other.Load() != 0 {
		t.Fatalf("%d 429s without Retry-After, %d other statuses", badRetry.Load(), other.Load())
	}
	got := h.sqlCount(`SELECT SUM(count) FROM machine_events`)
	t.Logf("acknowledged %d events, refused %d requests; the database counts %d events in %d records, %d cases",
		acked.Load(), refused.Load(), got, h.sqlCount(`SELECT COUNT(*) FROM machine_events`), h.sqlCount(`SELECT COUNT(*) FROM cases WHERE channel = 'video'`))
	if int64(got) != acked.Load() {
		t.Fatalf("acknowledged %d events, the database counts %d", acked.Load(), got)
	}
	if r := h.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Fatalf("health after the flood: %d", r.status)
	}
}
