package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/stats"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// factColumns are case_facts' columns in the order factValues and scanFact
// use.
var factColumns = []string{"case_id", "version", "type", "channel", "subtype", "category_id", "grid_id", "community_id", "street_id", "unit_id",
	"created_by", "registered_by", "dispatched_by", "handled_by", "closed_by",
	"received_at", "registered_at", "reg_on_time", "dispatched_at", "accurate", "extended", "responded",
	"handled_at", "handled_on_time", "reworked", "settle_at", "closed", "closed_on_time",
	"closed_at", "handle_ms", "satisfaction", "resolved",
	"funds_recovered", "funds_returned", "people_handled", "people_refunded", "clues_transferred", "rules_made",
	"percent", "investment", "funds_spent", "beneficiaries", "due_at", "status"}

func factValues(f *stats.Fact) []any {
	b := func(v bool) int64 {
		if v {
			return 1
		}
		return 0
	}
	return []any{f.CaseID, f.Version, f.Type, f.Channel, f.Subtype, f.CategoryID, f.GridID, f.CommunityID, f.StreetID, f.UnitID,
		f.CreatedBy, f.RegisteredBy, f.DispatchedBy, f.HandledBy, f.ClosedBy,
		f.ReceivedAt, f.RegisteredAt, b(f.RegOnTime), f.DispatchedAt, b(f.Accurate), b(f.Extended), b(f.Responded),
		f.HandledAt, b(f.HandledOnTime), b(f.Reworked), f.SettleAt, b(f.Closed), b(f.ClosedOnTime),
		f.ClosedAt, f.HandleMs, int64(f.Satisfaction), b(f.Resolved),
		f.FundsRecovered, f.FundsReturned, f.PeopleHandled, f.PeopleRefunded, f.CluesTransferred, f.RulesMade,
		f.Percent, f.Investment, f.FundsSpent, f.Beneficiaries, f.DueAt, f.Status}
}

func scanFact(row interface{ Scan(...any) error }) (stats.Fact, error) {
	var f stats.Fact
	var regOn, acc, ext, resp, hOn, rew, closed, cOn, resolved, sat int64
	err := row.Scan(&f.CaseID, &f.Version, &f.Type, &f.Channel, &f.Subtype, &f.CategoryID, &f.GridID, &f.CommunityID, &f.StreetID, &f.UnitID,
		&f.CreatedBy, &f.RegisteredBy, &f.DispatchedBy, &f.HandledBy, &f.ClosedBy,
		&f.ReceivedAt, &f.RegisteredAt, &regOn, &f.DispatchedAt, &acc, &ext, &resp,
		&f.HandledAt, &hOn, &rew, &f.SettleAt, &closed, &cOn,
		&f.ClosedAt, &f.HandleMs, &sat, &resolved,
		&f.FundsRecovered, &f.FundsReturned, &f.PeopleHandled, &f.PeopleRefunded, &f.CluesTransferred, &f.RulesMade,
		&f.Percent, &f.Investment, &f.FundsSpent, &f.Beneficiaries, &f.DueAt, &f.Status)
	f.RegOnTime, f.Accurate, f.Extended, f.Responded = regOn != 0, acc != 0, ext != 0, resp != 0
	f.HandledOnTime, f.Reworked, f.Closed, f.ClosedOnTime, f.Resolved = hOn != 0, rew != 0, closed != 0, cOn != 0, resolved != 0
	f.Satisfaction = int(sat)
	return f, err
}

// StatsDirtyCases returns up to limit cases whose facts are behind, oldest
// first, and how many there are in all.
func (db *DB) StatsDirtyCases(ctx context.Context, limit int) ([]store.StatsDirty, int, error) {
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM stat_dirty`).Scan(&total); err != nil {
		return nil, 0, err
	}
	if total == 0 {
		return nil, 0, nil
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT case_id, version FROM stat_dirty ORDER BY case_id LIMIT ?`), limit)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []store.StatsDirty
	for rows.Next() {
		var d store.StatsDirty
		if err := rows.Scan(&d.CaseID, &d.Version); err != nil {
			return nil, 0, err
		}
		out = append(out, d)
	}
	return out, total, rows.Err()
}

// StatsLoad reads cases with their timelines, in one read transaction so
// the case rows and the events are one snapshot.
func (db *DB) StatsLoad(ctx context.Context, ids []int64) ([]store.CaseWithTimeline, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.r.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	out := make([]store.CaseWithTimeline, 0, len(ids))
	pos := map[int64]int{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		ph, args := inList(chunk)
		rows, err := tx.QueryContext(ctx, db.q(`SELECT `+caseColumns+` FROM cases WHERE id IN (`+ph+`)`), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			c, err := db.scanCase(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			pos[c.ID] = len(out)
			out = append(out, store.CaseWithTimeline{Case: c})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		rows, err = tx.QueryContext(ctx, db.q(`SELECT case_id, seq, at, actor_id, role, action, from_state, to_state, unit_id, result
 FROM case_events WHERE case_id IN (`+ph+`) ORDER BY case_id, seq`), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var ev model.Event
			var at int64
			var actor, unit sql.NullInt64
			var role, from, to string
			if err := rows.Scan(&ev.CaseID, &ev.Seq, &at, &actor, &role, &ev.Action, &from, &to, &unit, &ev.Result); err != nil {
				rows.Close()
				return nil, err
			}
			ev.At, ev.ActorID, ev.UnitID = fromMs(at), fromNullID(actor), fromNullID(unit)
			ev.Role, ev.FromState, ev.ToState = model.Role(role), model.State(from), model.State(to)
			if i, ok := pos[ev.CaseID]; ok {
				out[i].Events = append(out[i].Events, ev)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func inList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", "), args
}

// aggKey is a row of the aggregates: of stat_day / stat_month (roll -1,
// street and unit set) or of stat_roll (roll 0 total, 1 by street, 2 by
// unit, 3 by category; key the street, unit or category).
type aggKey struct {
	roll     int
	period   int64
	typ      string
	street   int64
	unit     int64
	category int64
	monthly  bool
}

// Roll-up dimensions of stat_roll.
const (
	rollFine     = -1
	rollTotal    = 0
	rollStreet   = 1
	rollUnit     = 2
	rollCategory = 3
)

// addAgg adds sign × the fact's contributions to the day and month deltas
// of every aggregate table.
func addAgg(deltas map[aggKey]*stats.Counts, f *stats.Fact, sign int64) {
	for a := stats.Axis(0); a < stats.NumAxes; a++ {
		t := f.Time(a)
		if t == 0 {
			continue
		}
		c := f.AxisCounts(a)
		day := stats.DayOf(t)
		month := stats.MonthOf(day)
		for _, k := range []aggKey{
			{roll: rollFine, period: day, typ: f.Type, street: f.StreetID, unit: f.UnitID},
			{roll: rollFine, period: month, typ: f.Type, street: f.StreetID, unit: f.UnitID, monthly: true},
			{roll: rollTotal, period: day, typ: f.Type},
			{roll: rollTotal, period: month, typ: f.Type, monthly: true},
			{roll: rollStreet, period: day, typ: f.Type, street: f.StreetID},
			{roll: rollStreet, period: month, typ: f.Type, street: f.StreetID, monthly: true},
			{roll: rollUnit, period: day, typ: f.Type, unit: f.UnitID},
			{roll: rollUnit, period: month, typ: f.Type, unit: f.UnitID, monthly: true},
			{roll: rollCategory, period: day, typ: f.Type, category: f.CategoryID},
			{roll: rollCategory, period: month, typ: f.Type, category: f.CategoryID, monthly: true},
		} {
			d := deltas[k]
			if d == nil {
				d = &stats.Counts{}
				deltas[k] = d
			}
			for i := range c {
				d[i] += sign * c[i]
			}
		}
	}
}

// StatsApply stores facts and moves the aggregates by the difference from
// each case's previous fact, clearing the dirty marks done.
func (db *DB) StatsApply(ctx context.Context, facts []stats.Fact, done []store.StatsDirty) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		old := map[int64]stats.Fact{}
		ids := make([]int64, len(facts))
		for i := range facts {
			ids[i] = facts[i].CaseID
		}
		for start := 0; start < len(ids); start += 500 {
			ph, args := inList(ids[start:min(start+500, len(ids))])
			rows, err := tx.QueryContext(ctx, db.q(`SELECT `+strings.Join(factColumns, ", ")+` FROM case_facts WHERE case_id IN (`+ph+`)`), args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				f, err := scanFact(rows)
				if err != nil {
					rows.Close()
					return err
				}
				old[f.CaseID] = f
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		deltas := map[aggKey]*stats.Counts{}
		for i := range facts {
			if o, ok := old[facts[i].CaseID]; ok {
				addAgg(deltas, &o, -1)
			}
			addAgg(deltas, &facts[i], 1)
		}
		if err := db.upsertFacts(ctx, tx, facts); err != nil {
			return err
		}
		if err := db.applyDeltas(ctx, tx, deltas); err != nil {
			return err
		}
		del, err := tx.PrepareContext(ctx, db.q(`DELETE FROM stat_dirty WHERE case_id = ? AND version = ?`))
		if err != nil {
			return err
		}
		defer del.Close()
		for _, d := range done {
			if _, err := del.ExecContext(ctx, d.CaseID, d.Version); err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) upsertFacts(ctx context.Context, tx *sql.Tx, facts []stats.Fact) error {
	if len(facts) == 0 {
		return nil
	}
	sets := make([]string, 0, len(factColumns))
	for _, c := range factColumns[1:] {
		sets = append(sets, c+" = excluded."+c)
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(factColumns)), ", ") + ")"
	// Several rows per statement: far fewer round trips on a bulk load.
	const per = 20
	for start := 0; start < len(facts); start += per {
		chunk := facts[start:min(start+per, len(facts))]
		rows := make([]string, len(chunk))
		args := make([]any, 0, len(chunk)*len(factColumns))
		for i := range chunk {
			rows[i] = row
			args = append(args, factValues(&chunk[i])...)
		}
		q := `INSERT INTO case_facts (` + strings.Join(factColumns, ", ") + `) VALUES ` + strings.Join(rows, ", ") +
			` ON CONFLICT (case_id) DO UPDATE SET ` + strings.Join(sets, ", ")
		if _, err := tx.ExecContext(ctx, db.q(q), args...); err != nil {
			return fmt.Errorf("stats: store facts: %w", err)
		}
	}
	return nil
}

func aggColumns() []string {
	out := make([]string, len(stats.Columns))
	for i, c := range stats.Columns {
		out[i] = c.Name
	}
	return out
}

func (db *DB) applyDeltas(ctx context.Context, tx *sql.Tx, deltas map[aggKey]*stats.Counts) error {
	cols := aggColumns()
	keys := make([]aggKey, 0, len(deltas))
	for k, d := range deltas {
		if !d.IsZero() {
			keys = append(keys, k)
		}
	}
	// A fixed order keeps concurrent writers (PostgreSQL) from deadlocking.
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.roll != b.roll {
			return a.roll < b.roll
		}
		if a.monthly != b.monthly {
			return !a.monthly
		}
		if a.period != b.period {
			return a.period < b.period
		}
		if a.typ != b.typ {
			return a.typ < b.typ
		}
		if a.street != b.street {
			return a.street < b.street
		}
		if a.category != b.category {
			return a.category < b.category
		}
		return a.unit < b.unit
	})
	for _, table := range []string{"stat_day", "stat_month", "stat_roll"} {
		keyCols := []string{"day", "type", "street_id", "unit_id"}
		switch table {
		case "stat_month":
			keyCols[0] = "month"
		case "stat_roll":
			keyCols = []string{"grain", "dim", "period", "type", "key_id"}
		}
		sets := make([]string, len(cols))
		for i, c := range cols {
			sets[i] = c + " = " + table + "." + c + " + excluded." + c
		}
		var rows [][]any
		for _, k := range keys {
			var args []any
			switch {
			case k.roll == rollFine && k.monthly == (table == "stat_month") && table != "stat_roll":
				args = []any{k.period, k.typ, k.street, k.unit}
			case k.roll != rollFine && table == "stat_roll":
				grain, key := 0, int64(0)
				if k.monthly {
					grain = 1
				}
				switch k.roll {
				case rollStreet:
					key = k.street
				case rollUnit:
					key = k.unit
				case rollCategory:
					key = k.category
				}
				args = []any{grain, k.roll, k.period, k.typ, key}
			default:
				continue
			}
			for _, v := range deltas[k] {
				args = append(args, v)
			}
			rows = append(rows, args)
		}
		if err := db.multiUpsert(ctx, tx, table, append(keyCols, cols...), rows, 50,
			` ON CONFLICT (`+strings.Join(keyCols, ", ")+`) DO UPDATE SET `+strings.Join(sets, ", ")); err != nil {
			return fmt.Errorf("stats: move aggregates: %w", err)
		}
	}
	return nil
}

// StatsMarkAll marks every case for recomputation.
func (db *DB) StatsMarkAll(ctx context.Context) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO stat_dirty (case_id, version) SELECT id, version FROM cases WHERE true
 ON CONFLICT (case_id) DO UPDATE SET version = excluded.version`)
		return err
	})
}

// filterSQL renders a filter over case_facts (or, with agg, over the
// aggregate tables, which know only type, street and unit).
func filterSQL(f store.StatsFilter) (string, []any) {
	var conds []string
	var args []any
	for _, c := range []struct {
		col string
		v   int64
	}{{"street_id", f.StreetID}, {"community_id", f.CommunityID}, {"grid_id", f.GridID}, {"unit_id", f.UnitID}} {
		if c.v != 0 {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if len(f.Types) > 0 {
		// type || '' keeps the planner on the time index of the range: the
		// type index would read every case of the type.
		conds = append(conds, "type || '' IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.Types)), ", ")+")")
		for _, t := range f.Types {
			args = append(args, t)
		}
	}
	if len(f.HideTypes) > 0 {
		conds = append(conds, "type || '' NOT IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.HideTypes)), ", ")+")")
		for _, t := range f.HideTypes {
			args = append(args, t)
		}
	}
	if len(f.CategoryIDs) > 0 {
		ph, a := inList(f.CategoryIDs)
		conds = append(conds, "category_id IN ("+ph+")")
		args = append(args, a...)
	}
	if f.Channel != "" {
		conds = append(conds, "channel = ?")
		args = append(args, f.Channel)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " AND " + strings.Join(conds, " AND "), args
}

// aggregatable reports whether the aggregates can answer the query: by
// type, street, unit or category (one of street, unit, or category with
// neither of the others), by day or month.
func aggregatable(q store.StatsQuery) bool {
	f := q.Filter
	if f.CommunityID != 0 || f.GridID != 0 || f.Channel != "" {
		return false
	}
	byCat := len(f.CategoryIDs) > 0 || q.Group == store.GroupCategory
	byPlace := f.StreetID != 0 || f.UnitID != 0 || q.Group == store.GroupStreet || q.Group == store.GroupUnit
	if byCat && byPlace {
		return false
	}
	switch q.Group {
	case store.GroupNone, store.GroupType, store.GroupStreet, store.GroupUnit, store.GroupCategory, store.GroupDay, store.GroupMonth:
		return true
	}
	return false
}

// groupExpr returns the SQL of the group key on axis a and whether it is
// a string.
func groupExpr(g store.StatsGroup, a stats.Axis) (string, bool, error) {
	switch g {
	case store.GroupNone:
		return "0", false, nil
	case store.GroupType:
		return "type", true, nil
	case store.GroupChannel:
		return "channel", true, nil
	case store.GroupSubtype:
		return "subtype", true, nil
	case store.GroupStreet:
		return "street_id", false, nil
	case store.GroupCommunity:
		return "community_id", false, nil
	case store.GroupGrid:
		return "grid_id", false, nil
	case store.GroupUnit:
		return "unit_id", false, nil
	case store.GroupCategory:
		return "category_id", false, nil
	case store.GroupUser:
		return [...]string{"created_by", "registered_by", "dispatched_by", "handled_by", "closed_by", "closed_by"}[a], false, nil
	case store.GroupDay, store.GroupMonth:
		return fmt.Sprintf("((%s + %d) / %d)", stats.AxisColumns[a], 8*3600*1000, 24*3600*1000), false, nil
	}
	return "", false, fmt.Errorf("stats: unknown group %q", g)
}

type rowKey struct {
	key  int64
	name string
}

// StatsCounts answers a counting query.
func (db *DB) StatsCounts(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	if !q.Range.Valid() {
		return nil, stats.ErrRange
	}
	acc := map[rowKey]*stats.Counts{}
	useAgg := q.Engine == store.EngineAggregates || (q.Engine == store.EngineAuto && aggregatable(q))
	if useAgg && !aggregatable(q) {
		return nil, store.ErrNotAggregatable
	}
	if useAgg {
		sp := stats.SplitRange(q.Range)
		for _, part := range []stats.Range{sp.Head, sp.Tail} {
			if part.Valid() {
				if err := db.factCounts(ctx, q, part, acc); err != nil {
					return nil, err
				}
			}
		}
		if q.Group == store.GroupDay {
			// Day groups cannot come out of months: read all whole days.
			lo, hi := sp.DayLo1, sp.DayHi1
			if sp.MonthHi > sp.MonthLo {
				hi = sp.DayHi2
			}
			if err := db.aggCounts(ctx, "stat_day", "day", lo, hi, q, acc); err != nil {
				return nil, err
			}
		} else {
			for _, p := range [][2]int64{{sp.DayLo1, sp.DayHi1}, {sp.DayLo2, sp.DayHi2}} {
				if err := db.aggCounts(ctx, "stat_day", "day", p[0], p[1], q, acc); err != nil {
					return nil, err
				}
			}
			if err := db.aggCounts(ctx, "stat_month", "month", sp.MonthLo, sp.MonthHi, q, acc); err != nil {
				return nil, err
			}
		}
	} else if err := db.factCounts(ctx, q, q.Range, acc); err != nil {
		return nil, err
	}
	out := make([]store.StatsRow, 0, len(acc))
	for k, c := range acc {
		out = append(out, store.StatsRow{Key: k.key, Name: k.name, Counts: *c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].Name < out[j].Name
	})
	if q.Group == store.GroupNone && len(out) == 0 {
		out = append(out, store.StatsRow{})
	}
	return out, nil
}

func accumulate(acc map[rowKey]*stats.Counts, k rowKey, month bool, c *stats.Counts) {
	if month {
		k.key = stats.MonthOf(k.key)
	}
	d := acc[k]
	if d == nil {
		d = &stats.Counts{}
		acc[k] = d
	}
	d.Add(*c)
}

// factCounts adds the counts of the facts in r, one query per axis, each
// through that axis's index.
func (db *DB) factCounts(ctx context.Context, q store.StatsQuery, r stats.Range, acc map[rowKey]*stats.Counts) error {
	fw, fargs := filterSQL(q.Filter)
	for a := stats.Axis(0); a < stats.NumAxes; a++ {
		var idx []int
		var sums []string
		for i, c := range stats.Columns {
			if c.Axis == a {
				idx = append(idx, i)
				sums = append(sums, "SUM("+c.SQL+")")
			}
		}
		g, isStr, err := groupExpr(q.Group, a)
		if err != nil {
			return err
		}
		col := stats.AxisColumns[a]
		query := `SELECT ` + g + `, ` + strings.Join(sums, ", ") + ` FROM case_facts WHERE ` + col + ` >= ? AND ` + col + ` < ?` + fw
		if q.Group != store.GroupNone {
			query += ` GROUP BY ` + g
		}
		args := append([]any{r.FromMs(), r.ToMs()}, fargs...)
		if err := db.scanCounts(ctx, query, args, isStr, idx, q.Group == store.GroupMonth, acc); err != nil {
			return err
		}
	}
	return nil
}

// aggCounts adds the counts of whole days ([lo, hi) of table's periods:
// stat_day or stat_month). A query that filters or groups by street or by
// unit, but not both, and any query that does neither, reads the roll-ups;
// one that needs street and unit together reads the table itself.
func (db *DB) aggCounts(ctx context.Context, table, pcol string, lo, hi int64, q store.StatsQuery, acc map[rowKey]*stats.Counts) error {
	if hi <= lo {
		return nil
	}
	f := q.Filter
	byStreet := f.StreetID != 0 || q.Group == store.GroupStreet
	byUnit := f.UnitID != 0 || q.Group == store.GroupUnit
	byCat := len(f.CategoryIDs) > 0 || q.Group == store.GroupCategory
	var from, where string
	var args []any
	keyOf := map[string]string{"street_id": "street_id", "unit_id": "unit_id", "category_id": "category_id"}
	if !(byStreet && byUnit) {
		grain, dim := 0, rollTotal
		if table == "stat_month" {
			grain = 1
		}
		switch {
		case byStreet:
			dim = rollStreet
			keyOf["street_id"] = "key_id"
		case byUnit:
			dim = rollUnit
			keyOf["unit_id"] = "key_id"
		case byCat:
			dim = rollCategory
			keyOf["category_id"] = "key_id"
		}
		from, pcol = "stat_roll", "period"
		where = ` WHERE grain = ? AND dim = ? AND period >= ? AND period < ?`
		args = []any{grain, dim, lo, hi}
	} else {
		from = table
		where = ` WHERE ` + pcol + ` >= ? AND ` + pcol + ` < ?`
		args = []any{lo, hi}
	}
	if f.StreetID != 0 {
		where += ` AND ` + keyOf["street_id"] + ` = ?`
		args = append(args, f.StreetID)
	}
	if f.UnitID != 0 {
		where += ` AND ` + keyOf["unit_id"] + ` = ?`
		args = append(args, f.UnitID)
	}
	if len(f.CategoryIDs) > 0 {
		ph, cargs := inList(f.CategoryIDs)
		where += ` AND ` + keyOf["category_id"] + ` IN (` + ph + `)`
		args = append(args, cargs...)
	}
	tf, targs := filterSQL(store.StatsFilter{Types: f.Types, HideTypes: f.HideTypes})
	where += tf
	args = append(args, targs...)
	var g string
	isStr, month := false, false
	switch q.Group {
	case store.GroupNone:
		g = "0"
	case store.GroupType:
		g, isStr = "type", true
	case store.GroupStreet:
		g = keyOf["street_id"]
	case store.GroupUnit:
		g = keyOf["unit_id"]
	case store.GroupCategory:
		g = keyOf["category_id"]
	case store.GroupDay, store.GroupMonth:
		g = pcol
		month = q.Group == store.GroupMonth && table == "stat_day"
	}
	cols := aggColumns()
	sums := make([]string, len(cols))
	idx := make([]int, len(cols))
	for i, c := range cols {
		sums[i] = "SUM(" + c + ")"
		idx[i] = i
	}
	query := `SELECT ` + g + `, ` + strings.Join(sums, ", ") + ` FROM ` + from + where
	if q.Group != store.GroupNone {
		query += ` GROUP BY ` + g
	}
	return db.scanCounts(ctx, query, args, isStr, idx, month, acc)
}

func (db *DB) scanCounts(ctx context.Context, query string, args []any, isStr bool, idx []int, month bool, acc map[rowKey]*stats.Counts) error {
	rows, err := db.r.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]sql.NullInt64, len(idx))
	ptrs := make([]any, len(idx)+1)
	var key int64
	var name string
	if isStr {
		ptrs[0] = &name
	} else {
		ptrs[0] = &key
	}
	for i := range vals {
		ptrs[i+1] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		var c stats.Counts
		any := false
		for i, v := range vals {
			c[idx[i]] = v.Int64
			any = any || v.Valid
		}
		if !any {
			continue // SUM over no rows
		}
		accumulate(acc, rowKey{key: key, name: name}, month, &c)
	}
	return rows.Err()
}

// StatsFacts lists facts on an axis in a range.
func (db *DB) StatsFacts(ctx context.Context, axis stats.Axis, r stats.Range, f store.StatsFilter, afterID int64, limit int) ([]stats.Fact, error) {
	if axis < 0 || axis >= stats.NumAxes {
		return nil, fmt.Errorf("stats: bad axis %d", axis)
	}
	fw, fargs := filterSQL(f)
	col := stats.AxisColumns[axis]
	if limit <= 0 {
		limit = 1000
	}
	args := append([]any{r.FromMs(), r.ToMs(), afterID}, fargs...)
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+strings.Join(factColumns, ", ")+` FROM case_facts WHERE `+col+` >= ? AND `+col+` < ? AND case_id > ?`+fw+
		` ORDER BY case_id LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []stats.Fact
	for rows.Next() {
		fa, err := scanFact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, fa)
	}
	return out, rows.Err()
}

// StatsHotSpots returns grids × categories with repeated reports.
func (db *DB) StatsHotSpots(ctx context.Context, r stats.Range, f store.StatsFilter, minReports int64, limit int) ([]store.HotSpot, error) {
	fw, fargs := filterSQL(f)
	args := append([]any{r.FromMs(), r.ToMs()}, fargs...)
	args = append(args, minReports, limit)
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT grid_id, street_id, category_id, COUNT(*), SUM(CASE WHEN status = 'merged' THEN 1 ELSE 0 END)
 FROM case_facts WHERE received_at >= ? AND received_at < ? AND grid_id <> 0 AND category_id <> 0`+fw+`
 GROUP BY grid_id, street_id, category_id HAVING COUNT(*) >= ? ORDER BY COUNT(*) DESC, grid_id, category_id LIMIT ?`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.HotSpot
	for rows.Next() {
		var h store.HotSpot
		if err := rows.Scan(&h.GridID, &h.StreetID, &h.CategoryID, &h.Reports, &h.Merged); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// StatsCategoryDays counts reports by street, category and day.
func (db *DB) StatsCategoryDays(ctx context.Context, r stats.Range, f store.StatsFilter) ([]store.CategoryDay, error) {
	fw, fargs := filterSQL(f)
	day := fmt.Sprintf("((received_at + %d) / %d)", 8*3600*1000, 24*3600*1000)
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT street_id, category_id, `+day+`, COUNT(*),
 SUM(CASE WHEN closed = 0 AND status NOT IN ('merged', 'rejected', 'cancelled') THEN 1 ELSE 0 END)
 FROM case_facts WHERE received_at >= ? AND received_at < ? AND street_id <> 0 AND category_id <> 0`+fw+`
 GROUP BY street_id, category_id, `+day), append([]any{r.FromMs(), r.ToMs()}, fargs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.CategoryDay
	for rows.Next() {
		var c store.CategoryDay
		if err := rows.Scan(&c.StreetID, &c.CategoryID, &c.Day, &c.Reports, &c.Unclosed); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// StatsProjects sums the projects created before t (cancelled ones left out).
func (db *DB) StatsProjects(ctx context.Context, before time.Time, f store.StatsFilter) (store.ProjectProgress, error) {
	var p store.ProjectProgress
	if len(f.Types) > 0 && !slices.Contains(f.Types, "project") || slices.Contains(f.HideTypes, "project") {
		return p, nil // the question is about other types
	}
	f.Types, f.HideTypes = nil, nil
	fw, fargs := filterSQL(f)
	var closed, active, pct, inv, spent, ben sql.NullInt64
	err := db.r.QueryRowContext(ctx, db.q(`SELECT COUNT(*), SUM(closed), SUM(CASE WHEN closed = 0 THEN 1 ELSE 0 END), SUM(percent), SUM(investment), SUM(funds_spent), SUM(beneficiaries)
 FROM case_facts WHERE type = 'project' AND received_at < ? AND status <> 'cancelled'`+fw), append([]any{before.UnixMilli()}, fargs...)...).
		Scan(&p.Projects, &closed, &active, &pct, &inv, &spent, &ben)
	p.Closed, p.Active, p.PercentSum, p.Investment, p.FundsSpent, p.Beneficiaries = closed.Int64, active.Int64, pct.Int64, inv.Int64, spent.Int64, ben.Int64
	return p, err
}

// LedgerLinks returns the existing links of the given ledger numbers.
func (db *DB) LedgerLinks(ctx context.Context, kind string, numbers []string) (map[string]store.LedgerLink, error) {
	out := map[string]store.LedgerLink{}
	for start := 0; start < len(numbers); start += 500 {
		chunk := numbers[start:min(start+500, len(numbers))]
		args := []any{kind}
		for _, n := range chunk {
			args = append(args, n)
		}
		rows, err := db.r.QueryContext(ctx, db.q(`SELECT kind, ledger_no, case_id, imported_by, imported_at FROM ledger_links WHERE kind = ? AND ledger_no IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`)`), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var l store.LedgerLink
			var by sql.NullInt64
			var at int64
			if err := rows.Scan(&l.Kind, &l.LedgerNo, &l.CaseID, &by, &at); err != nil {
				rows.Close()
				return nil, err
			}
			l.ImportedBy, l.ImportedAt = fromNullID(by), fromMs(at)
			out[l.LedgerNo] = l
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AddLedgerLinks records links in one transaction.
func (db *DB) AddLedgerLinks(ctx context.Context, links []store.LedgerLink) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, l := range links {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO ledger_links (kind, ledger_no, case_id, imported_by, imported_at) VALUES (?, ?, ?, ?, ?)`),
				l.Kind, l.LedgerNo, l.CaseID, nullID(l.ImportedBy), ms(l.ImportedAt)); err != nil {
				return err
			}
		}
		return nil
	})
	if isUnique(err) {
		return store.ErrConflict
	}
	return err
}

// LedgerNumbers returns the ledger numbers of the given cases.
func (db *DB) LedgerNumbers(ctx context.Context, kind string, caseIDs []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for start := 0; start < len(caseIDs); start += 500 {
		ph, args := inList(caseIDs[start:min(start+500, len(caseIDs))])
		rows, err := db.r.QueryContext(ctx, db.q(`SELECT case_id, ledger_no FROM ledger_links WHERE kind = ? AND case_id IN (`+ph+`)`), append([]any{kind}, args...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var no string
			if err := rows.Scan(&id, &no); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = no
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ImportLedger inserts ledger cases and their links in one transaction.
// Each case also carries its ledger number as idempotency key, so the
// number is unique twice over.
func (db *DB) ImportLedger(ctx context.Context, cases []store.CaseWithTimeline, links []store.LedgerLink) error {
	if len(cases) != len(links) {
		return fmt.Errorf("stats: %d ledger cases but %d links", len(cases), len(links))
	}
	err := db.auditedTx(ctx, nil, func(tx *sql.Tx) error {
		for i := range cases {
			c := &cases[i].Case
			if err := db.insertCase(ctx, tx, c, "ledger:"+links[i].Kind+":"+links[i].LedgerNo); err != nil {
				return err
			}
			for j := range cases[i].Events {
				ev := &cases[i].Events[j]
				ev.CaseID = c.ID
				if err := db.insertEvent(ctx, tx, ev, db.personalOf(c)); err != nil {
					return err
				}
			}
			links[i].CaseID = c.ID
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO ledger_links (kind, ledger_no, case_id, imported_by, imported_at) VALUES (?, ?, ?, ?, ?)`),
				links[i].Kind, links[i].LedgerNo, c.ID, nullID(links[i].ImportedBy), ms(links[i].ImportedAt)); err != nil {
				return err
			}
		}
		return nil
	})
	if isUnique(err) {
		return store.ErrConflict
	}
	return err
}
