package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
)

// lockedBuffer is a log sink the timer loop and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTimerMetrics: a fired deadline timer is a Debug line, not an Info
// one (a demo start fires dozens and they pushed the address off the
// screen), and it is counted in yiwang_timers_fired_total by kind, so the
// loop's work stays visible to an operator.
func TestTimerMetrics(t *testing.T) {
	ctx := context.Background()
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// 400 historical cases leave open ones past their deadlines.
	a, err := openApp(t, ctx, app.Config{DataDir: t.TempDir(), Demo: true, DemoCases: 400, TimerTick: -1, PublicPerMinute: -1, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	h := &harness{t: t, app: a}
	before := scrape(t, h)
	fired, err := a.Service.FireDueTimers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fired == 0 {
		t.Fatal("the demo history left no timer due")
	}
	m := scrape(t, h)
	var sum float64
	for _, kind := range []string{"warn", "due", "reply_due"} {
		name := `yiwang_timers_fired_total{kind="` + kind + `"}`
		if _, ok := m[name]; !ok {
			t.Errorf("no series %s", name)
		}
		sum += m[name] - before[name]
	}
	if int(sum) != fired {
		t.Errorf("timers_fired_total went up by %v, %d fired", sum, fired)
	}
	if m[`yiwang_timers_fired_total{kind="due"}`] == 0 || m[`yiwang_timers_failed_total`] != 0 {
		t.Errorf("due %v, failed %v", m[`yiwang_timers_fired_total{kind="due"}`], m[`yiwang_timers_failed_total`])
	}
	st := a.Service.TimerStats()
	if int(st.Warn+st.Due+st.ReplyDue) != fired {
		t.Errorf("TimerStats %+v, %d fired", st, fired)
	}
	out := logs.String()
	if n := strings.Count(out, `level=DEBUG msg="timer fired"`); n != fired {
		t.Errorf("%d Debug lines for %d fired timers", n, fired)
	}
	if strings.Contains(out, `level=INFO msg="timer fired"`) {
		t.Error("a fired timer logged at Info")
	}
}
