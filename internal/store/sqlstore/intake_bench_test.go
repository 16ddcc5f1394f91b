package sqlstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// BenchmarkIngestFold measures the writer's cost of a folded repeat: 1,000
// cameras with an open case each, repeats in batches of 256; with-ids
// gives every event an event_id (the retry check and its row).
func BenchmarkIngestFold(b *testing.B) {
	b.Run("no-ids", func(b *testing.B) { benchIngestFold(b, false) })
	b.Run("with-ids", func(b *testing.B) { benchIngestFold(b, true) })
}

func benchIngestFold(b *testing.B, ids bool) {
	f := &intakeFixture{t: &testing.T{}}
	db, g := openGC(b)
	f.db, f.st, f.t0 = db, g, time.UnixMilli(1_800_000_000_000)
	f.src = store.EventSource{Code: "cam", Name: "雪亮工程", Kind: "video", KeyPrefix: "ywev_x", KeyHash: "h1", MinConfidence: 0.6,
		FoldWindow: 10 * time.Minute, FoldDistanceM: 50, NoteEvery: 1000000, CreatedAt: f.t0}
	if err := g.CreateEventSource(context.Background(), &f.src); err != nil {
		b.Fatal(err)
	}
	const devices = 1000
	var first []store.MachineEventInput
	for d := range devices {
		first = append(first, f.event(fmt.Sprintf("cam-%d", d), 2, 0, 27.735, 111.985, 0.9))
	}
	if _, err := g.IngestMachineEvents(context.Background(), first); err != nil {
		b.Fatal(err)
	}
	n := 0
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		batch := make([]store.MachineEventInput, 256)
		for i := range batch {
			n++
			batch[i] = f.event(fmt.Sprintf("cam-%d", n%devices), 2, time.Duration(n)*time.Millisecond, 27.735, 111.985, 0.9)
			if ids {
				batch[i].EventID = fmt.Sprintf("ALM-%d", n)
			}
		}
		res, err := g.IngestMachineEvents(context.Background(), batch)
		if err != nil || res[0].Outcome != store.OutcomeFolded {
			b.Fatal(err, res[0])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*256), "ns/event")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*256), "cpu-ns/event")
}

// cpuTime is the process's user and system CPU time: under a loaded
// machine, wall time measures the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGroupCreate measures the writer's cost of a person's case
// creation through the group committer: 64 concurrent callers.
func BenchmarkGroupCreate(b *testing.B) {
	_, g := openGC(b)
	t0 := time.Now()
	var n atomic.Int64
	cpu0 := cpuTime()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			c, ev := storetest.NewCase(i, t0)
			if err := g.CreateCase(context.Background(), &c, &ev, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/case")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
}
