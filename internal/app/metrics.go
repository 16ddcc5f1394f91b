package app

import (
	"github.com/yiwang-gov/yiwang/internal/metrics"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// registerGroupCommit exposes the batching writer's counters: how busy the
// one SQLite writer is tells an operator how close the server runs to its
// ceiling (docs/PERFORMANCE.md).
func registerGroupCommit(m *metrics.Metrics, gc *sqlstore.GroupCommit) {
	m.Counter("groupcommit_batches_total", "Transactions the batching writer ran.", func() float64 { return float64(gc.Stats().Batches) })
	m.Counter("groupcommit_ops_total", "Operations (case creations, audit entries, machine events, …) the batching writer ran.", func() float64 { return float64(gc.Stats().Ops) })
	m.Counter("groupcommit_busy_seconds_total", "Time the batching writer spent in transactions; its rate near 1 means the writer is the ceiling.", func() float64 { return gc.Stats().Busy.Seconds() })
	m.Gauge("groupcommit_batch_max_seconds", "The longest transaction of the batching writer since start.", func() float64 { return gc.Stats().MaxBatch.Seconds() })
	m.Gauge("groupcommit_queued_people", "People's operations waiting for the batching writer.", func() float64 { return float64(gc.Stats().QueuedPeople) })
	m.Gauge("groupcommit_queued_machine", "Machine-event operations waiting for the batching writer.", func() float64 { return float64(gc.Stats().QueuedMachine) })
}

// registerIntake exposes what became of machine events.
func registerIntake(m *metrics.Metrics, in *service.Intake) {
	m.Gauge("intake_pending_events", "Machine events queued or being written.", func() float64 { return float64(in.Stats().Pending) })
	for _, c := range []struct {
		name, help string
		get        func(service.IntakeStats) int64
	}{
		{"intake_created_total", "Machine events that opened a new case.", func(s service.IntakeStats) int64 { return s.Created }},
		{"intake_folded_total", "Machine events folded into an open case as repeats.", func(s service.IntakeStats) int64 { return s.Folded }},
		{"intake_review_total", "Low-confidence machine events put in the review queue.", func(s service.IntakeStats) int64 { return s.Review }},
		{"intake_suppressed_total", "Repeats of dismissed machine events.", func(s service.IntakeStats) int64 { return s.Suppressed }},
		{"intake_duplicates_total", "Retries of an event id already answered.", func(s service.IntakeStats) int64 { return s.Duplicates }},
		{"intake_failed_total", "Machine events a writer could not record.", func(s service.IntakeStats) int64 { return s.Failed }},
		{"intake_rejected_total", "Machine events refused because the intake was saturated (429).", func(s service.IntakeStats) int64 { return s.Rejected }},
		{"intake_batches_total", "Transactions the intake writers ran.", func(s service.IntakeStats) int64 { return s.Batches }},
	} {
		m.Counter(c.name, c.help, func() float64 { return float64(c.get(in.Stats())) })
	}
}

// registerTimers exposes what the deadline timer loop did. Each fired
// timer is only a Debug line in the log (a demo start fires dozens), so
// the counters are where an operator sees the loop at work.
func registerTimers(m *metrics.Metrics, svc *service.Service) {
	help := "Deadline timers this node fired, by kind: warn (yellow), due (red, automatic 督办单), reply_due (a supervision document's reply is late)."
	for kind, get := range map[string]func(service.TimerStats) int64{
		"warn":      func(s service.TimerStats) int64 { return s.Warn },
		"due":       func(s service.TimerStats) int64 { return s.Due },
		"reply_due": func(s service.TimerStats) int64 { return s.ReplyDue },
	} {
		m.CounterLabelled("timers_fired_total", help, map[string]string{"kind": kind}, func() float64 { return float64(get(svc.TimerStats())) })
	}
	m.Counter("timers_failed_total", "Attempts to fire a deadline timer that failed (each is logged at Error; the timer stays pending).",
		func() float64 { return float64(svc.TimerStats().Failed) })
}

// registerHealth exposes what the health probe watches: a full disk, and
// audit entries waiting because the store refused them.
func registerHealth(m *metrics.Metrics, svc *service.Service) {
	m.Gauge("storage_full", "1 while writes fail for lack of space (the health probe answers 503 disk_full), else 0.", func() float64 {
		if full, _ := svc.StorageFullStats(); full {
			return 1
		}
		return 0
	})
	m.Counter("storage_full_errors_total", "Writes refused because the disk or the database was full.", func() float64 { _, n := svc.StorageFullStats(); return float64(n) })
	m.Gauge("audit_pending_entries", "Audit entries the store refused, kept in memory for a retry.", func() float64 { p, _ := svc.AuditBacklog(); return float64(p) })
	m.Counter("audit_dropped_total", "Audit entries dropped because more than the bound waited for the store.", func() float64 { _, d := svc.AuditBacklog(); return float64(d) })
}
