package app_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// scrape reads the app's metrics into name{labels} → value.
func scrape(t *testing.T, h *harness) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(h.app.Metrics.Handler())
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		raw, _ := io.ReadAll(res.Body)
		t.Fatalf("metrics: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), raw)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestMetrics checks that the counters an operator watches move with what
// the server does: requests per route and status, machine-event outcomes,
// the batching writer, the database pools and the process.
func TestMetrics(t *testing.T) {
	h, key := intakeHarness(t, service.IntakeOptions{})
	lat, lng := gridPoint(t, h, 0)
	before := scrape(t, h)
	cat := eventCategory(t, h)
	for range 3 {
		if r := h.do("POST", "/api/v1/cases", "", map[string]any{"category": cat, "description": "占道经营", "lat": lat, "lng": lng}); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
	}
	if r := h.do("POST", "/api/v1/cases", "", map[string]any{"category": cat, "lat": lat, "lng": lng}); r.status != 422 {
		t.Fatalf("invalid create: %d %s", r.status, r.raw)
	}
	ev := func(dev string, conf float64) map[string]any {
		return map[string]any{"device_id": dev, "event_type": "occupy_road", "confidence": conf, "lat": lat, "lng": lng, "at": time.Now().Format(time.RFC3339)}
	}
	batch := map[string]any{"events": []any{ev("m-1", 0.9), ev("m-1", 0.9), ev("m-1", 0.9), ev("m-2", 0.1)}}
	if r := h.do("POST", "/api/v1/events", key, batch); r.status != 200 {
		t.Fatalf("events: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/api/v1/events", "ywev_wrong", ev("m-3", 0.9)); r.status != 401 {
		t.Fatalf("wrong key: %d %s", r.status, r.raw)
	}
	m := scrape(t, h)
	delta := func(name string) float64 { return m[name] - before[name] }

	for name, want := range map[string]float64{
		`yiwang_http_requests_total{code="201",route="POST /api/v1/cases"}`:      3,
		`yiwang_http_requests_total{code="422",route="POST /api/v1/cases"}`:      1,
		`yiwang_http_requests_total{code="200",route="POST /api/v1/events"}`:     1,
		`yiwang_http_requests_total{code="401",route="POST /api/v1/events"}`:     1,
		`yiwang_http_request_duration_seconds_count{route="POST /api/v1/cases"}`: 4,
		`yiwang_intake_created_total`:                                            1,
		`yiwang_intake_folded_total`:                                             2,
		`yiwang_intake_review_total`:                                             1,
		`yiwang_intake_rejected_total`:                                           0,
		`yiwang_intake_failed_total`:                                             0,
	} {
		if got := delta(name); got != want {
			t.Errorf("%s went up by %v, want %v", name, got, want)
		}
	}
	// Three creates and at least their audit entries and the events went
	// through the batching writer; its histogram counts every transaction.
	// PostgreSQL has no batching writer (it takes concurrent writers) and
	// one pool for reads and writes.
	pools := []string{`go_sql_max_open_connections{db_name="write"}`, `go_sql_max_open_connections{db_name="read"}`}
	if onPostgres() {
		pools = []string{`go_sql_max_open_connections{db_name="db"}`}
		if _, ok := m[`yiwang_groupcommit_ops_total`]; ok {
			t.Errorf("batching writer figures on PostgreSQL")
		}
	} else {
		if got := delta(`yiwang_groupcommit_ops_total`); got < 4 {
			t.Errorf("batching writer ops went up by %v", got)
		}
		if m[`yiwang_groupcommit_batches_total`] != m[`yiwang_groupcommit_batch_seconds_count`] || m[`yiwang_groupcommit_batches_total`] == 0 {
			t.Errorf("batches %v, histogram count %v", m[`yiwang_groupcommit_batches_total`], m[`yiwang_groupcommit_batch_seconds_count`])
		}
		if m[`yiwang_groupcommit_batch_max_seconds`] <= 0 || m[`yiwang_groupcommit_busy_seconds_total`] < m[`yiwang_groupcommit_batch_max_seconds`] {
			t.Errorf("longest batch %v, busy %v", m[`yiwang_groupcommit_batch_max_seconds`], m[`yiwang_groupcommit_busy_seconds_total`])
		}
	}
	for _, name := range pools {
		if m[name] < 1 {
			t.Errorf("%s = %v", name, m[name])
		}
	}
	if m[`process_resident_memory_bytes`] < 1<<20 || m[`go_goroutines`] < 1 {
		t.Errorf("process figures: rss %v goroutines %v", m[`process_resident_memory_bytes`], m[`go_goroutines`])
	}
}

// TestMetricsBackPressure: events refused while the intake is saturated
// are counted, request by request.
func TestMetricsBackPressure(t *testing.T) {
	h, key := intakeHarness(t, service.IntakeOptions{Queue: 10})
	lat, lng := gridPoint(t, h, 1)
	var evs []any
	for i := range 11 {
		evs = append(evs, map[string]any{"device_id": fmt.Sprintf("big-%d", i), "event_type": "occupy_road", "lat": lat, "lng": lng})
	}
	for range 2 {
		if r := h.do("POST", "/api/v1/events", key, map[string]any{"events": evs}); r.status != 429 {
			t.Fatalf("oversized request: %d %s", r.status, r.raw)
		}
	}
	m := scrape(t, h)
	if got := m[`yiwang_intake_rejected_total`]; got != 22 {
		t.Errorf("rejected events %v, want 22", got)
	}
	if got := m[`yiwang_http_requests_total{code="429",route="POST /api/v1/events"}`]; got != 2 {
		t.Errorf("429 answers %v, want 2", got)
	}
	if got := m[`yiwang_intake_pending_events`]; got != 0 {
		t.Errorf("pending after refusals %v", got)
	}
}
