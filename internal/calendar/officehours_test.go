package calendar

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseOfficeHours(t *testing.T) {
	tests := []struct {
		in, want string
		daily    time.Duration
	}{
		{"08:30-12:00,14:00-17:30", "08:30-12:00,14:00-17:30", 7 * time.Hour},
		{" 08:30 - 12:00 , 14:00-17:30 ", "08:30-12:00,14:00-17:30", 7 * time.Hour},
		{"00:00-24:00", "00:00-24:00", 24 * time.Hour},
		{"08:00-12:00,12:00-13:00", "08:00-12:00,12:00-13:00", 5 * time.Hour},
		{"09:00-09:01", "09:00-09:01", time.Minute},
	}
	for _, tt := range tests {
		h, err := ParseOfficeHours(tt.in)
		if err != nil {
			t.Errorf("ParseOfficeHours(%q): %v", tt.in, err)
			continue
		}
		if h.String() != tt.want || h.Daily() != tt.daily {
			t.Errorf("ParseOfficeHours(%q) = %q (%v), want %q (%v)", tt.in, h, h.Daily(), tt.want, tt.daily)
		}
	}
	if got := DefaultOfficeHours().String(); got != "08:30-12:00,14:00-17:30" {
		t.Errorf("DefaultOfficeHours = %q", got)
	}
}

func TestParseOfficeHoursErrors(t *testing.T) {
	tests := []struct {
		in, field, zh, en string
	}{
		{"", "office_hours", "不能为空", "empty"},
		{"   ", "office_hours", "不能为空", "empty"},
		{"08:30", "office_hours[0]", "格式错误", "want HH:MM-HH:MM"},
		{"8:30-12:00", "office_hours[0]", "格式错误", "want HH:MM-HH:MM"},
		{"08:30-12:00;14:00-17:30", "office_hours[0]", "格式错误", "want HH:MM-HH:MM"},
		{"08:30-12:00,", "office_hours[1]", "格式错误", "want HH:MM-HH:MM"},
		{"08:60-09:00", "office_hours[0]", "格式错误", "00:00 to 24:00"},
		{"08:30-24:30", "office_hours[0]", "格式错误", "00:00 to 24:00"},
		{"24:00-24:00", "office_hours[0]", "格式错误", "00:00 to 24:00"},
		{"25:00-26:00", "office_hours[0]", "格式错误", "00:00 to 24:00"},
		{"ab:cd-12:00", "office_hours[0]", "格式错误", "want HH:MM-HH:MM"},
		{"12:00-08:30", "office_hours[0]", "开始时间必须早于结束时间", "start must be before end"},
		{"12:00-12:00", "office_hours[0]", "开始时间必须早于结束时间", "start must be before end"},
		{"14:00-17:30,08:30-12:00", "office_hours[1]", "重叠或顺序颠倒", "overlaps or comes before"},
		{"08:30-12:00,11:00-13:00", "office_hours[1]", "重叠或顺序颠倒", "overlaps or comes before"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h, err := ParseOfficeHours(tt.in)
			if err == nil {
				t.Fatalf("accepted: %q", h)
			}
			if !errors.Is(err, ErrInvalidOfficeHours) {
				t.Errorf("not ErrInvalidOfficeHours: %v", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("no FieldError: %v", err)
			}
			if fe.Field != tt.field || !strings.Contains(fe.Message, tt.zh) || !strings.Contains(fe.MessageEn, tt.en) {
				t.Errorf("got %q / %q / %q; want %q / …%q… / …%q…", fe.Field, fe.Message, fe.MessageEn, tt.field, tt.zh, tt.en)
			}
		})
	}
}

func TestNewOfficeHoursErrors(t *testing.T) {
	for name, periods := range map[string][]Period{
		"none":          nil,
		"seconds":       {{Start: 8*time.Hour + time.Second, End: 12 * time.Hour}},
		"negative":      {{Start: -time.Hour, End: time.Hour}},
		"past midnight": {{Start: 20 * time.Hour, End: 25 * time.Hour}},
		"empty period":  {{Start: 8 * time.Hour, End: 8 * time.Hour}},
		"overlap":       {{Start: 8 * time.Hour, End: 12 * time.Hour}, {Start: 9 * time.Hour, End: 13 * time.Hour}},
	} {
		if _, err := NewOfficeHours(periods...); !errors.Is(err, ErrInvalidOfficeHours) {
			t.Errorf("%s: err = %v, want ErrInvalidOfficeHours", name, err)
		}
	}
	h, err := NewOfficeHours(Period{Start: 9 * time.Hour, End: 17 * time.Hour})
	if err != nil || h.String() != "09:00-17:00" {
		t.Errorf("NewOfficeHours(9-17) = %q, %v", h, err)
	}
	ps := h.Periods()
	ps[0].End = 23 * time.Hour
	if h.String() != "09:00-17:00" {
		t.Error("Periods() shares memory")
	}
}

func TestOfficeHoursJSON(t *testing.T) {
	var cfg struct {
		Hours OfficeHours `json:"office_hours"`
	}
	if err := json.Unmarshal([]byte(`{"office_hours":"09:00-12:00,13:30-18:00"}`), &cfg); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(cfg)
	if err != nil || string(out) != `{"office_hours":"09:00-12:00,13:30-18:00"}` {
		t.Errorf("Marshal = %s, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"office_hours":"18:00-09:00"}`), &cfg); !errors.Is(err, ErrInvalidOfficeHours) {
		t.Errorf("err = %v, want ErrInvalidOfficeHours", err)
	}
}
