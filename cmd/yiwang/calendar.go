package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// cmdCalendar: `yiwang calendar load --data DIR FILE` loads a year's holiday
// arrangement (the State Council's notice, as a year file) into the data
// dir, as POST /api/v1/admin/calendar/years does; `yiwang calendar years`
// lists the loaded years.
func cmdCalendar(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: yiwang calendar load (--data DIR | --db postgres://…) FILE | yiwang calendar years (--data DIR | --db postgres://…)")
	if len(args) == 0 || (args[0] != "load" && args[0] != "years") {
		return usage
	}
	fs := flag.NewFlagSet("calendar "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, false)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if args[0] == "load" && fs.NArg() != 1 {
		return usage
	}
	a, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if args[0] == "years" {
		for _, y := range a.Service.Calendar().Years() {
			fmt.Fprintln(stdout, y)
		}
		return nil
	}
	file, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	y, err := a.Service.LoadCalendarYear(ctx, model.User{Username: "cli", Role: model.RoleAdmin}, file)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d 年工作日历已载入 / calendar %d loaded: %d holidays, %d make-up working days (%s)\n",
		y.Year, y.Year, len(y.Holidays), len(y.Workdays), time.Now().Format(time.DateOnly))
	return nil
}
