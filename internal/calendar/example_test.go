package calendar_test

import (
	"fmt"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
)

func Example() {
	cal, err := calendar.Default()
	if err != nil {
		panic(err)
	}
	dispatched := time.Date(2026, 2, 13, 10, 0, 0, 0, cal.Location()) // Friday before the Spring Festival
	for _, rule := range []model.DeadlineRule{
		{Kind: model.DeadlineWorkingDays, Amount: 5},
		{Kind: model.DeadlineWorkingHours, Amount: 8},
		{Kind: model.DeadlineNaturalDays, Amount: 5},
		{Kind: model.DeadlineUrgentHours, Amount: 24},
	} {
		due, err := cal.Deadline(rule, dispatched)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-13s %2d -> %s\n", rule.Kind, rule.Amount, due.Format(time.RFC3339))
	}
	_, err = cal.IsWorkingDay(time.Date(2027, 1, 4, 9, 0, 0, 0, cal.Location()))
	fmt.Println(err)
	// Output:
	// working_days   5 -> 2026-02-27T23:59:59+08:00
	// working_hours  8 -> 2026-02-14T11:00:00+08:00
	// natural_days   5 -> 2026-02-18T23:59:59+08:00
	// urgent_hours  24 -> 2026-02-14T10:00:00+08:00
	// calendar: no working calendar (holiday schedule) loaded for 2027; an administrator must load that year (未加载 2027 年的工作日历（节假日安排），请管理员导入该年数据)
}

func ExampleParseYear() {
	_, err := calendar.ParseYear([]byte(`{"year":2027,"holidays":[{"name":"春节","from":"2027-02-10","to":"2027-02-05"}],"workdays":["2027-02-03"]}`))
	for _, fe := range err.(calendar.ValidationErrors) {
		fmt.Println(fe.Field, "|", fe.Message, "|", fe.MessageEn)
	}
	// Output:
	// holidays[0] | 开始日期 2027-02-10 晚于结束日期 2027-02-05 | from 2027-02-10 is after to 2027-02-05
	// workdays[0] | 调休上班日 2027-02-03 是周三，本来就是工作日；只需列出需要上班的周六、周日 | workday 2027-02-03 is a Wednesday, already a working day; list only Saturdays and Sundays that are worked
}
