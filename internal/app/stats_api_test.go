package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"github.com/yiwang-gov/yiwang/internal/stats/ledger"
)

// get fetches a path with a token and returns status, content type and body.
func (h *harness) get(path, token string, hdr ...string) (int, string, []byte) {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

func jnum(m map[string]any, path ...string) float64 {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return -1
		}
		cur = mm[p]
	}
	f, ok := cur.(float64)
	if !ok {
		return -1
	}
	return f
}

const yearRange = "from=2025-01-01T00:00:00%2B08:00&to=2027-01-01T00:00:00%2B08:00"

// TestStatsAPI checks the statistics endpoints answer, with their rates'
// numerators and denominators, and refuse what they should.
func TestStatsAPI(t *testing.T) {
	h := newHarness(t, t.TempDir())
	leader := h.login("leader")
	r := h.do("GET", "/api/v1/stats/summary?"+yearRange, leader, nil)
	if r.status != 200 {
		t.Fatalf("summary: %d %s", r.status, r.raw)
	}
	for _, k := range []string{"received", "closed", "due_to_close", "closed_on_time"} {
		if jnum(r.body, k) < 0 {
			t.Errorf("summary lacks %s: %s", k, r.raw)
		}
	}
	if jnum(r.body, "received") < 60 {
		t.Errorf("the demo's cases are not counted: %s", r.raw)
	}
	for _, k := range []string{"closure_rate", "on_time_rate", "accurate_dispatch", "rework_rate", "satisfaction_rate", "response_rate"} {
		if jnum(r.body, k, "denominator") < 0 || jnum(r.body, k, "numerator") < 0 {
			t.Errorf("%s lacks numerator/denominator", k)
		}
	}
	if jnum(r.body, "closure_rate", "numerator") != jnum(r.body, "closed") || jnum(r.body, "closure_rate", "denominator") != jnum(r.body, "due_to_close") {
		t.Errorf("结案率 must be closed / due_to_close: %s", r.raw)
	}
	for _, k := range []string{"problems_rectified", "people_handled", "clues_transferred", "rules_made", "funds_recovered_fen", "funds_returned_fen"} {
		if jnum(r.body, "rectification", k) < 0 {
			t.Errorf("rectification sums lack %s", k)
		}
	}
	if _, ok := r.body["yoy"].(map[string]any); !ok {
		t.Errorf("no yoy")
	}
	// Both engines give the same figures.
	f := h.do("GET", "/api/v1/stats/summary?engine=facts&"+yearRange, leader, nil)
	ag := h.do("GET", "/api/v1/stats/summary?engine=aggregates&"+yearRange, leader, nil)
	for _, k := range []string{"received", "registered", "dispatched", "due_to_close", "closed", "closed_on_time"} {
		if jnum(f.body, k) != jnum(ag.body, k) {
			t.Errorf("%s: facts %v, aggregates %v", k, jnum(f.body, k), jnum(ag.body, k))
		}
	}

	// Malformed and invalid requests.
	if r := h.do("GET", "/api/v1/stats/summary?from=yesterday", leader, nil); r.status != 400 || !strings.Contains(string(r.raw), `"from"`) {
		t.Errorf("bad time: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/api/v1/stats/summary?from=2025-06-01&to=2025-05-01", leader, nil); r.status != 422 {
		t.Errorf("reversed range: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/api/v1/stats/summary?area=999999", leader, nil); r.status != 422 {
		t.Errorf("unknown area: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/api/v1/stats/breakdown?by=planet", leader, nil); r.status != 422 {
		t.Errorf("unknown grouping: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/api/v1/stats/breakdown?by=community&engine=aggregates", leader, nil); r.status != 422 || !strings.Contains(string(r.raw), "engine") {
		t.Errorf("aggregates asked for communities: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/api/v1/stats/summary?channel=app&engine=aggregates", leader, nil); r.status != 422 {
		t.Errorf("aggregates asked for a channel: %d", r.status)
	}
	if r := h.do("GET", "/api/v1/stats/summary", "", nil); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}
	if r := h.do("GET", "/api/v1/stats/summary", h.login("wgy001"), nil); r.status != 403 {
		t.Errorf("grid worker: %d", r.status)
	}
	// A unit sees its own cases only, and may not ask for another's.
	unit := h.login("chengguan")
	mine := h.do("GET", "/api/v1/stats/summary?"+yearRange, unit, nil)
	if mine.status != 200 || jnum(mine.body, "received") > jnum(r.body, "received") {
		t.Errorf("unit summary: %d %s", mine.status, mine.raw)
	}
	if r := h.do("GET", "/api/v1/stats/summary?unit=1", unit, nil); r.status != 403 {
		t.Errorf("unit asking for another unit: %d", r.status)
	}

	// Breakdowns, rankings, hot spots, topics, the dashboard.
	for _, by := range []string{"street", "community", "grid", "unit", "user", "category", "channel", "type", "subtype", "month", "day"} {
		r := h.do("GET", "/api/v1/stats/breakdown?by="+by+"&from=2025-01-01&to=2025-12-31", leader, nil)
		if r.status != 200 {
			t.Errorf("breakdown by %s: %d %s", by, r.status, r.raw)
			continue
		}
		rows, _ := r.body["rows"].([]any)
		if len(rows) == 0 && by != "subtype" {
			t.Errorf("breakdown by %s has no rows", by)
		}
	}
	for _, of := range []string{"unit", "street"} {
		r := h.do("GET", "/api/v1/stats/ranking?of="+of+"&weights=30,35,35&"+yearRange, leader, nil)
		if r.status != 200 {
			t.Errorf("ranking of %s: %d %s", of, r.status, r.raw)
		}
	}
	if r := h.do("GET", "/api/v1/stats/ranking?weights=1,2", leader, nil); r.status != 400 {
		t.Errorf("bad weights: %d", r.status)
	}
	for _, p := range []string{"/api/v1/stats/hotspots?min=2&" + yearRange, "/api/v1/stats/topics?" + yearRange, "/api/v1/stats/dashboard?" + yearRange} {
		if r := h.do("GET", p, leader, nil); r.status != 200 {
			t.Errorf("%s: %d %s", p, r.status, r.raw)
		}
	}

	// The briefing in every format.
	status, ct, body := h.get("/api/v1/stats/briefing?format=html&"+yearRange, leader)
	if status != 200 || !strings.HasPrefix(ct, "text/html") || !bytes.Contains(body, []byte("一网统管工作成效通报")) || !bytes.Contains(body, []byte("<svg")) {
		t.Errorf("briefing html: %d %s %.300s", status, ct, body)
	}
	status, ct, body = h.get("/api/v1/stats/briefing?format=md&"+yearRange, leader)
	if status != 200 || !strings.HasPrefix(ct, "text/markdown") || !bytes.Contains(body, []byte("## 一、总体情况")) || !bytes.Contains(body, []byte("结案率")) {
		t.Errorf("briefing md: %d %s %.300s", status, ct, body)
	}
	if os.Getenv("YIWANG_TEST_ARTIFACTS") != "" {
		dir := os.Getenv("YIWANG_TEST_ARTIFACTS")
		os.MkdirAll(dir, 0o755)
		_, _, html := h.get("/api/v1/stats/briefing?format=html&"+yearRange, leader)
		os.WriteFile(filepath.Join(dir, "briefing.html"), html, 0o644)
		os.WriteFile(filepath.Join(dir, "briefing.md"), body, 0o644)
	}

	// Exports: a workbook that opens, a CSV with a BOM.
	for _, table := range []string{"summary", "breakdown&by=street", "ranking&of=street", "hotspots", "topics", "cases&axis=closed"} {
		status, ct, body := h.get("/api/v1/stats/export?format=xlsx&table="+table+"&"+yearRange, leader)
		if status != 200 || ct != ledger.ContentTypeXLSX {
			t.Errorf("export %s: %d %s %.200s", table, status, ct, body)
			continue
		}
		x, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Errorf("export %s: %v", table, err)
			continue
		}
		rows, _ := x.GetRows(x.GetSheetList()[0])
		if len(rows) < 2 {
			t.Errorf("export %s: %d rows", table, len(rows))
		}
		x.Close()
	}
	// Settings: anyone signed in reads them, administrators change them.
	cfg := h.do("GET", "/api/v1/stats/config", leader, nil)
	if cfg.status != 200 || jnum(cfg.body, "weights", "response") != 30 || jnum(cfg.body, "min_sample") != 5 {
		t.Fatalf("config: %d %s", cfg.status, cfg.raw)
	}
	if r := h.do("PUT", "/api/v1/stats/config", leader, cfg.body); r.status != 403 {
		t.Errorf("leader changing settings: %d", r.status)
	}
	admin := h.login("admin")
	cfg.body["weights"] = map[string]any{"response": -1, "resolution": 1, "satisfaction": 1}
	if r := h.do("PUT", "/api/v1/stats/config", admin, cfg.body); r.status != 422 || !strings.Contains(string(r.raw), "weights") {
		t.Errorf("negative weight: %d %s", r.status, r.raw)
	}
	cfg.body["weights"] = map[string]any{"response": 1, "resolution": 1, "satisfaction": 2}
	if r := h.do("PUT", "/api/v1/stats/config", admin, cfg.body); r.status != 200 {
		t.Errorf("set weights: %d %s", r.status, r.raw)
	}
	rk := h.do("GET", "/api/v1/stats/ranking?"+yearRange, leader, nil)
	if jnum(rk.body, "weights", "satisfaction") != 2 {
		t.Errorf("ranking ignores the configured weights: %s", rk.raw)
	}
	status, ct, body = h.get("/api/v1/stats/export?format=csv&table=breakdown&by=unit&"+yearRange, leader)
	if status != 200 || !strings.HasPrefix(ct, "text/csv") || !bytes.HasPrefix(body, []byte(ledger.BOM+"责任单位,受理数")) || !bytes.Contains(body, []byte("\r\n")) {
		t.Errorf("csv: %d %s %.120q", status, ct, body)
	}
}

// ledgerBook builds a rectification ledger workbook from rows (header first).
func ledgerBook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetCellValue("Sheet1", "A1", "问题整改台账")
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var rectHeader = []any{"序号", "台账编号", "整治领域", "问题来源", "问题描述", "责任单位", "配合单位", "发现时间", "整改措施", "整改状态", "完成时间",
	"追缴挽回资金（元）", "退还群众资金（元）", "退还群众人数", "处理人数", "移送问题线索（条）", "建章立制（项）", "备注"}

func (h *harness) postXLSX(path, token string, data []byte) resp {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", ledger.ContentTypeXLSX)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	json.Unmarshal(raw, &r.body)
	return r
}

// TestLedgerImport imports a 问题整改台账 with bad rows, duplicate numbers
// and wrong types (nothing written; errors by row and column in Chinese),
// then with skip_bad, then again (idempotent), and checks the summary's
// rectification sums come from the imported rows.
func TestLedgerImport(t *testing.T) {
	h := newHarness(t, t.TempDir())
	disc := h.login("discipline")
	good := [][]any{
		{1, "ZG-2025-001", "校园餐", "监督检查", "某小学食堂食材采购价格虚高", "区教育局", "区市场监督管理局", "2025-03-01", "重新招标，退还多收费用", "已销号", "2025-04-10", "12000.50", "25260", 120, 2, 1, 1, ""},
		{2, "ZG-2025-002", "乡村振兴资金", "巡视巡察", "村级项目资金拨付滞后", "区农业农村局", "", "2025年3月5日", "", "整改中", "", "", "", "", "", "", "", ""},
		{3, "ZG-2025-003", "欠薪", "信访举报", "政府项目拖欠农民工工资", "区人力资源和社会保障局", "", "2025/3/8", "追发工资", "已完成", "2025-05-20", "", "1920000", 107, "", "", 1, ""},
		{4, "ZG-2025-004", "物业", "群众反映", "小区物业服务不到位", "", "", "2025-04-01", "", "待交办", "", "", "", "", "", "", "", ""},
	}
	bad := [][]any{
		{5, "ZG-2025-005", "不存在的领域", "监督检查", "领域不对", "区教育局", "", "2025-03-01", "", "整改中", "", "", "", "", "", "", "", ""},
		{6, "ZG-2025-001", "校园餐", "监督检查", "编号重复", "区教育局", "", "2025-03-01", "", "整改中", "", "", "", "", "", "", "", ""},
		{7, "ZG-2025-007", "校园餐", "监督检查", "类型不对", "区教育局", "", "三月一日", "措施", "已销号", "2025-04-01", "十万元", "", "两人", "", "", "", ""},
		{8, "", "殡葬", "外星人", "", "区民政局", "", "2025-03-01", "", "差不多", "", "", "", "", "", "", "", ""},
	}
	book := ledgerBook(t, append([][]any{rectHeader}, append(good, bad...)...))
	before := h.counts()
	r := h.postXLSX("/api/v1/stats/ledgers/rectification/import", disc, book)
	if r.status != 200 || r.body["committed"] != false || jnum(r.body, "imported") != 0 || jnum(r.body, "bad") != 4 {
		t.Fatalf("import with bad rows: %d %s", r.status, r.raw)
	}
	if h.counts()["cases"] != before["cases"] {
		t.Fatal("an import with bad rows wrote cases")
	}
	// Each problem is reported by row and column, in Chinese.
	type cellErr struct {
		Row     int    `json:"row"`
		Column  string `json:"column"`
		Header  string `json:"header"`
		Message string `json:"message"`
	}
	var rep struct {
		Errors []cellErr `json:"errors"`
	}
	json.Unmarshal(r.raw, &rep)
	want := []cellErr{
		{7, "C", "整治领域", "整治领域“不存在的领域”不存在"},
		{8, "B", "台账编号", "编号与第 3 行重复"},
		{9, "H", "发现时间", "日期格式不正确，应为 2025-08-20 或 2025年8月20日"},
		{9, "L", "追缴挽回资金（元）", "金额格式不正确，应为不超过两位小数的非负数（单位：元）"},
		{9, "N", "退还群众人数", "应为非负整数"},
		{10, "B", "台账编号", "必填"},
		{10, "E", "问题描述", "必填"},
		{10, "D", "问题来源", ""},
		{10, "J", "整改状态", "“差不多”不是有效的状态，可选：待交办、整改中、已销号、长期整改、已撤销"},
	}
	for _, w := range want {
		found := false
		for _, e := range rep.Errors {
			if e.Row == w.Row && e.Column == w.Column && e.Header == w.Header && (w.Message == "" || e.Message == w.Message) {
				found = true
			}
		}
		if !found {
			t.Errorf("no error %+v in %s", w, r.raw)
		}
	}
	if r := h.do("GET", "/api/v1/stats/summary", disc, nil); r.status != 200 {
		t.Fatal(r.status)
	}
	// English on request.
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/stats/ledgers/rectification/import", bytes.NewReader(book))
	req.Header.Set("Authorization", "Bearer "+disc)
	req.Header.Set("Accept-Language", "en")
	res, _ := http.DefaultClient.Do(req)
	enBody, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Contains(enBody, []byte("number repeats row 3")) {
		t.Errorf("english messages: %s", enBody)
	}

	// Only the discipline commission imports.
	if r := h.postXLSX("/api/v1/stats/ledgers/rectification/import", h.login("leader"), book); r.status != 403 {
		t.Errorf("leader import: %d", r.status)
	}
	if r := h.postXLSX("/api/v1/stats/ledgers/rectification/import", disc, []byte("not a workbook")); r.status != 422 {
		t.Errorf("not xlsx: %d %s", r.status, r.raw)
	}
	if r := h.postXLSX("/api/v1/stats/ledgers/nonsense/import", disc, book); r.status != 404 {
		t.Errorf("unknown ledger: %d", r.status)
	}

	// skip_bad imports the four good rows.
	r = h.postXLSX("/api/v1/stats/ledgers/rectification/import?skip_bad=true", disc, book)
	if r.status != 200 || r.body["committed"] != true || jnum(r.body, "imported") != 4 || jnum(r.body, "bad") != 4 {
		t.Fatalf("skip_bad: %d %s", r.status, r.raw)
	}
	if got := h.counts()["cases"]; got != before["cases"]+4 {
		t.Fatalf("cases %d, want %d", got, before["cases"]+4)
	}
	statuses := map[string]string{}
	for _, c := range r.body["cases"].([]any) {
		m := c.(map[string]any)
		statuses[m["ledger_no"].(string)] = m["status"].(string)
	}
	if statuses["ZG-2025-001"] != "closed" || statuses["ZG-2025-002"] != "rectifying" || statuses["ZG-2025-003"] != "closed" || statuses["ZG-2025-004"] != "registered" {
		t.Errorf("statuses %v", statuses)
	}
	// Importing again changes nothing: the numbers are known.
	r = h.postXLSX("/api/v1/stats/ledgers/rectification/import?skip_bad=true", disc, book)
	if r.status != 200 || jnum(r.body, "imported") != 0 || jnum(r.body, "existing") != 4 {
		t.Fatalf("re-import: %d %s", r.status, r.raw)
	}
	if got := h.counts()["cases"]; got != before["cases"]+4 {
		t.Fatalf("re-import wrote cases: %d", got)
	}
	// A good-only file re-imported without skip_bad: all existing, committed.
	r = h.postXLSX("/api/v1/stats/ledgers/rectification/import", disc, ledgerBook(t, append([][]any{rectHeader}, good...)))
	if r.status != 200 || r.body["committed"] != true || jnum(r.body, "existing") != 4 || jnum(r.body, "imported") != 0 {
		t.Fatalf("good-only re-import: %d %s", r.status, r.raw)
	}

	// The summary counts the two closed rows' amounts, in the period they closed.
	s := h.do("GET", "/api/v1/stats/summary?type=rectification&from=2025-04-01&to=2025-06-01", disc, nil)
	rect := s.body["rectification"].(map[string]any)
	if rect["problems_rectified"] != 2.0 || rect["funds_recovered"] != "12000.50" || rect["funds_returned"] != "1945260.00" ||
		rect["people_refunded"] != 227.0 || rect["people_handled"] != 2.0 || rect["clues_transferred"] != 1.0 || rect["rules_made"] != 2.0 {
		t.Errorf("rectification sums %v", rect)
	}
	if s := h.do("GET", "/api/v1/stats/summary?type=rectification&from=2025-06-01&to=2025-07-01", disc, nil); jnum(s.body, "rectification", "problems_rectified") != 0 {
		t.Errorf("closed items counted outside the period they closed")
	}

	// The ledger exports in its layout and re-imports as all existing.
	status, ct, body := h.get("/api/v1/stats/ledgers/rectification?from=2025-01-01&to=2026-01-01", disc)
	if status != 200 || ct != ledger.ContentTypeXLSX {
		t.Fatalf("ledger export: %d %s %.200s", status, ct, body)
	}
	x, _ := excelize.OpenReader(bytes.NewReader(body))
	rows, _ := x.GetRows(x.GetSheetList()[0])
	x.Close()
	if len(rows) < 6 || strings.Join(rows[1], ",") != strings.Join(ledger.Layouts[ledger.Rectification].Headers(), ",") {
		t.Fatalf("ledger layout: %v", rows)
	}
	joined := fmt.Sprint(rows)
	for _, w := range []string{"ZG-2025-001", "校园餐", "监督检查", "区教育局", "已销号", "2025-04-10", "12000.5"} {
		if !strings.Contains(joined, w) {
			t.Errorf("exported ledger lacks %s: %v", w, rows)
		}
	}
	r = h.postXLSX("/api/v1/stats/ledgers/rectification/import", disc, body)
	if r.status != 200 || jnum(r.body, "imported") != 0 || jnum(r.body, "existing") < 4 {
		t.Errorf("re-import of the export: %d %s", r.status, r.raw)
	}

	// A clue ledger.
	clues := ledgerBookSheet(t, [][]any{
		{"序号", "线索编号", "线索来源", "受理时间", "被反映人", "单位及职务", "干部层级", "反映的主要问题", "处置方式", "办理状态", "办结时间", "办理结果", "处理人数", "挽回（追缴）资金（元）", "备注"},
		{1, "XS-001", "信访举报", "2025-02-01", "黄某某", "区征迁事务中心主任", "科级干部", "违规发放补偿款", "初步核实", "已办结", "2025-06-30", "党纪政务处分", 1, "389500", ""},
		{2, "XS-002", "专项整治移送", "2025-03-01", "龙某某", "区财政局副局长", "科级干部", "专项资金审批问题", "谈话函询", "办理中", "", "", "", "", ""},
		{3, "XS-003", "巡视巡察移交", "2025-03-02", "某村干部", "", "村（社区）干部", "集体资金管理不规范", "", "暂存待查", "", "", "", "", ""},
	})
	r = h.postXLSX("/api/v1/stats/ledgers/clue/import", disc, clues)
	if r.status != 200 || jnum(r.body, "imported") != 3 {
		t.Fatalf("clue import: %d %s", r.status, r.raw)
	}
	s = h.do("GET", "/api/v1/stats/summary?type=clue&from=2025-01-01&to=2026-01-01", disc, nil)
	if jnum(s.body, "rectification", "people_handled") != 1 || s.body["rectification"].(map[string]any)["funds_recovered"] != "389500.00" {
		t.Errorf("clue sums: %s", s.raw)
	}
	// Clues stay with the commission.
	if s := h.do("GET", "/api/v1/stats/summary?type=clue", h.login("leader"), nil); s.status != 422 {
		t.Errorf("leader asking for clue statistics: %d", s.status)
	}
	if status, _, _ := h.get("/api/v1/stats/ledgers/clue", h.login("leader")); status != 422 {
		t.Errorf("leader exporting the clue ledger: %d", status)
	}
}

func ledgerBookSheet(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Sheet1", cell, &r)
	}
	var b bytes.Buffer
	f.Write(&b)
	return b.Bytes()
}

// TestStatsCatalogue checks every message key the statistics use is in
// both catalogues.
func TestStatsCatalogue(t *testing.T) {
	keyRe := regexp.MustCompile(`"((?:field\.stats_|field\.unknown_(?:area|group|table)|ledger\.)[a-z_]+)"`)
	used := map[string]bool{}
	for _, dir := range []string{"../service", "../httpapi"} {
		files, _ := filepath.Glob(filepath.Join(dir, "stats*.go"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			for _, m := range keyRe.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = true
			}
		}
	}
	if len(used) < 20 {
		t.Fatalf("found only %d keys", len(used))
	}
	for _, lang := range []string{"zh-CN", "en"} {
		var cat map[string]string
		b, err := os.ReadFile(filepath.Join("..", "i18n", "locales", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(b, &cat)
		for k := range used {
			if cat[k] == "" {
				t.Errorf("%s lacks %s", lang, k)
			}
		}
	}
}
