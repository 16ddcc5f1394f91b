// Package metrics exposes the server's counters in the Prometheus text
// format: HTTP requests per route, the batching writer, machine-event
// intake, the database pools, and the Go runtime and process (memory,
// CPU, open files). Operators sizing a county server and the load
// generator's runs read them; nothing in the request path waits on them.
//
// There is no global registry: an App owns one Metrics and hands its
// Observe function to the HTTP layer.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every yiwang metric.
const Namespace = "yiwang"

// Metrics is one server's registry.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// New returns a registry holding the Go runtime and process collectors
// and the HTTP request metrics.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "http_requests_total",
		Help: "HTTP requests answered, by route pattern and status code.",
	}, []string{"route", "code"})
	// Buckets from 1 ms to 10 s: a person's create should be in the low
	// tens of milliseconds, a batch of machine events in the hundreds.
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "http_request_duration_seconds",
		Help:    "Time from a request's arrival to its answer, by route pattern.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route"})
	m.reg.MustRegister(m.requests, m.duration)
	return m
}

// Observe records one answered request. route is the ServeMux pattern
// that matched ("" when none did), so the label set stays bounded.
func (m *Metrics) Observe(route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Gauge registers a value read when scraped.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, f))
}

// Counter registers a monotonically growing value read when scraped.
func (m *Metrics) Counter(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, f))
}

// CounterLabelled registers one series of a counter that has several:
// name and help are the same for each, labels tell them apart (a small,
// fixed set, such as a timer's kind).
func (m *Metrics) CounterLabelled(name, help string, labels map[string]string, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help, ConstLabels: labels}, f))
}

// Histogram registers a histogram and returns its observe function.
func (m *Metrics) Histogram(name, help string, buckets []float64) func(float64) {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets})
	m.reg.MustRegister(h)
	return h.Observe
}

// DBPool registers a database/sql pool's statistics under pool (e.g.
// "read", "write").
func (m *Metrics) DBPool(pool string, db *sql.DB) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, pool))
}
