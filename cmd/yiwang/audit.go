package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/calendar"
)

// cmdAudit: `yiwang audit verify` checks the hash chain and exits non-zero
// naming the first broken entry; `yiwang audit export` writes the log as
// CSV (UTF-8 with BOM) for auditors.
func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "export") {
		return errors.New("usage: yiwang audit verify|export --data DIR [--db postgres://…]")
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, false)
	out := fs.String("out", "", "export: file to write (default standard output)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	st, err := sf.openSQL(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if args[0] == "verify" {
		n, err := audit.VerifyAll(ctx, st)
		var b *audit.Broken
		if errors.As(err, &b) {
			fmt.Fprintf(stdout, "审计日志链校验失败 / audit chain BROKEN at entry %d: %s (%d entries before it verified)\n", b.Seq, b.Reason, n)
			return fmt.Errorf("audit chain broken at entry %d", b.Seq)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "审计日志链完整 / audit chain intact: %d entries verified\n", n)
		// Entries committed with their writes but not chained yet (the
		// server was stopped or killed within a moment of the write): the
		// next start chains them first.
		if p, err := st.PendingAuditCount(ctx); err == nil && p > 0 {
			fmt.Fprintf(stdout, "另有 %d 条已提交的审计记录待入链（服务下次启动时入链） / %d committed entries wait to be chained (at the next start)\n", p, p)
		}
		return nil
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	io.WriteString(w, "\ufeff")
	cw := csv.NewWriter(w)
	cw.Write([]string{"序号", "时间", "用户ID", "用户名", "角色", "操作", "对象", "结果", "来源IP", "说明", "算法", "前序哈希", "哈希"})
	var after int64
	for {
		page, err := st.AuditEntries(ctx, after, 1000)
		if err != nil {
			return err
		}
		for _, e := range page {
			cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.In(calendar.Beijing()).Format(time.RFC3339), strconv.FormatInt(e.UserID, 10),
				e.Username, e.Role, e.Action, e.Target, e.Result, e.IP, e.Detail, e.Alg, e.PrevHash, e.Hash})
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].Seq
	}
	cw.Flush()
	return cw.Error()
}
