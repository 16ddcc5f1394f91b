package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Year is one year's holiday arrangement as published by the State Council
// (国务院办公厅关于某年部分节假日安排的通知). Its JSON form is the year file
// format an administrator loads:
//
//	{
//	  "year": 2026,
//	  "holidays": [
//	    {"name": "春节", "name_en": "Spring Festival", "from": "2026-02-15", "to": "2026-02-23"}
//	  ],
//	  "workdays": ["2026-02-14", "2026-02-28"]
//	}
//
// Holidays are days off (from and to inclusive), whatever their weekday.
// Workdays are the make-up working days (调休上班日): Saturdays or Sundays
// that are worked. Every other Saturday and Sunday is off, every other
// weekday is a working day.
//
// All dates must lie in Year. A holiday that crosses New Year (such as
// 元旦 2023-12-30 – 2024-01-01) is split, each year's part going into its own
// year's file.
type Year struct {
	Year     int       `json:"year"`
	Holidays []Holiday `json:"holidays"`
	Workdays []Date    `json:"workdays"`
}

// Holiday is one named run of days off, From and To inclusive.
type Holiday struct {
	Name   string `json:"name"`              // zh-CN, e.g. 春节; required
	NameEn string `json:"name_en,omitempty"` // English, e.g. Spring Festival; optional
	From   Date   `json:"from"`
	To     Date   `json:"to"`
}

// Year files are a few kilobytes; anything this large is not one.
const maxYearFileSize = 1 << 20

// MinYear is the earliest year a calendar can hold. China last observed
// daylight saving time in 1991, so from 1992 on the fixed UTC+8 zone the
// calendar uses is exact.
const MinYear = 1992

// ParseYear decodes and strictly validates a year file. On failure the error
// is a ValidationErrors (every *FieldError wrapping ErrInvalidYear) carrying
// zh-CN and English messages: malformed JSON, unknown or duplicated keys,
// wrong value types, dates not in YYYY-MM-DD or not real days, dates outside
// the file's year, from after to, overlapping holidays, duplicate workdays,
// workdays inside a holiday, and workdays that are not weekend days.
func ParseYear(data []byte) (Year, error) {
	if err := decodeErr(data); err != nil {
		return Year{}, ValidationErrors{err}
	}
	var raw struct {
		Year     int `json:"year"`
		Holidays []struct {
			Name   string `json:"name"`
			NameEn string `json:"name_en"`
			From   string `json:"from"`
			To     string `json:"to"`
		} `json:"holidays"`
		Workdays []string `json:"workdays"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Year{}, ValidationErrors{jsonError(data, err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return Year{}, ValidationErrors{fieldErr(ErrInvalidYear, "",
			"JSON 对象之后还有多余内容",
			"unexpected data after the JSON object")}
	}
	if fe := checkDuplicateKeys(data); fe != nil {
		return Year{}, ValidationErrors{fe}
	}

	errs := errList{sentinel: ErrInvalidYear}
	parse := func(field, s string) Date {
		d, err := ParseDate(s)
		if err != nil {
			errs.add(field,
				fmt.Sprintf("日期 %q 格式错误：应为 YYYY-MM-DD 格式的真实日期", s),
				fmt.Sprintf("invalid date %q: want a real date written YYYY-MM-DD", s))
		}
		return d
	}
	y := Year{Year: raw.Year}
	for i, h := range raw.Holidays {
		y.Holidays = append(y.Holidays, Holiday{
			Name:   h.Name,
			NameEn: h.NameEn,
			From:   parse(fmt.Sprintf("holidays[%d].from", i), h.From),
			To:     parse(fmt.Sprintf("holidays[%d].to", i), h.To),
		})
	}
	for i, s := range raw.Workdays {
		y.Workdays = append(y.Workdays, parse(fmt.Sprintf("workdays[%d]", i), s))
	}
	if err := errs.err(); err != nil {
		// Dates that do not parse would only produce confusing follow-up
		// errors; report the format problems first.
		return Year{}, err
	}
	if err := y.Validate(); err != nil {
		return Year{}, err
	}
	return y, nil
}

// Validate checks y the way ParseYear does (for Years built in code). It
// returns nil or a ValidationErrors.
func (y Year) Validate() error {
	errs := errList{sentinel: ErrInvalidYear}
	if y.Year < MinYear || y.Year > 9999 {
		errs.add("year",
			fmt.Sprintf("年份缺失或无效（%d）：应为 %d–9999 之间的整数", y.Year, MinYear),
			fmt.Sprintf("year is missing or invalid (%d): want an integer from %d to 9999", y.Year, MinYear))
		return errs.err() // every date check below would fail too
	}
	checkDate := func(field string, d Date) bool {
		switch {
		case !d.Valid():
			errs.add(field,
				fmt.Sprintf("日期 %04d-%02d-%02d 不是有效日期", d.Year, int(d.Month), d.Day),
				fmt.Sprintf("%04d-%02d-%02d is not a valid date", d.Year, int(d.Month), d.Day))
			return false
		case d.Year != y.Year:
			errs.add(field,
				fmt.Sprintf("日期 %s 不属于 %d 年；跨年的假期请拆分，其他年份的日期写入该年的文件", d, y.Year),
				fmt.Sprintf("date %s is not in %d; split a holiday that crosses New Year and put the other year's dates in that year's file", d, y.Year))
			return false
		}
		return true
	}

	// owner[yday-1] = index+1 of the holiday covering that day (0: none).
	var owner [366]int
	for i, h := range y.Holidays {
		if errs.full() {
			break
		}
		field := fmt.Sprintf("holidays[%d]", i)
		if strings.TrimSpace(h.Name) == "" {
			errs.add(field+".name", "假期名称不能为空", "holiday name is required")
		}
		okFrom := checkDate(field+".from", h.From)
		okTo := checkDate(field+".to", h.To)
		if !okFrom || !okTo {
			continue
		}
		if h.From.Compare(h.To) > 0 {
			errs.add(field,
				fmt.Sprintf("开始日期 %s 晚于结束日期 %s", h.From, h.To),
				fmt.Sprintf("from %s is after to %s", h.From, h.To))
			continue
		}
		for yd := h.From.yearDay(); yd <= h.To.yearDay(); yd++ {
			if j := owner[yd-1]; j != 0 {
				d := dateOfYearDay(y.Year, yd)
				errs.add(field,
					fmt.Sprintf("与 holidays[%d]（%s）在 %s 重叠（日期重复）", j-1, y.Holidays[j-1].Name, d),
					fmt.Sprintf("overlaps holidays[%d] (%s) on %s (duplicate date)", j-1, y.Holidays[j-1].Name, d))
				break
			}
			owner[yd-1] = i + 1
		}
	}

	seen := make(map[Date]int, len(y.Workdays))
	for i, d := range y.Workdays {
		if errs.full() {
			break
		}
		field := fmt.Sprintf("workdays[%d]", i)
		if !checkDate(field, d) {
			continue
		}
		if j, dup := seen[d]; dup {
			errs.add(field,
				fmt.Sprintf("调休上班日 %s 重复（与 workdays[%d] 相同）", d, j),
				fmt.Sprintf("duplicate workday %s (same as workdays[%d])", d, j))
			continue
		}
		seen[d] = i
		if j := owner[d.yearDay()-1]; j != 0 {
			errs.add(field,
				fmt.Sprintf("调休上班日 %s 落在假期 holidays[%d]（%s）之内", d, j-1, y.Holidays[j-1].Name),
				fmt.Sprintf("workday %s falls inside holidays[%d] (%s)", d, j-1, y.Holidays[j-1].Name))
			continue
		}
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			errs.add(field,
				fmt.Sprintf("调休上班日 %s 是%s，本来就是工作日；只需列出需要上班的周六、周日", d, weekdayZh(wd)),
				fmt.Sprintf("workday %s is a %s, already a working day; list only Saturdays and Sundays that are worked", d, wd))
		}
	}
	return errs.err()
}

// clone returns a deep copy, so a Calendar never shares slices with callers.
func (y Year) clone() Year {
	c := Year{Year: y.Year}
	if y.Holidays != nil {
		c.Holidays = append([]Holiday(nil), y.Holidays...)
	}
	if y.Workdays != nil {
		c.Workdays = append([]Date(nil), y.Workdays...)
	}
	return c
}

func weekdayZh(wd time.Weekday) string {
	return [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}[wd]
}

func dateOfYearDay(year, yday int) Date {
	return DateOf(time.Date(year, 1, yday, 0, 0, 0, 0, time.UTC))
}

// decodeErr rejects inputs that are empty or too large before decoding.
func decodeErr(data []byte) *FieldError {
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return fieldErr(ErrInvalidYear, "", "内容为空", "empty input")
	case len(data) > maxYearFileSize:
		return fieldErr(ErrInvalidYear, "",
			fmt.Sprintf("文件过大（%d 字节，上限 %d 字节）", len(data), maxYearFileSize),
			fmt.Sprintf("file too large (%d bytes, limit %d)", len(data), maxYearFileSize))
	}
	return nil
}

// jsonError turns an encoding/json error into a bilingual *FieldError.
func jsonError(data []byte, err error) *FieldError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(data, syn.Offset)
		return fieldErr(ErrInvalidYear, "",
			fmt.Sprintf("JSON 语法错误（第 %d 行第 %d 列）：%s", line, col, syn.Error()),
			fmt.Sprintf("JSON syntax error at line %d, column %d: %s", line, col, syn.Error()))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fieldErr(ErrInvalidYear, "", "JSON 不完整（意外结束）", "incomplete JSON (unexpected end of input)")
	case errors.As(err, &typ):
		field := jsonPath(typ.Field)
		if field == "" {
			return fieldErr(ErrInvalidYear, "", "顶层必须是 JSON 对象", "the top-level value must be a JSON object")
		}
		zh, en := kindNames(typ.Type)
		line, col := lineCol(data, typ.Offset)
		return fieldErr(ErrInvalidYear, field,
			fmt.Sprintf("类型错误（第 %d 行第 %d 列）：应为%s，实际为 JSON %s", line, col, zh, typ.Value),
			fmt.Sprintf("wrong type at line %d, column %d: want %s, got JSON %s", line, col, en, typ.Value))
	}
	msg := err.Error()
	if _, name, ok := strings.Cut(msg, "unknown field "); ok {
		if n, uerr := strconv.Unquote(name); uerr == nil {
			name = n
		}
		return fieldErr(ErrInvalidYear, name,
			fmt.Sprintf("未知字段 %q（允许的字段：year、holidays[].name/name_en/from/to、workdays）", name),
			fmt.Sprintf("unknown field %q (allowed: year, holidays[].name/name_en/from/to, workdays)", name))
	}
	return fieldErr(ErrInvalidYear, "", "无法解析 JSON："+msg, "cannot decode JSON: "+msg)
}

// jsonPath rewrites encoding/json's "holidays.0.from" as "holidays[0].from".
func jsonPath(p string) string {
	parts := strings.Split(p, ".")
	var b strings.Builder
	for _, s := range parts {
		if _, err := strconv.Atoi(s); err == nil && b.Len() > 0 {
			b.WriteString("[" + s + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

func kindNames(t reflect.Type) (zh, en string) {
	if t == nil {
		return "其他类型", "another type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "整数", "an integer"
	case reflect.String:
		return "字符串", "a string"
	case reflect.Slice, reflect.Array:
		return "数组", "an array"
	case reflect.Struct, reflect.Map:
		return "对象", "an object"
	}
	return t.String(), t.String()
}

func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// checkDuplicateKeys finds the first object key that appears twice in the
// same object, or that matches a known key only case-insensitively.
// encoding/json would silently keep the last duplicate, hiding a mistake
// such as two "from" keys, and would accept "Year" for "year". data is already known to be valid JSON
// of the expected shape, so nesting is shallow.
func checkDuplicateKeys(data []byte) *FieldError {
	yearFileKeys := [...]string{"year", "holidays", "workdays", "name", "name_en", "from", "to"}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func(path string, depth int) *FieldError
	walk = func(path string, depth int) *FieldError {
		if depth > 16 {
			return nil // cannot happen for the year schema; stop anyway
		}
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		delim, ok := tok.(json.Delim)
		if !ok {
			return nil
		}
		switch delim {
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil
				}
				key, _ := kt.(string)
				field := key
				if path != "" {
					field = path + "." + key
				}
				// encoding/json matches keys case-insensitively; the file
				// format does not.
				for _, known := range yearFileKeys {
					if key != known && strings.EqualFold(key, known) {
						return fieldErr(ErrInvalidYear, field,
							fmt.Sprintf("字段名 %q 大小写错误，应为 %q", key, known),
							fmt.Sprintf("key %q has the wrong case; want %q", key, known))
					}
				}
				folded := strings.ToLower(key)
				if seen[folded] {
					return fieldErr(ErrInvalidYear, field,
						fmt.Sprintf("字段 %q 重复出现", key),
						fmt.Sprintf("duplicate key %q", key))
				}
				seen[folded] = true
				if fe := walk(field, depth+1); fe != nil {
					return fe
				}
			}
			dec.Token() // '}'
		case '[':
			for i := 0; dec.More(); i++ {
				if fe := walk(fmt.Sprintf("%s[%d]", path, i), depth+1); fe != nil {
					return fe
				}
			}
			dec.Token() // ']'
		}
		return nil
	}
	return walk("", 0)
}
