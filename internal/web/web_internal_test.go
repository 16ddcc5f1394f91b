package web

import (
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/i18n"
)

func TestDeadlineLevel(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Beijing())
	due := start.Add(100 * time.Hour)
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{start, "ok"},
		{start.Add(79 * time.Hour), "ok"},
		{start.Add(80 * time.Hour), "warn"}, // 80 % used
		{due.Add(-time.Second), "warn"},
		{due, "late"},
		{due.Add(time.Hour), "late"},
	} {
		if got := deadlineLevel(start, due, tc.now); got != tc.want {
			t.Errorf("at %s: %q, want %q", tc.now.Sub(start), got, tc.want)
		}
	}
	if got := deadlineLevel(start, time.Time{}, start); got != "" {
		t.Errorf("no deadline: %q", got)
	}
	if got := deadlineLevel(time.Time{}, due, start); got != "ok" {
		t.Errorf("unknown start before the deadline: %q", got)
	}
}

// TestLocalPath: every way we know of to make a browser (or a proxy that
// decodes once more) leave the site is refused; the site's own paths,
// with queries and fragments, are kept.
func TestLocalPath(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"/work/inbox", true},
		{"/work/inbox?tab=x", true},
		{"/work/cases/12#t", true},
		{"/work/cases/3?x=1&y=%E4%B8%AD", true}, // an encoded Chinese query value
		{"/work/inbox?q=城管", true},
		{"/work/inbox?q=a%2Fb", true}, // an encoded slash inside a query value
		{"/work/review?done=confirm&event=3", true},
		{"/", true},
		{"/http://evil.example", true}, // a path on this site, however it looks

		{"", false},
		{"work", false},
		{"evil.example", false},
		{"//evil.example", false},
		{"///evil.example", false},
		{"/\\evil.example", false},
		{"\\\\evil.example", false},
		{"/\\/evil.example", false},
		{"/\t/evil.example", false}, // browsers drop the tab: //evil.example
		{"/\n/evil.example", false},
		{"/\r/evil.example", false},
		{"/%09/evil.example", false},
		{"/%0a/evil.example", false},
		{"/%0D%0A/evil.example", false},
		{"/a\r\nSet-Cookie: x", false},
		{"/a%0d%0aSet-Cookie:%20x", false},
		{"/%2F%2Fevil.example", false},
		{"/%2fevil.example", false},
		{"/%5Cevil.example", false},
		{"/%5cevil.example", false},
		{"/%252F%252Fevil.example", false}, // double encoding
		{"/%25252F%25252Fevil.example", false},
		{"/%2525252F", false}, // still encoded after three decodings
		{"/%zz", false},
		{"/a%", false},
		{"https://evil.example", false},
		{"http://evil.example/", false},
		{"http:evil.example", false},
		{"http:/evil.example", false},
		{"https:\\\\evil.example", false},
		{"javascript:alert(1)", false},
		{" /evil.example", false},
		{"\t//evil.example", false},
		{"/\x00/evil.example", false},
		{"/\x7f/evil.example", false},
		{"/\u0085/evil.example", false}, // a C1 control (next line)
		{"/%C2%85/evil.example", false},
		{"/\u200b/evil.example", false}, // zero-width space
		{"/\u202e/evil.example", false}, // right-to-left override
		{"/\u3000/evil.example", false}, // ideographic space
		{"/\uff0fevil.example", false},  // full-width solidus ／
		{"/%EF%BC%8Fevil.example", false},
		{"/\uff3cevil.example", false}, // full-width reverse solidus ＼
		{"/\u2215evil.example", false}, // division slash ∕
		{"/\u2044evil.example", false}, // fraction slash ⁄
		{"/\xff", false},               // not UTF-8
		{"/%FF", false},
	} {
		if got := localPath(tc.s); got != tc.want {
			t.Errorf("localPath(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestSwitchURL(t *testing.T) {
	u, _ := url.Parse("/work/inbox?tab=late&lang=zh-CN&done=accept")
	if got := switchURL(u, "zh-CN"); got != "/work/inbox?lang=en&tab=late" {
		t.Errorf("switch to English: %s", got)
	}
	if got := switchURL(u, "en"); got != "/work/inbox?lang=zh-CN&tab=late" {
		t.Errorf("switch to Chinese: %s", got)
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	def := contentSecurityPolicy("")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:;", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(def, want) {
			t.Errorf("default CSP lacks %q: %s", want, def)
		}
	}
	if strings.Contains(def, "unsafe") || strings.Contains(def, "http") {
		t.Errorf("default CSP allows too much: %s", def)
	}
	tdt := contentSecurityPolicy("https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}")
	if !strings.Contains(tdt, "img-src 'self' data: blob: https://*.tianditu.gov.cn;") || strings.Contains(tdt, "script-src 'self' https") {
		t.Errorf("tile CSP: %s", tdt)
	}
	one := contentSecurityPolicy("https://tiles.example.org/{z}/{x}/{y}.png")
	if !strings.Contains(one, "img-src 'self' data: blob: https://tiles.example.org;") {
		t.Errorf("single-host tile CSP: %s", one)
	}
}

// TestCatalogueCoversPages: every message key a template or handler names
// is in both catalogues (a missing key would show as the raw key).
func TestCatalogueCoversPages(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	keyRe := regexp.MustCompile(`"((?:web|error|field|demo|app|role)\.[a-z_.0-9]+[a-z_0-9])"`)
	seen := 0
	check := func(name, text string) {
		for _, m := range keyRe.FindAllStringSubmatch(text, -1) {
			seen++
			if !cat.Has(m[1]) {
				t.Errorf("%s names %q, which is not in the catalogue", name, m[1])
			}
		}
	}
	fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(templateFS, p)
			check(p, string(b))
		}
		return nil
	})
	if seen < 150 {
		t.Fatalf("only %d keys found in the templates", seen)
	}
	// Keys built at run time.
	for _, prefix := range []string{"web.tab.", "role.", "web.channel.", "web.result.", "web.review.status."} {
		var list []string
		switch prefix {
		case "web.tab.":
			for _, tab := range allTabs {
				list = append(list, tab.Key)
			}
		case "role.":
			list = []string{"citizen", "operator", "grid_worker", "supervisor", "dispatcher", "unit", "discipline", "leader", "admin"}
		case "web.channel.":
			list = []string{"app", "hotline", "patrol", "video", "inspection", "supervision", "web", "open311"}
		case "web.result.":
			list = []string{"pass", "fail", "satisfied", "basically_satisfied", "dissatisfied"}
		case "web.review.status.":
			list = reviewStatuses
		}
		for _, k := range list {
			if !cat.Has(prefix + k) {
				t.Errorf("catalogue lacks %s%s", prefix, k)
			}
		}
	}
	// The English catalogue has its own text for the pages, not Chinese.
	for _, k := range []string{"web.home.heading", "web.report.submit", "web.tab.late", "web.map.missing", "web.review.title", "web.review.confidence"} {
		if en := cat.T("en", k); en == cat.T("zh-CN", k) || strings.ContainsFunc(en, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			t.Errorf("%s is not translated: %q", k, en)
		}
	}
}

func TestDuration(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	w := &Web{i18n: cat}
	for d, want := range map[time.Duration]string{
		50 * time.Hour:                 "2 天 2 小时",
		-(3*time.Hour + 5*time.Minute): "3 小时 5 分",
		12 * time.Minute:               "12 分钟",
	} {
		if got := w.duration("zh-CN", d); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
	if got := w.duration("en", 50*time.Hour); got != "2 d 2 h" {
		t.Errorf("English: %q", got)
	}
}

// TestMapLibraryMissing: a binary built without `make assets` says so
// plainly where the map would be, and loads no map script.
func TestMapLibraryMissing(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	w := &Web{i18n: cat}
	w.pages = parsePages(w.funcs())
	for _, ok := range []bool{false, true} {
		var b strings.Builder
		p := &page{Lang: "zh-CN", Title: "t", Map: true, MapOK: ok, Data: figuresView{District: "娄星区"}}
		if err := w.pages["map"].ExecuteTemplate(&b, "layout", p); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		missing := strings.Contains(html, `<p class="map-missing" role="note">地图组件未安装（运行 make assets）</p>`)
		script := strings.Contains(html, `<script src="/static/vendor/leaflet/leaflet.js">`)
		if missing == ok || script != ok {
			t.Errorf("library present %v: notice %v, script %v", ok, missing, script)
		}
	}
}

// TestParseTypeMap: the event-source form's type map, one
// event_type=category_code a line.
func TestParseTypeMap(t *testing.T) {
	m, lines, err := parseTypeMap(" occupy_road = E0501 \r\n\r\nwaterlogging=E0404\n")
	if err != nil || len(m) != 2 || m["occupy_road"] != "E0501" || m["waterlogging"] != "E0404" || lines["waterlogging"] != 3 {
		t.Fatalf("good map: %v %v %v", m, lines, err)
	}
	if m, _, err := parseTypeMap("  \n"); err != nil || len(m) != 0 {
		t.Fatalf("blank map: %v %v", m, err)
	}
	var many strings.Builder
	for i := range maxMapLines + 1 {
		fmt.Fprintf(&many, "t%d=E0501\n", i)
	}
	if _, _, err := parseTypeMap(many.String()); err == nil || err.key != "field.too_many" {
		t.Errorf("%d lines: %v", maxMapLines+1, err)
	}
	for in, want := range map[string]string{
		"a=E0501\nb E0404": "web.sources.map_line",
		"=E0501":           "web.sources.map_line",
		"a=":               "web.sources.map_line",
		"a=E05=01":         "web.sources.map_line",
		"a=E0501\na=E0404": "web.sources.map_duplicate",
	} {
		if _, _, err := parseTypeMap(in); err == nil || err.key != want {
			t.Errorf("%q: %v, want %s", in, err, want)
		}
	}
}
