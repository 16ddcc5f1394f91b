// Package loadtest drives a running yiwang with a steady, bounded stream of
// requests and reports throughput, latency percentiles and errors. It is
// what the benchmarks in docs/PERFORMANCE.md use and what an operator runs
// to size a server. It refuses any target but loopback unless told.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one run.
type Config struct {
	Target   string        // base URL, e.g. http://127.0.0.1:8080
	Rate     int           // requests per second (open loop)
	Duration time.Duration // how long to send
	// Mix weights request kinds: "cases" (citizen POST /api/v1/cases),
	// "read" (GET /api/v1/track/{receipt} of a created case), "events"
	// (POST /api/v1/events, machine events, needs EventKey).
	Mix map[string]int
	// Rates, when set, replaces Rate and Mix: each kind gets its own
	// open-loop stream at its own rate with its own connections, so a
	// flood of one kind cannot hold back the sending of another (a
	// person's creates measured during an event flood).
	Rates       map[string]int
	Workers     int // concurrent connections per stream, default 64
	AllowRemote bool
	EventKey    string
	MaxRequests int // hard cap on requests sent, default the rates × Duration
	// EventBatch is how many events one events request carries (default 1;
	// more than one posts {"events":[…]}).
	EventBatch int
	// Devices is how many cameras and sensors send events (default
	// 12,000). Each has a fixed place and event type, so that its repeats
	// fold into its open case as a real camera's would.
	Devices int
	// LowConfidence is the share of events sent below the review
	// threshold (default 0.02).
	LowConfidence float64
	// NoEventIDs sends events without an event_id (platforms that do not
	// name their events; the server then skips its retry check).
	NoEventIDs bool
}

var kindsKnown = []string{"cases", "read", "events"}

// ParseMix reads "cases=3,read=1" (also the --rates form).
func ParseMix(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("mix: %q is not kind=weight", part)
		}
		if !slices.Contains(kindsKnown, k) {
			return nil, fmt.Errorf("mix: unknown kind %q (cases, read, events)", k)
		}
		out[k] = n
	}
	if len(out) == 0 {
		return nil, errors.New("mix: empty")
	}
	return out, nil
}

// Result is what a run measured.
type Result struct {
	Sent      int
	Completed int
	Errors    int         // transport errors
	Status    map[int]int // HTTP status → count
	ByKind    map[string]*Kind
	Elapsed   time.Duration
	// Events: sent in events requests, acknowledged (a result without an
	// error in a 200/201 answer), and the outcomes.
	EventsSent     int
	EventsAcked    int
	EventOutcomes  map[string]int
	RetryAfterSeen int // 429 answers that carried Retry-After
}

// Kind is one request kind's figures.
type Kind struct {
	Count     int
	Rate      int // the kind's own stream rate, 0 in a mix
	latencies []time.Duration
}

// Percentile returns the q-th latency quantile (0..1).
func (k *Kind) Percentile(q float64) time.Duration {
	if len(k.latencies) == 0 {
		return 0
	}
	i := int(q * float64(len(k.latencies)-1))
	return k.latencies[i]
}

// Throughput is completed requests per second.
func (r *Result) Throughput() float64 { return float64(r.Completed) / r.Elapsed.Seconds() }

// KindThroughput is a kind's completed requests per second.
func (r *Result) KindThroughput(kind string) float64 {
	if k := r.ByKind[kind]; k != nil {
		return float64(k.Count) / r.Elapsed.Seconds()
	}
	return 0
}

// Report prints the result as a table.
func (r *Result) Report(w io.Writer) {
	fmt.Fprintf(w, "sent %d, completed %d in %s: %.0f req/s; transport errors %d\n", r.Sent, r.Completed, r.Elapsed.Round(time.Millisecond), r.Throughput(), r.Errors)
	codes := make([]int, 0, len(r.Status))
	for c := range r.Status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		fmt.Fprintf(w, "  HTTP %d: %d\n", c, r.Status[c])
	}
	if r.EventsSent > 0 {
		fmt.Fprintf(w, "events: sent %d, acknowledged %d (%.0f/s)", r.EventsSent, r.EventsAcked, float64(r.EventsAcked)/r.Elapsed.Seconds())
		outs := make([]string, 0, len(r.EventOutcomes))
		for o := range r.EventOutcomes {
			outs = append(outs, o)
		}
		sort.Strings(outs)
		for _, o := range outs {
			fmt.Fprintf(w, ", %s %d", o, r.EventOutcomes[o])
		}
		fmt.Fprintf(w, "; 429 with Retry-After %d\n", r.RetryAfterSeen)
	}
	kinds := make([]string, 0, len(r.ByKind))
	for k := range r.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "%-8s %8s %8s %9s %9s %9s %9s %9s\n", "kind", "count", "req/s", "p50", "p90", "p99", "p99.9", "max")
	for _, name := range kinds {
		k := r.ByKind[name]
		fmt.Fprintf(w, "%-8s %8d %8.0f %9s %9s %9s %9s %9s\n", name, k.Count, r.KindThroughput(name), rd(k.Percentile(.5)), rd(k.Percentile(.9)),
			rd(k.Percentile(.99)), rd(k.Percentile(.999)), rd(k.Percentile(1)))
	}
}

func rd(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }

// CheckTarget refuses non-loopback targets unless allowed.
func CheckTarget(target string, allowRemote bool) (*url.URL, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q is not an http(s) URL", target)
	}
	if allowRemote {
		return u, nil
	}
	ips, err := net.LookupIP(u.Hostname())
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("target %s resolves to %s, which is not loopback; pass --allow-remote for a server you run", u.Host, ip)
		}
	}
	return u, nil
}

type payloads struct {
	categories []string // for people's reports: any leaf category
	machine    []string // for machine events: city-case event and component categories
	points     [][2]float64
}

// prepare reads categories and grid centres from the target so requests
// look like real reports.
func prepare(ctx context.Context, c *http.Client, base string) (*payloads, error) {
	p := &payloads{}
	var cats struct {
		Categories []struct {
			Code     string `json:"code"`
			Leaf     bool   `json:"leaf"`
			Kind     string `json:"kind"`
			CaseType string `json:"case_type"`
		} `json:"categories"`
	}
	if err := getJSON(ctx, c, base+"/api/v1/categories", &cats); err != nil {
		return nil, err
	}
	for _, x := range cats.Categories {
		if x.Leaf && x.Kind != "domain" {
			p.categories = append(p.categories, x.Code)
			if x.CaseType == "city_case" || x.CaseType == "" {
				p.machine = append(p.machine, x.Code)
			}
		}
	}
	if len(p.machine) == 0 {
		p.machine = p.categories
	}
	var grids struct {
		Features []struct {
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := getJSON(ctx, c, base+"/api/v1/grids", &grids); err != nil {
		return nil, err
	}
	for _, f := range grids.Features {
		var rings [][][2]float64
		if json.Unmarshal(f.Geometry.Coordinates, &rings) != nil || len(rings) == 0 || len(rings[0]) < 4 {
			continue
		}
		var lat, lng float64
		ring := rings[0][:len(rings[0])-1]
		for _, pt := range ring {
			lng += pt[0] / float64(len(ring))
			lat += pt[1] / float64(len(ring))
		}
		p.points = append(p.points, [2]float64{lat, lng})
	}
	if len(p.categories) == 0 || len(p.points) == 0 {
		return nil, errors.New("target has no categories or grids")
	}
	return p, nil
}

// device is camera d's fixed place and event type: its events repeat.
func (p *payloads) device(d int) (lat, lng float64, typ string) {
	pt := p.points[d%len(p.points)]
	// Spread a grid's devices over ±40 m around its centre.
	h := uint64(d)*0x9E3779B97F4A7C15 + 1
	dx := float64(h%801)/1e5 - 0.004
	dy := float64((h/801)%801)/1e5 - 0.004
	return pt[0] + dy/10, pt[1] + dx/10, p.machine[d%len(p.machine)]
}

func getJSON(ctx context.Context, c *http.Client, u string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", u, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// stream is one open-loop sender with its own connections.
type stream struct {
	rate    int
	kinds   []string // weighted
	workers int
	ownRate bool
}

// Run sends the configured load and waits for the answers.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	u, err := CheckTarget(cfg.Target, cfg.AllowRemote)
	if err != nil {
		return nil, err
	}
	if cfg.Duration <= 0 {
		return nil, errors.New("duration must be positive")
	}
	if cfg.Duration > 10*time.Minute {
		return nil, errors.New("duration is capped at 10 minutes")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.EventBatch <= 0 {
		cfg.EventBatch = 1
	}
	if cfg.EventBatch > 500 {
		return nil, errors.New("event batch is capped at 500 (the server's limit)")
	}
	if cfg.Devices <= 0 {
		cfg.Devices = 12000
	}
	if cfg.LowConfidence == 0 {
		cfg.LowConfidence = 0.02
	}
	var streams []stream
	total := 0
	if len(cfg.Rates) > 0 {
		names := make([]string, 0, len(cfg.Rates))
		for k := range cfg.Rates {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if cfg.Rates[k] > 0 {
				streams = append(streams, stream{rate: cfg.Rates[k], kinds: []string{k}, workers: cfg.Workers, ownRate: true})
				total += cfg.Rates[k]
			}
		}
	} else {
		if cfg.Mix == nil {
			cfg.Mix = map[string]int{"cases": 1}
		}
		var kinds []string
		for k, w := range cfg.Mix {
			for range w {
				kinds = append(kinds, k)
			}
		}
		slices.Sort(kinds)
		streams = []stream{{rate: cfg.Rate, kinds: kinds, workers: cfg.Workers}}
		total = cfg.Rate
	}
	if total <= 0 || len(streams) == 0 {
		return nil, errors.New("rate and duration must be positive")
	}
	for _, s := range streams {
		if slices.Contains(s.kinds, "events") && cfg.EventKey == "" {
			return nil, errors.New("events need a source key (--event-key; yiwang eventsource add prints one)")
		}
	}
	limit := cfg.MaxRequests
	if limit <= 0 {
		limit = int(float64(total) * cfg.Duration.Seconds())
	}
	base := strings.TrimSuffix(u.String(), "/")
	conns := 0
	for _, s := range streams {
		conns += s.workers
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	p, err := prepare(ctx, client, base)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	r := &runner{cfg: cfg, base: base, client: client, p: p, limit: int64(limit), runID: "lt" + strconv.FormatInt(start.UnixNano(), 36),
		res: &Result{Status: map[int]int{}, ByKind: map[string]*Kind{}, EventOutcomes: map[string]int{}}}
	var wg sync.WaitGroup
	for i, s := range streams {
		for _, k := range s.kinds {
			if s.ownRate {
				r.kind(k).Rate = s.rate
			}
		}
		wg.Go(func() { r.stream(ctx, s, uint64(i), start) })
	}
	wg.Wait()
	r.res.Elapsed = time.Since(start)
	r.res.Sent = int(r.sent.Load())
	for _, k := range r.res.ByKind {
		slices.Sort(k.latencies)
	}
	return r.res, nil
}

type runner struct {
	cfg      Config
	base     string
	client   *http.Client
	p        *payloads
	limit    int64
	sent     atomic.Int64
	mu       sync.Mutex
	res      *Result
	receipts []string
	// Every event carries an id of its own, as platforms send their
	// alarm ids (unless NoEventIDs): the server's retry check is part of
	// what is measured.
	eventSeq atomic.Int64
	runID    string
}

func (r *runner) kind(name string) *Kind {
	k := r.res.ByKind[name]
	if k == nil {
		k = &Kind{}
		r.res.ByKind[name] = k
	}
	return k
}

func (r *runner) stream(ctx context.Context, s stream, seed uint64, start time.Time) {
	jobs := make(chan string, s.workers*4)
	var wg sync.WaitGroup
	for w := range s.workers {
		rng := rand.New(rand.NewPCG(seed*1000+uint64(w), 7))
		wg.Go(func() {
			for kind := range jobs {
				r.do(ctx, rng, kind)
			}
		})
	}
	interval := time.Second / time.Duration(s.rate)
	deadline := start.Add(r.cfg.Duration)
	rng := rand.New(rand.NewPCG(seed+1, 2))
	next := start
send:
	for time.Now().Before(deadline) {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				break send
			case <-time.After(d):
			}
		}
		if r.sent.Add(1) > r.limit {
			r.sent.Add(-1)
			break
		}
		select {
		case jobs <- s.kinds[rng.IntN(len(s.kinds))]:
		case <-ctx.Done():
			r.sent.Add(-1)
			break send
		}
		next = next.Add(interval)
	}
	close(jobs)
	wg.Wait()
}

// eventBody is a request of EventBatch events from random devices.
func (r *runner) eventBody(rng *rand.Rand) ([]byte, int) {
	now := time.Now().Format(time.RFC3339Nano)
	evs := make([]map[string]any, r.cfg.EventBatch)
	for i := range evs {
		d := rng.IntN(r.cfg.Devices)
		lat, lng, typ := r.p.device(d)
		conf := 0.9
		if rng.Float64() < r.cfg.LowConfidence {
			conf = 0.4
		}
		evs[i] = map[string]any{"device_id": fmt.Sprintf("cam-%05d", d), "event_type": typ, "confidence": conf, "lat": lat, "lng": lng, "at": now}
		if !r.cfg.NoEventIDs {
			evs[i]["event_id"] = fmt.Sprintf("%s-%d", r.runID, r.eventSeq.Add(1))
		}
	}
	if len(evs) == 1 {
		b, _ := json.Marshal(evs[0])
		return b, 1
	}
	b, _ := json.Marshal(map[string]any{"events": evs})
	return b, len(evs)
}

func (r *runner) do(ctx context.Context, rng *rand.Rand, kind string) {
	var req *http.Request
	nEvents := 0
	switch kind {
	case "read":
		r.mu.Lock()
		var rc string
		if len(r.receipts) > 0 {
			rc = r.receipts[rng.IntN(len(r.receipts))]
		}
		r.mu.Unlock()
		if rc == "" {
			kind = "cases"
			break
		}
		req, _ = http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/api/v1/track/"+rc, nil)
	case "events":
		var body []byte
		body, nEvents = r.eventBody(rng)
		req, _ = http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/api/v1/events", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+r.cfg.EventKey)
	}
	if req == nil {
		pt := r.p.points[rng.IntN(len(r.p.points))]
		body, _ := json.Marshal(map[string]any{"category": r.p.categories[rng.IntN(len(r.p.categories))], "description": "压力测试：路面破损",
			"lat": pt[0] + (rng.Float64()-0.5)*1e-4, "lng": pt[1] + (rng.Float64()-0.5)*1e-4, "channel": "app"})
		req, _ = http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/api/v1/cases", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	res, err := r.client.Do(req)
	lat := time.Since(start)
	var receipt string
	status := 0
	acked := 0
	var outcomes map[string]int
	retryAfter := false
	if err == nil {
		status = res.StatusCode
		switch {
		case kind == "cases" && status == 201:
			var c struct{ Receipt string }
			json.NewDecoder(res.Body).Decode(&c)
			receipt = c.Receipt
		case kind == "events" && (status == 200 || status == 201):
			raw, _ := io.ReadAll(res.Body)
			outcomes = map[string]int{}
			if nEvents == 1 {
				var one struct {
					Outcome string `json:"outcome"`
				}
				json.Unmarshal(raw, &one)
				if one.Outcome != "" {
					outcomes[one.Outcome]++
					acked++
				}
			} else {
				var many struct {
					Results []struct {
						Outcome string          `json:"outcome"`
						Error   json.RawMessage `json:"error"`
					} `json:"results"`
				}
				json.Unmarshal(raw, &many)
				for _, x := range many.Results {
					if x.Error == nil && x.Outcome != "" {
						outcomes[x.Outcome]++
						acked++
					} else {
						outcomes["failed"]++
					}
				}
			}
		case status == http.StatusTooManyRequests:
			retryAfter = res.Header.Get("Retry-After") != ""
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if kind == "events" {
		r.res.EventsSent += nEvents
		r.res.EventsAcked += acked
		for o, n := range outcomes {
			r.res.EventOutcomes[o] += n
		}
	}
	if retryAfter {
		r.res.RetryAfterSeen++
	}
	if err != nil {
		r.res.Errors++
		return
	}
	r.res.Completed++
	r.res.Status[status]++
	k := r.kind(kind)
	k.Count++
	k.latencies = append(k.latencies, lat)
	if receipt != "" && len(r.receipts) < 10000 {
		r.receipts = append(r.receipts, receipt)
	}
}
