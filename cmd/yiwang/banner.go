package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/auth"
	"github.com/yiwang-gov/yiwang/internal/demo"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// bannerRule opens and closes the block `serve` prints when it is up.
var bannerRule = strings.Repeat("─", 40)

// demoAccount is one demo account the closing block names, with what it
// is in a word.
type demoAccount struct{ username, label string }

// bannerAccounts are the demo accounts worth trying first, one of each
// kind of work (the demo has more: one per department, street and
// township, 26 grid workers). Only the ones the store holds are printed.
var bannerAccounts = [][]demoAccount{
	{{"operator1", "受理员"}, {"dispatcher", "指挥中心"}, {"supervisor", "监督中心"}, {"leader", "领导"}, {"admin", "管理员"}},
	{{"chengguan", "城管局"}, {"leping", "乐坪街道"}, {"wgy001", "网格员"}, {"discipline", "纪委监委"}, {"citizen", "市民"}},
}

// bannerInfo is what the closing block says.
type bannerInfo struct {
	addr        net.Addr
	dataDir     string
	dbURL       string // PostgreSQL, or "" for the SQLite file in dataDir
	filesDir    string
	demo        bool
	password    string // the demo password serve was given
	passwordSet bool   // given with --demo-password (not printed back)
}

// closingBlock is the few lines `serve` prints last, on stdout, once the
// server listens and its start-up work is done: where to open the
// browser, the demo accounts and their password, where the data lives.
// The logs (stderr) scroll past at start; this is what stays on screen.
// Chinese first, English beside it, like the rest of the product.
func closingBlock(ctx context.Context, st store.Store, in bannerInfo) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s", bannerRule)
	line("一网统管 yiwang 已启动 / is running")
	open, all := openURL(in.addr)
	line("打开 Open:  %s", open)
	if all != "" {
		line("            (监听所有网卡 listening on all interfaces: %s)", all)
	}
	if in.demo {
		var rows []string
		var firstUser string
		for _, group := range bannerAccounts {
			var names []string
			for _, a := range group {
				if _, err := st.UserByUsername(ctx, a.username); err != nil {
					continue
				}
				if firstUser == "" {
					firstUser = a.username
				}
				names = append(names, a.username+" "+a.label)
			}
			if len(names) > 0 {
				rows = append(rows, "  "+strings.Join(names, " · "))
			}
		}
		if len(rows) > 0 {
			line("演示账号 Demo accounts (密码 password: %s):", demoPasswordText(ctx, st, firstUser, in))
			for _, r := range rows {
				line("%s", r)
			}
		}
	}
	if in.dbURL != "" {
		line("数据库 Database: %s", redactURL(in.dbURL))
		line("附件目录 Files: %s", absPath(in.filesDir))
	} else {
		line("数据目录 Data: %s", absPath(in.dataDir))
	}
	line("按 Ctrl+C 停止 / Ctrl+C to stop")
	line("%s", bannerRule)
	return b.String()
}

// demoPasswordText is the password the block shows: the demo's public
// password when it opens the accounts, never one the operator chose
// (they know it, and stdout may be kept in a journal), and a plain
// sentence when the accounts were loaded with another password earlier.
func demoPasswordText(ctx context.Context, st store.Store, username string, in bannerInfo) string {
	matches := false
	if u, err := st.UserByUsername(ctx, username); err == nil {
		matches, _ = auth.CheckPassword(in.password, u.PasswordHash)
	}
	switch {
	case matches && !in.passwordSet && in.password == demo.DefaultPassword:
		return in.password
	case matches:
		return "--demo-password 所设 / as given with --demo-password"
	default:
		return "首次载入演示时所设 / as set when the demo was first loaded"
	}
}

// openURL is the address to open in a browser. A listener on every
// interface (0.0.0.0, [::]) is opened on this machine as 127.0.0.1; all
// then names the listener.
func openURL(a net.Addr) (open, all string) {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String(), ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return "http://" + net.JoinHostPort("127.0.0.1", port), a.String()
	}
	return "http://" + a.String(), ""
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// redactURL hides a database URL's password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(PostgreSQL)"
	}
	return u.Redacted()
}
