package calendar

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseYearValid(t *testing.T) {
	y := mustParseYear(t, `{"year":2026,"holidays":[{"name":"春节","name_en":"Spring Festival","from":"2026-02-15","to":"2026-02-23"}],"workdays":["2026-02-14","2026-02-28"]}`)
	want := Year{
		Year:     2026,
		Holidays: []Holiday{{Name: "春节", NameEn: "Spring Festival", From: Date{2026, 2, 15}, To: Date{2026, 2, 23}}},
		Workdays: []Date{{2026, 2, 14}, {2026, 2, 28}},
	}
	if !reflect.DeepEqual(y, want) {
		t.Fatalf("got %+v\nwant %+v", y, want)
	}
	for _, s := range []string{
		`{"year":2026}`,
		`{"year":2026,"holidays":[],"workdays":[]}`,
		`{"year":2026,"holidays":null,"workdays":null}`,
		"\n  {\"year\": 2026}\n\n",
		`{"year":2026,"holidays":[{"name":"元旦","from":"2026-01-01","to":"2026-01-01"}]}`, // name_en optional, one-day holiday
	} {
		if _, err := ParseYear([]byte(s)); err != nil {
			t.Errorf("ParseYear(%s): %v", s, err)
		}
	}
}

func TestParseYearErrors(t *testing.T) {
	const hol = `{"name":"春节","from":"2026-02-15","to":"2026-02-23"}`
	tests := []struct {
		name  string
		input string
		field string
		zh    string // substring of Message
		en    string // substring of MessageEn
	}{
		{"holiday date in another year",
			`{"year":2026,"holidays":[{"name":"元旦","from":"2025-12-31","to":"2026-01-01"}]}`,
			"holidays[0].from", "不属于 2026 年", "is not in 2026"},
		{"holiday end in next year",
			`{"year":2025,"holidays":[{"name":"元旦","from":"2025-12-31","to":"2026-01-01"}]}`,
			"holidays[0].to", "不属于 2025 年", "is not in 2025"},
		{"workday in another year",
			`{"year":2026,"workdays":["2025-01-26"]}`,
			"workdays[0]", "不属于 2026 年", "is not in 2026"},
		{"from after to",
			`{"year":2026,"holidays":[{"name":"春节","from":"2026-02-23","to":"2026-02-15"}]}`,
			"holidays[0]", "晚于", "is after"},
		{"workday inside a holiday",
			`{"year":2026,"holidays":[` + hol + `],"workdays":["2026-02-15"]}`,
			"workdays[0]", "落在假期 holidays[0]（春节）", "falls inside holidays[0] (春节)"},
		{"duplicate workday",
			`{"year":2026,"workdays":["2026-02-14","2026-02-28","2026-02-14"]}`,
			"workdays[2]", "重复", "duplicate workday 2026-02-14 (same as workdays[0])"},
		{"overlapping holidays",
			`{"year":2026,"holidays":[` + hol + `,{"name":"元宵","from":"2026-02-23","to":"2026-02-24"}]}`,
			"holidays[1]", "重叠", "overlaps holidays[0] (春节) on 2026-02-23"},
		{"duplicate holiday",
			`{"year":2026,"holidays":[` + hol + `,` + hol + `]}`,
			"holidays[1]", "重叠", "overlaps holidays[0]"},
		{"workday on a weekday",
			`{"year":2026,"workdays":["2026-02-13"]}`,
			"workdays[0]", "周五", "is a Friday"},
		{"unknown top-level field",
			`{"year":2026,"holiday":[]}`,
			"holiday", "未知字段", `unknown field "holiday"`},
		{"unknown holiday field",
			`{"year":2026,"holidays":[{"name":"春节","date":"2026-02-15","from":"2026-02-15","to":"2026-02-23"}]}`,
			"date", "未知字段", `unknown field "date"`},
		{"date without zero padding",
			`{"year":2026,"holidays":[{"name":"春节","from":"2026-2-15","to":"2026-02-23"}]}`,
			"holidays[0].from", "格式错误", "want a real date written YYYY-MM-DD"},
		{"date with slashes", `{"year":2026,"workdays":["2026/02/14"]}`, "workdays[0]", "格式错误", "invalid date"},
		{"compact date", `{"year":2026,"workdays":["20260214"]}`, "workdays[0]", "格式错误", "invalid date"},
		{"date-time", `{"year":2026,"workdays":["2026-02-14T00:00:00+08:00"]}`, "workdays[0]", "格式错误", "invalid date"},
		{"padded date", `{"year":2026,"workdays":[" 2026-02-14"]}`, "workdays[0]", "格式错误", "invalid date"},
		{"no such day", `{"year":2026,"workdays":["2026-02-29"]}`, "workdays[0]", "格式错误", "invalid date"},
		{"month 13", `{"year":2026,"workdays":["2026-13-01"]}`, "workdays[0]", "格式错误", "invalid date"},
		{"empty date", `{"year":2026,"holidays":[{"name":"春节","from":"","to":"2026-02-23"}]}`, "holidays[0].from", "格式错误", "invalid date"},
		{"null date", `{"year":2026,"holidays":[{"name":"春节","from":null,"to":"2026-02-23"}]}`, "holidays[0].from", "格式错误", "invalid date"},
		{"date as number", `{"year":2026,"workdays":[20260214]}`, "workdays", "应为字符串", "want a string"},
		{"missing year", `{"holidays":[]}`, "year", "年份缺失", "year is missing"},
		{"null year", `{"year":null}`, "year", "年份缺失", "year is missing"},
		{"year too early", `{"year":1991}`, "year", "1992", "1992"},
		{"year as string", `{"year":"2026"}`, "year", "应为整数", "want an integer"},
		{"year with fraction", `{"year":2026.5}`, "year", "应为整数", "want an integer"},
		{"missing holiday name",
			`{"year":2026,"holidays":[{"name":" ","from":"2026-02-15","to":"2026-02-23"}]}`,
			"holidays[0].name", "名称不能为空", "name is required"},
		{"duplicate key", `{"year":2026,"holidays":[{"name":"春节","from":"2026-02-15","to":"2026-02-16","to":"2026-02-23"}]}`,
			"holidays[0].to", "重复出现", `duplicate key "to"`},
		{"duplicate year key", `{"year":2025,"year":2026}`, "year", "重复出现", `duplicate key "year"`},
		{"duplicate key differing in case", `{"year":2026,"holidays":[{"name":"春节","from":"2026-02-15","to":"2026-02-16","To":"2026-02-23"}]}`,
			"holidays[0].To", "大小写错误", `wrong case; want "to"`},
		{"key in wrong case", `{"Year":2026}`, "Year", "大小写错误", `wrong case; want "year"`},
		{"syntax error", "{\n\"year\": 2026,,\n}", "", "语法错误（第 2 行", "syntax error at line 2"},
		{"truncated", `{"year":2026,"holidays":[`, "", "不完整", "incomplete"},
		{"trailing data", `{"year":2026} {"year":2027}`, "", "多余内容", "unexpected data"},
		{"top-level array", `[{"year":2026}]`, "", "顶层", "top-level"},
		{"empty", " \n ", "", "内容为空", "empty input"},
		{"too large", `{"year":2026,"holidays":[` + strings.Repeat(" ", maxYearFileSize) + `]}`, "", "文件过大", "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y, err := ParseYear([]byte(tt.input))
			if err == nil {
				t.Fatalf("ParseYear accepted it: %+v", y)
			}
			if !errors.Is(err, ErrInvalidYear) {
				t.Errorf("errors.Is(err, ErrInvalidYear) = false: %v", err)
			}
			var list ValidationErrors
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("err %T is not a non-empty ValidationErrors", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("no *FieldError in %v", err)
			}
			if fe.Field != tt.field {
				t.Errorf("Field = %q, want %q (%v)", fe.Field, tt.field, err)
			}
			if !strings.Contains(fe.Message, tt.zh) {
				t.Errorf("Message = %q, want it to contain %q", fe.Message, tt.zh)
			}
			if !strings.Contains(fe.MessageEn, tt.en) {
				t.Errorf("MessageEn = %q, want it to contain %q", fe.MessageEn, tt.en)
			}
			if !strings.Contains(err.Error(), fe.MessageEn) || !strings.Contains(err.Error(), fe.Message) {
				t.Errorf("Error() = %q lacks the messages", err.Error())
			}
		})
	}
}

func TestParseYearReportsAllProblems(t *testing.T) {
	_, err := ParseYear([]byte(`{"year":2026,
		"holidays":[{"name":"","from":"2026-02-15","to":"2026-02-16"},{"name":"b","from":"2026-02-16","to":"2026-02-17"},{"name":"c","from":"2026-03-16","to":"2026-03-15"}],
		"workdays":["2026-02-13","2026-02-15","2026-02-14","2026-02-14","2027-01-02"]}`))
	var list ValidationErrors
	if !errors.As(err, &list) {
		t.Fatalf("err = %v", err)
	}
	var fields []string
	for _, fe := range list {
		fields = append(fields, fe.Field)
	}
	want := []string{"holidays[0].name", "holidays[1]", "holidays[2]", "workdays[0]", "workdays[1]", "workdays[3]", "workdays[4]"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("fields = %v\nwant     %v", fields, want)
	}
}

func TestYearValidateInCode(t *testing.T) {
	tests := []struct {
		name  string
		y     Year
		field string
	}{
		{"zero date", Year{Year: 2026, Workdays: []Date{{}}}, "workdays[0]"},
		{"impossible date", Year{Year: 2026, Holidays: []Holiday{{Name: "x", From: Date{2026, 2, 30}, To: Date{2026, 3, 1}}}}, "holidays[0].from"},
		{"year 0", Year{}, "year"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.y.Validate()
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Validate() = %v, want error on %q", err, tt.field)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	good := map[string]Date{
		"2026-02-14": {2026, 2, 14},
		"2028-02-29": {2028, 2, 29},
		"0001-01-01": {1, 1, 1},
		"9999-12-31": {9999, 12, 31},
	}
	for s, want := range good {
		got, err := ParseDate(s)
		if err != nil || got != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", s, got, err, want)
		}
		if got.String() != s {
			t.Errorf("String() = %q, want %q", got.String(), s)
		}
	}
	for _, s := range []string{"", "2026-2-14", "2026-02-1", "2026-02-14 ", "２026-02-14", "2026-02-00", "2026-00-10",
		"2027-02-29", "0000-01-01", "+026-02-14", "2026-0a-14", "2026_02_14", "2026-02-14\x00"} {
		if d, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) = %v, want error", s, d)
		}
	}
	if _, err := (Date{}).MarshalText(); err == nil {
		t.Error("zero Date marshalled")
	}
	var d Date
	if err := json.Unmarshal([]byte(`"2026-10-10"`), &d); err != nil || d != (Date{2026, 10, 10}) {
		t.Errorf("json.Unmarshal Date = %v, %v", d, err)
	}
	if d.Weekday() != time.Saturday {
		t.Errorf("2026-10-10 weekday = %v", d.Weekday())
	}
}
