package calendar

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseYear: ParseYear never panics; it either fails with a bilingual
// ErrInvalidYear or returns a year that validates, survives a JSON round
// trip, and builds a calendar.
func FuzzParseYear(f *testing.F) {
	years, err := EmbeddedYears()
	if err != nil {
		f.Fatal(err)
	}
	for _, y := range years {
		data, _ := json.Marshal(y)
		f.Add(data)
	}
	for _, s := range []string{
		year2027, `{"year":2026}`, `{}`, `[]`, `null`, ``, `{"year":2026,"holidays":[{}]}`,
		`{"year":2026,"holidays":[{"name":"a","from":"2026-12-31","to":"2026-12-31"}],"workdays":["2026-12-26"]}`,
		`{"year":2026,"holidays":[{"name":"a","from":"2026-02-30","to":"2026-01-01"}],"workdays":["2026-02-14","2026-02-14"]}`,
		`{"year":2026,"year":2026}`, `{"year":2026}{}`, `{"year":1e3}`, `{"year":-1}`, `{"year":99999999999999999999}`,
		`{"year":2028,"workdays":["2028-02-29","2028-12-30"]}`, `{"year":2026,"holidays":[[[[[]]]]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		y, err := ParseYear(data)
		if err != nil {
			var fe *FieldError
			if !errors.Is(err, ErrInvalidYear) || !errors.As(err, &fe) || fe.Message == "" || fe.MessageEn == "" {
				t.Fatalf("error without bilingual FieldError/ErrInvalidYear: %#v", err)
			}
			_ = err.Error()
			return
		}
		if err := y.Validate(); err != nil {
			t.Fatalf("parsed year does not validate: %v", err)
		}
		out, err := json.Marshal(y)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		back, err := ParseYear(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !reflect.DeepEqual(normalize(back), normalize(y)) {
			t.Fatalf("round trip changed the year:\n%+v\n%+v", y, back)
		}
		if _, err := New([]Year{y}, DefaultOfficeHours()); err != nil {
			t.Fatalf("New: %v", err)
		}
	})
}

// normalize treats nil and empty slices alike.
func normalize(y Year) Year {
	if len(y.Holidays) == 0 {
		y.Holidays = nil
	}
	if len(y.Workdays) == 0 {
		y.Workdays = nil
	}
	return y
}
