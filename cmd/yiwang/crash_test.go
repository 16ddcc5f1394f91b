package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestCrashKeepsAcknowledgedCases kills the server with SIGKILL at least
// 20 times under a bounded load of concurrent creates on loopback. Every
// case that was answered 201 must be there afterwards, none twice (the
// clients retry with the same Idempotency-Key), and the integrity and
// audit checks must pass. Every acknowledged create has its audit entry
// naming the case, committed with it: none may be lost to a kill between
// the answer and a later audit write.
func TestCrashKeepsAcknowledgedCases(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "yiwang")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := t.TempDir()
	addr := freePort(t)
	base := "http://" + addr
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--demo", "--addr", addr, "--data", data, "--log-level", "error", "--public-rate", "-1")
		cmd.Env = append(os.Environ(), "YIWANG_DEMO_PASSWORD=")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if res, err := http.Get(base + "/healthz"); err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return cmd
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Kill()
		t.Fatal("server did not come up")
		return nil
	}

	cmd := start()
	var cats struct {
		Categories []struct {
			Code string
			Leaf bool
			Kind string
		}
	}
	res, err := http.Get(base + "/api/v1/categories")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&cats)
	res.Body.Close()
	var code string
	for _, c := range cats.Categories {
		if c.Leaf && c.Kind == "event" {
			code = c.Code
			break
		}
	}

	const clients, perClient = 6, 3000 // per-client cap; the load stops after the 20th kill
	var acked sync.Map                 // key → receipt
	var ackedIDs sync.Map              // key → case id
	var sent, ok201, retries atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := 0; i < perClient && !stop.Load(); i++ {
				key := fmt.Sprintf("crash-%d-%d", c, i)
				body, _ := json.Marshal(map[string]any{"category": code, "description": "崩溃测试 " + key, "lat": 27.7301 + float64(c)*0.001, "lng": 111.9901 + float64(i)*0.0001})
				for ctx.Err() == nil {
					req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/cases", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Idempotency-Key", key)
					sent.Add(1)
					res, err := client.Do(req)
					if err != nil {
						retries.Add(1)
						time.Sleep(30 * time.Millisecond)
						continue
					}
					var out struct {
						ID      int64
						Receipt string
					}
					json.NewDecoder(res.Body).Decode(&out)
					res.Body.Close()
					if res.StatusCode == 201 {
						if prev, loaded := acked.LoadOrStore(key, out.Receipt); loaded && prev != out.Receipt {
							t.Errorf("key %s answered with two receipts %s and %s", key, prev, out.Receipt)
						}
						ackedIDs.Store(key, out.ID)
						ok201.Add(1)
						break
					}
					retries.Add(1)
					time.Sleep(30 * time.Millisecond)
				}
			}
		})
	}
	kills := 0
	for kills < 20 {
		time.Sleep(time.Duration(150+kills*37%250) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		kills++
		cmd = start()
	}
	stop.Store(true) // clients finish the request in hand (retrying it) and stop
	wg.Wait()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "yiwang.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	missing, n := 0, 0
	acked.Range(func(k, v any) bool {
		n++
		var count int
		db.QueryRow(`SELECT COUNT(*) FROM cases WHERE idem_key = ? AND receipt = ?`, "public:"+k.(string), v.(string)).Scan(&count)
		if count != 1 {
			missing++
			t.Errorf("acknowledged case %s (%s) found %d times", k, v, count)
		}
		return true
	})
	var withKeys, distinct int
	db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT idem_key) FROM cases WHERE idem_key LIKE 'public:crash-%'`).Scan(&withKeys, &distinct)
	if withKeys != distinct || distinct < n || distinct > clients*perClient {
		t.Errorf("cases with test keys %d, distinct %d, acknowledged %d", withKeys, distinct, n)
	}
	var check string
	db.QueryRow(`PRAGMA integrity_check`).Scan(&check)
	if check != "ok" {
		t.Errorf("integrity check: %s", check)
	}
	// Each acknowledged create's entry is committed: on the chain, or
	// waiting to be chained where the last kill left it.
	auditMissing := func(tables ...string) int {
		n := 0
		ackedIDs.Range(func(k, v any) bool {
			found := 0
			for _, tbl := range tables {
				var c int
				db.QueryRow(`SELECT COUNT(*) FROM `+tbl+` WHERE target = ? AND action = 'POST /api/v1/cases' AND result = 'ok'`, fmt.Sprintf("case:%d", v.(int64))).Scan(&c)
				found += c
			}
			if found == 0 {
				n++
				if n <= 5 {
					t.Errorf("acknowledged case %d (%s) has no audit entry", v.(int64), k)
				}
			}
			return true
		})
		return n
	}
	var pending int
	db.QueryRow(`SELECT COUNT(*) FROM audit_pending`).Scan(&pending)
	if n := auditMissing("audit_log", "audit_pending"); n > 0 {
		t.Errorf("%d acknowledged creates without an audit entry", n)
	}
	out, err := exec.Command(bin, "audit", "verify", "--data", data).CombinedOutput()
	if err != nil {
		t.Errorf("audit verify after crashes: %v\n%s", err, out)
	}
	// One more start chains what the last kill left; then every entry is
	// on the chain and the chain verifies.
	cmd = start()
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if n := auditMissing("audit_log"); n > 0 {
		t.Errorf("%d acknowledged creates not on the audit chain after a restart", n)
	}
	out, err = exec.Command(bin, "audit", "verify", "--data", data).CombinedOutput()
	if err != nil {
		t.Errorf("audit verify after the restart: %v\n%s", err, out)
	}
	t.Logf("crash test: %d SIGKILLs, %d requests sent (%d retried), %d acknowledged with 201, %d distinct cases with test keys, none twice, none lost; every one with its audit entry (%d waiting to be chained after the last kill); integrity %s; %s",
		kills, sent.Load(), retries.Load(), n, distinct, pending, check, bytes.TrimSpace(out))
}
