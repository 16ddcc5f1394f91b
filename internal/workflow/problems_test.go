package workflow

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/yiwang-gov/yiwang/internal/i18n"
)

// verbRe finds the formatting verbs of a message: flags, an optional
// explicit argument index, width, precision and the verb.
var verbRe = regexp.MustCompile(`%[-+# 0]*(?:\[(\d+)\])?\d*(?:\.\d*)?([a-zA-Z%])`)

// verbs maps the argument each verb of s formats (0-based) to the verb,
// following fmt's rules for explicit indexes: after %[n]v the next verb
// takes argument n+1.
func verbs(t *testing.T, s string) map[int]string {
	t.Helper()
	out := map[int]string{}
	next := 0
	for _, m := range verbRe.FindAllStringSubmatch(s, -1) {
		if m[2] == "%" {
			continue
		}
		arg := next
		if m[1] != "" {
			n, _ := strconv.Atoi(m[1])
			arg = n - 1
		}
		if v, dup := out[arg]; dup && v != m[2] {
			t.Errorf("%q formats argument %d as both %%%s and %%%s", s, arg+1, v, m[2])
		}
		out[arg] = m[2]
		next = arg + 1
	}
	return out
}

func sameVerbs(a, b map[int]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// catalogueKeys lists the workflow.check keys of a catalogue file in the
// order the file has them.
func catalogueKeys(t *testing.T, lang string) []string {
	t.Helper()
	data, err := os.ReadFile("../i18n/locales/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^\s*"(`+regexp.QuoteMeta(ProblemKeyPrefix)+`[^"]+)"\s*:`).FindAllStringSubmatch(string(data), -1) {
		out = append(out, m[1])
	}
	return out
}

// TestProblemCatalogues checks that both catalogues word every problem a
// definition can have: the English one exactly as the workflow package's
// own table (what logs and Messages show), the Chinese one in Chinese, each
// with the same arguments in the same verbs, and both in the table's order.
func TestProblemCatalogues(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range problemTexts {
		key := ProblemKeyPrefix + p.key
		keys = append(keys, key)
		if !cat.Has(key) {
			t.Errorf("%s: not in the catalogues", key)
			continue
		}
		en, zh := cat.T("en", key), cat.T(i18n.Default, key)
		if en != p.en {
			t.Errorf("%s: en catalogue says %q, the workflow package %q", key, en, p.en)
		}
		// "where" only joins a field's path and a problem, with a full-width colon.
		if han := strings.ContainsFunc(zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }); !han && !(p.key == "where" && zh == "%s：%s") {
			t.Errorf("%s: zh-CN %q is not Chinese", key, zh)
		}
		if want := verbs(t, p.en); !sameVerbs(verbs(t, zh), want) || !sameVerbs(verbs(t, en), want) {
			t.Errorf("%s: arguments differ: en %q, zh-CN %q", key, en, zh)
		}
	}
	for _, lang := range []string{i18n.Default, "en"} {
		if got := catalogueKeys(t, lang); !slices.Equal(got, keys) {
			t.Errorf("%s: workflow.check keys\n%v\nwant (the workflow package's order)\n%v", lang, got, keys)
		}
	}
	for _, k := range []string{ProblemNotDocument, ProblemTrailingData, ProblemVersionNotAbove, ProblemAlreadyStored, ProblemOther} {
		if _, ok := englishProblems[k]; !ok {
			t.Errorf("%s: not in the table", k)
		}
	}
}

// TestCheckProblemKeys reads Check and checkField: every bad(...) names a
// key of the table and passes as many arguments as its text formats, and
// every key of the table but those used elsewhere is named by one.
func TestCheckProblemKeys(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "workflow.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	calls := 0
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "bad" {
			return true
		}
		calls++
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING || call.Ellipsis.IsValid() {
			t.Errorf("bad(...) with a key that is no string literal or spread arguments: %#v", call.Args[0])
			return true
		}
		key, _ := strconv.Unquote(lit.Value)
		key = ProblemKeyPrefix + key
		used[key] = true
		en, ok := englishProblems[key]
		if !ok {
			t.Errorf("%s: not in the table", key)
			return true
		}
		if n := len(verbs(t, en)); n != len(call.Args)-1 {
			t.Errorf("%s: text formats %d arguments, bad(...) passes %d", key, n, len(call.Args)-1)
		}
		return true
	})
	if calls < 70 {
		t.Fatalf("found only %d bad(...) calls", calls)
	}
	elsewhere := map[string]bool{ProblemNotDocument: true, ProblemTrailingData: true, ProblemVersionNotAbove: true, ProblemAlreadyStored: true, ProblemOther: true,
		ProblemKeyPrefix + "where": true, ProblemKeyPrefix + "where_field": true, ProblemKeyPrefix + "where_item": true}
	for key := range englishProblems {
		if !used[key] && !elsewhere[key] {
			t.Errorf("%s: in the table but no check uses it", key)
		}
	}
}

// TestProblemText words problems of a whole definition and of a list's
// item field in both languages; English reads as before keys were used.
func TestProblemText(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	d := mustCity(t)
	d.States = append(d.States, StateDef{Name: "limbo", Label: "悬空", Terminal: true})
	d.Fields = append(d.Fields, Field{Name: "parts", Label: "部件", Type: FieldList, Items: []Field{{Name: "size", Type: FieldText, MaxItems: 3}}})
	ps := Problems(d.Check())
	tr := func(lang string) Translate {
		return func(key string, args ...any) string { return cat.T(lang, key, args...) }
	}
	var en, zh []string
	for _, p := range ps {
		en = append(en, p.String())
		zh = append(zh, p.Text(tr(i18n.Default)))
		if p.Text(tr("en")) != p.String() {
			t.Errorf("catalogue English %q, package English %q", p.Text(tr("en")), p.String())
		}
	}
	want := [][2]string{
		{`field "parts" item "size": a label is required`, `字段 "parts" 的列表项 "size"：必须填写显示名称 label`},
		{`field "parts" item "size": items and max_items apply to lists only`, `字段 "parts" 的列表项 "size"：items 和 max_items 只适用于列表（list）字段`},
		{`state "limbo" cannot be reached from "reported"`, `状态 "limbo" 无法从初始状态 "reported" 到达`},
	}
	if len(ps) != len(want) {
		t.Fatalf("problems %q", en)
	}
	for i, w := range want {
		if en[i] != w[0] || zh[i] != w[1] {
			t.Errorf("problem %d: %q / %q, want %q / %q", i, en[i], zh[i], w[0], w[1])
		}
	}
	if err := d.Check(); !strings.Contains(err.Error(), want[0][0]+"\n") {
		t.Errorf("Error() %q", err)
	}
	// Explicit argument indexes put the arguments in Chinese order.
	p := Problem{Key: ProblemVersionNotAbove, Args: []any{2, 3, "city_case"}}
	if got := p.Text(tr(i18n.Default)); got != "版本号 2 必须大于 city_case 现有的最新版本 3" {
		t.Errorf("zh %q", got)
	}
	if got := p.String(); got != "version 2 is not above the newest version 3 of city_case" {
		t.Errorf("en %q", got)
	}
}
