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
	Mix         map[string]int
	Workers     int // concurrent connections, default 64
	AllowRemote bool
	EventKey    string
	MaxRequests int // hard cap on requests sent, default Rate*Duration
}

// ParseMix reads "cases=3,read=1".
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
		switch k {
		case "cases", "read", "events":
		default:
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
}

// Kind is one request kind's figures.
type Kind struct {
	Count     int
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
	kinds := make([]string, 0, len(r.ByKind))
	for k := range r.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "%-8s %8s %9s %9s %9s %9s %9s\n", "kind", "count", "p50", "p90", "p99", "p99.9", "max")
	for _, name := range kinds {
		k := r.ByKind[name]
		fmt.Fprintf(w, "%-8s %8d %9s %9s %9s %9s %9s\n", name, k.Count, rd(k.Percentile(.5)), rd(k.Percentile(.9)), rd(k.Percentile(.99)), rd(k.Percentile(.999)), rd(k.Percentile(1)))
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
	categories []string
	points     [][2]float64
}

// prepare reads categories and grid centres from the target so requests
// look like real reports.
func prepare(ctx context.Context, c *http.Client, base string) (*payloads, error) {
	p := &payloads{}
	var cats struct {
		Categories []struct {
			Code string `json:"code"`
			Leaf bool   `json:"leaf"`
			Kind string `json:"kind"`
		} `json:"categories"`
	}
	if err := getJSON(ctx, c, base+"/api/v1/categories", &cats); err != nil {
		return nil, err
	}
	for _, x := range cats.Categories {
		if x.Leaf && x.Kind != "domain" {
			p.categories = append(p.categories, x.Code)
		}
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

// Run sends the configured load and waits for the answers.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	u, err := CheckTarget(cfg.Target, cfg.AllowRemote)
	if err != nil {
		return nil, err
	}
	if cfg.Rate <= 0 || cfg.Duration <= 0 {
		return nil, errors.New("rate and duration must be positive")
	}
	if cfg.Duration > 10*time.Minute {
		return nil, errors.New("duration is capped at 10 minutes")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.Mix == nil {
		cfg.Mix = map[string]int{"cases": 1}
	}
	limit := cfg.MaxRequests
	if limit <= 0 {
		limit = int(float64(cfg.Rate) * cfg.Duration.Seconds())
	}
	base := strings.TrimSuffix(u.String(), "/")
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Workers, MaxConnsPerHost: cfg.Workers}}
	p, err := prepare(ctx, client, base)
	if err != nil {
		return nil, err
	}
	var kinds []string
	for k, w := range cfg.Mix {
		for range w {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)

	res := &Result{Status: map[int]int{}, ByKind: map[string]*Kind{}}
	var mu sync.Mutex
	var receipts []string
	jobs := make(chan string, cfg.Workers*4)
	var wg sync.WaitGroup
	for w := range cfg.Workers {
		rng := rand.New(rand.NewPCG(uint64(w), 7))
		wg.Go(func() {
			for kind := range jobs {
				var req *http.Request
				switch kind {
				case "read":
					mu.Lock()
					var rc string
					if len(receipts) > 0 {
						rc = receipts[rng.IntN(len(receipts))]
					}
					mu.Unlock()
					if rc == "" {
						kind = "cases"
						break
					}
					req, _ = http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/track/"+rc, nil)
				case "events":
					pt := p.points[rng.IntN(len(p.points))]
					body, _ := json.Marshal(map[string]any{"source_id": "loadtest", "device_id": fmt.Sprintf("cam-%04d", rng.IntN(12000)),
						"event_type": p.categories[rng.IntN(len(p.categories))], "confidence": 0.9, "lat": pt[0], "lng": pt[1], "at": time.Now().Format(time.RFC3339)})
					req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/events", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+cfg.EventKey)
				}
				if req == nil {
					pt := p.points[rng.IntN(len(p.points))]
					body, _ := json.Marshal(map[string]any{"category": p.categories[rng.IntN(len(p.categories))], "description": "压力测试：路面破损",
						"lat": pt[0] + (rng.Float64()-0.5)*1e-4, "lng": pt[1] + (rng.Float64()-0.5)*1e-4, "channel": "app"})
					req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/cases", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
				}
				start := time.Now()
				r, err := client.Do(req)
				lat := time.Since(start)
				var receipt string
				status := 0
				if err == nil {
					status = r.StatusCode
					if kind == "cases" && status == 201 {
						var c struct{ Receipt string }
						json.NewDecoder(r.Body).Decode(&c)
						receipt = c.Receipt
					}
					io.Copy(io.Discard, r.Body)
					r.Body.Close()
				}
				mu.Lock()
				if err != nil {
					res.Errors++
				} else {
					res.Completed++
					res.Status[status]++
					k := res.ByKind[kind]
					if k == nil {
						k = &Kind{}
						res.ByKind[kind] = k
					}
					k.Count++
					k.latencies = append(k.latencies, lat)
					if receipt != "" && len(receipts) < 10000 {
						receipts = append(receipts, receipt)
					}
				}
				mu.Unlock()
			}
		})
	}
	start := time.Now()
	interval := time.Second / time.Duration(cfg.Rate)
	deadline := start.Add(cfg.Duration)
	rng := rand.New(rand.NewPCG(1, 2))
	next := start
send:
	for res.Sent < limit && time.Now().Before(deadline) {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				break send
			case <-time.After(d):
			}
		}
		select {
		case jobs <- kinds[rng.IntN(len(kinds))]:
			res.Sent++
		case <-ctx.Done():
			break send
		}
		next = next.Add(interval)
	}
	close(jobs)
	wg.Wait()
	res.Elapsed = time.Since(start)
	for _, k := range res.ByKind {
		slices.Sort(k.latencies)
	}
	return res, nil
}
