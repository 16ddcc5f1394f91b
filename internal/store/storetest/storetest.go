// Package storetest is the one test suite every store.Store implementation
// must pass. Each implementation's tests call Run with a function that opens
// a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// Opener returns a fresh, empty, migrated store.
type Opener func(t testing.TB) store.Store

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"Reference", testReference},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"CreateAndRead", testCreateAndRead},
		{"Idempotency", testIdempotency},
		{"CreateTimed", testCreateTimed},
		{"ConcurrentIdempotency", testConcurrentIdempotency},
		{"OptimisticUpdate", testOptimisticUpdate},
		{"ConcurrentUpdate", testConcurrentUpdate},
		{"ListAndPage", testListAndPage},
		{"Import", testImport},
		{"Attachments", testAttachments},
		{"Settings", testSettings},
		{"Outbox", testOutbox},
		{"Audit", testAudit},
		{"AuditWithWrite", testAuditWithWrite},
		{"Categories", testCategories},
		{"Rates", testRates},
		{"LoginCounts", testLoginCounts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t)
			tc.fn(t, st)
		})
	}
}

// Fixture is a small district: root, one street, one community, one grid,
// one department and two categories.
func Fixture() store.Reference {
	return store.Reference{
		Org: []model.OrgUnit{
			{ID: 1, Kind: model.OrgDistrict, Code: "431302", Name: "娄星区"},
			{ID: 2, ParentID: 1, Kind: model.OrgStreet, Code: "001", Name: "乐坪街道"},
			{ID: 3, ParentID: 2, Kind: model.OrgCommunity, Code: "001", Name: "新星社区"},
			{ID: 4, ParentID: 3, Kind: model.OrgGrid, Code: "43130200100101", Name: "新星社区第01网格"},
			{ID: 5, ParentID: 1, Kind: model.OrgDepartment, Code: "D01", Name: "区城市管理局"},
		},
		Grids: []model.Grid{{OrgID: 4, Code: model.GridCode{Admin: "431302", Street: "001", Community: "001", Seq: "01"}, Name: "新星社区第01网格",
			CommunityID: 3, StreetID: 2, Geometry: `{"type":"Polygon","coordinates":[[[111.98,27.73],[111.99,27.73],[111.99,27.74],[111.98,27.74],[111.98,27.73]]]}`, AreaM2: 1e6}},
		Categories: []model.Category{
			{ID: 1, Code: "01", Kind: model.CategoryComponent, Name: "公用设施", CaseType: "city_case", Deadline: model.DeadlineRule{Kind: model.DeadlineWorkingDays, Amount: 7}, Public: true},
			{ID: 2, ParentID: 1, Code: "0101", Kind: model.CategoryComponent, Name: "上水井盖", NameEn: "Water manhole cover", CaseType: "city_case", DefaultUnitID: 5, Deadline: model.DeadlineRule{Kind: model.DeadlineWorkingDays, Amount: 3}, Public: true},
		},
		Rules: []model.RoutingRule{{ID: 1, CategoryID: 2, AreaID: 2, UnitID: 5}},
	}
}

// NewCase returns a valid case in the fixture district, created at t0.
func NewCase(i int, t0 time.Time) (model.Case, model.Event) {
	c := model.Case{
		Receipt: fmt.Sprintf("R%011d", i), Type: "city_case", DefVersion: 1, Channel: model.ChannelApp, CategoryID: 2,
		Description: fmt.Sprintf("井盖缺失 %d", i), Lat: 27.735, Lng: 111.985, Address: "乐坪大道1号",
		GridID: 4, CommunityID: 3, StreetID: 2, UnitID: 5, Routing: "category",
		Reporter: model.Reporter{Name: "张三", Phone: "13800000000"}, Status: model.StateReported, Version: 1,
		CreatedAt: t0, UpdatedAt: t0,
	}
	return c, model.Event{At: t0, ActorName: "群众", Role: model.RoleCitizen, Action: "create", ToState: model.StateReported}
}

func ctx() context.Context { return context.Background() }

// loaded returns st with the fixture loaded.
func loaded(t *testing.T, st store.Store) store.Store {
	t.Helper()
	if err := st.LoadReference(ctx(), Fixture()); err != nil {
		t.Fatalf("LoadReference: %v", err)
	}
	return st
}

func testReference(t *testing.T, st store.Store) {
	if empty, err := st.Empty(ctx()); err != nil || !empty {
		t.Fatalf("fresh store Empty = %v, %v", empty, err)
	}
	loaded(t, st)
	if empty, _ := st.Empty(ctx()); empty {
		t.Fatal("Empty after load")
	}
	f := Fixture()
	orgs, err := st.ListOrgUnits(ctx())
	if err != nil || len(orgs) != len(f.Org) || orgs[3] != f.Org[3] {
		t.Fatalf("ListOrgUnits = %v, %v", orgs, err)
	}
	grids, err := st.ListGrids(ctx())
	if err != nil || len(grids) != 1 || grids[0] != f.Grids[0] {
		t.Fatalf("ListGrids = %+v, %v", grids, err)
	}
	cats, err := st.ListCategories(ctx())
	if err != nil || len(cats) != 2 || cats[1] != f.Categories[1] {
		t.Fatalf("ListCategories = %+v, %v", cats, err)
	}
	rules, err := st.ListRoutingRules(ctx())
	if err != nil || len(rules) != 1 || rules[0] != f.Rules[0] {
		t.Fatalf("ListRoutingRules = %+v, %v", rules, err)
	}
	// A reference load is one transaction: a bad row leaves nothing behind.
	bad := store.Reference{Org: []model.OrgUnit{{ID: 10, Kind: model.OrgDepartment, Code: "D9", Name: "新单位"}, {ID: 11, ParentID: 999, Kind: model.OrgStreet, Code: "9", Name: "x"}}}
	if err := st.LoadReference(ctx(), bad); err == nil {
		t.Fatal("LoadReference accepted a unit whose parent does not exist")
	}
	if orgs, _ := st.ListOrgUnits(ctx()); len(orgs) != len(f.Org) {
		t.Fatalf("failed load left %d units, want %d", len(orgs), len(f.Org))
	}
}

func testUsers(t *testing.T, st store.Store) {
	loaded(t, st)
	u := model.User{Username: "operator1", DisplayName: "坐席一", Role: model.RoleOperator, OrgID: 1, PasswordHash: "h1", CreatedAt: time.UnixMilli(1_700_000_000_000)}
	if err := st.CreateUser(ctx(), &u); err != nil || u.ID == 0 {
		t.Fatalf("CreateUser: %v id %d", err, u.ID)
	}
	dup := u
	if err := st.CreateUser(ctx(), &dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate username: %v", err)
	}
	got, err := st.UserByUsername(ctx(), "operator1")
	if err != nil || got != u {
		t.Fatalf("UserByUsername = %+v, %v; want %+v", got, err, u)
	}
	if got, err := st.UserByID(ctx(), u.ID); err != nil || got.Username != "operator1" {
		t.Fatalf("UserByID = %+v, %v", got, err)
	}
	if _, err := st.UserByUsername(ctx(), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := st.SetPassword(ctx(), u.ID, "h2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.UserByID(ctx(), u.ID); got.PasswordHash != "h2" {
		t.Fatal("SetPassword did not change the hash")
	}
	if err := st.SetPassword(ctx(), 9999, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetPassword on missing user: %v", err)
	}
	// A staff move: the account's org changes, nothing else does.
	if err := st.SetUserOrg(ctx(), u.ID, 5); err != nil {
		t.Fatalf("SetUserOrg: %v", err)
	}
	if got, err := st.UserByID(ctx(), u.ID); err != nil || got.OrgID != 5 || got.Username != "operator1" || got.Role != model.RoleOperator || got.PasswordHash != "h2" {
		t.Fatalf("after SetUserOrg: %+v, %v", got, err)
	}
	if err := st.SetUserOrg(ctx(), u.ID, 5); err != nil {
		t.Fatalf("SetUserOrg to the same org: %v", err)
	}
	if err := st.SetUserOrg(ctx(), 424242, 5); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetUserOrg on missing user: %v", err)
	}
	if users, _ := st.ListUsers(ctx()); len(users) != 1 {
		t.Fatalf("ListUsers = %d users", len(users))
	}
}

func testSessions(t *testing.T, st store.Store) {
	loaded(t, st)
	u := model.User{Username: "u", Role: model.RoleUnit, OrgID: 5, PasswordHash: "h"}
	st.CreateUser(ctx(), &u)
	now := time.UnixMilli(1_700_000_000_000)
	s := model.Session{TokenHash: "abc", UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.CreateSession(ctx(), s); err != nil {
		t.Fatal(err)
	}
	if got, err := st.SessionByHash(ctx(), "abc", now.Add(time.Minute)); err != nil || got != s {
		t.Fatalf("SessionByHash = %+v, %v", got, err)
	}
	if _, err := st.SessionByHash(ctx(), "abc", now.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session: %v", err)
	}
	st.DeleteSession(ctx(), "abc")
	if _, err := st.SessionByHash(ctx(), "abc", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
	// Ending every session of one account leaves the others'.
	other := model.User{Username: "v", Role: model.RoleUnit, OrgID: 5, PasswordHash: "h"}
	st.CreateUser(ctx(), &other)
	for i, owner := range []int64{u.ID, u.ID, other.ID} {
		st.CreateSession(ctx(), model.Session{TokenHash: fmt.Sprint("t", i), UserID: owner, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	}
	if n, err := st.DeleteUserSessions(ctx(), u.ID); err != nil || n != 2 {
		t.Fatalf("DeleteUserSessions = %d, %v; want 2", n, err)
	}
	if _, err := st.SessionByHash(ctx(), "t0", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a session of the account survived: %v", err)
	}
	if _, err := st.SessionByHash(ctx(), "t2", now); err != nil {
		t.Fatalf("another account's session ended: %v", err)
	}
	// Disabling and enabling an account.
	if err := st.SetUserDisabled(ctx(), other.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.UserByID(ctx(), other.ID); !got.Disabled {
		t.Fatal("account not disabled")
	}
	if err := st.SetUserDisabled(ctx(), other.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.UserByID(ctx(), other.ID); got.Disabled {
		t.Fatal("account not enabled again")
	}
	if err := st.SetUserDisabled(ctx(), 424242, true); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("disabling a missing account: %v", err)
	}
}

func testCreateAndRead(t *testing.T, st store.Store) {
	loaded(t, st)
	t0 := time.UnixMilli(1_750_000_000_123)
	c, ev := NewCase(1, t0)
	if err := st.CreateCase(ctx(), &c, &ev, ""); err != nil || c.ID == 0 || ev.ID == 0 || ev.CaseID != c.ID || ev.Seq != 1 {
		t.Fatalf("CreateCase: %v case %d event %+v", err, c.ID, ev)
	}
	got, err := st.Case(ctx(), c.ID)
	if err != nil || !sameCase(got, c) {
		t.Fatalf("Case = %+v, %v\nwant %+v", got, err, c)
	}
	if got, err := st.CaseByReceipt(ctx(), c.Receipt); err != nil || got.ID != c.ID {
		t.Fatalf("CaseByReceipt = %v, %v", got.ID, err)
	}
	if _, err := st.Case(ctx(), 424242); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing case: %v", err)
	}
	tl, err := st.Timeline(ctx(), c.ID)
	if err != nil || len(tl) != 1 || tl[0].Action != "create" || !tl[0].At.Equal(t0) {
		t.Fatalf("Timeline = %+v, %v", tl, err)
	}
	// A case and its first event are one transaction: a bad event (unknown
	// attachment) leaves no case behind.
	c2, ev2 := NewCase(2, t0)
	ev2.Attachments = []string{"no-such-attachment"}
	if err := st.CreateCase(ctx(), &c2, &ev2, ""); err == nil {
		t.Fatal("CreateCase accepted an event naming a missing attachment")
	}
	if _, err := st.CaseByReceipt(ctx(), c2.Receipt); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("half-written case left behind: %v", err)
	}
	// A taken receipt code is refused.
	c3, ev3 := NewCase(1, t0)
	if err := st.CreateCase(ctx(), &c3, &ev3, ""); err == nil {
		t.Fatal("duplicate receipt accepted")
	}
}

func testIdempotency(t *testing.T, st store.Store) {
	loaded(t, st)
	t0 := time.UnixMilli(1_750_000_000_000)
	c, ev := NewCase(1, t0)
	if err := st.CreateCase(ctx(), &c, &ev, "key-1"); err != nil {
		t.Fatal(err)
	}
	again, ev2 := NewCase(2, t0)
	if err := st.CreateCase(ctx(), &again, &ev2, "key-1"); !errors.Is(err, store.ErrConflict) || again.ID != c.ID {
		t.Fatalf("same key: err %v id %d, want ErrConflict with id %d", err, again.ID, c.ID)
	}
	if id, err := st.CaseIDByIdempotencyKey(ctx(), "key-1"); err != nil || id != c.ID {
		t.Fatalf("CaseIDByIdempotencyKey = %d, %v", id, err)
	}
	if n, _ := st.CountCases(ctx(), model.CaseFilter{}); n != 1 {
		t.Fatalf("%d cases after a replayed create, want 1", n)
	}
}

// testCreateTimed creates a case with timers and an evidence photo in one
// call: every row is there, the alert a caller set is recomputed (a new
// case has no fired timer), the event is in the outbox; a bad timer set
// (the same timer twice is taken once) and a missing attachment write
// nothing.
func testCreateTimed(t *testing.T, st store.Store) {
	loaded(t, st)
	ts, ok := st.(store.Timers)
	if !ok {
		t.Skip("store has no timers")
	}
	t0 := time.UnixMilli(1_750_000_000_000)
	a := model.Attachment{ID: "cd" + fmt.Sprintf("%062d", 7), Mime: "image/jpeg", Size: 99, CreatedAt: t0}
	if err := st.PutAttachment(ctx(), a); err != nil {
		t.Fatal(err)
	}
	c, ev := NewCase(1, t0)
	c.Alert = model.AlertYellow
	ev.Attachments = []string{a.ID}
	specs := []store.TimerSpec{
		{Clock: "handle", Kind: "warn", FireAt: t0.Add(48 * time.Hour)},
		{Clock: "handle", Kind: "due", FireAt: t0.Add(72 * time.Hour)},
		{Clock: "handle", Kind: "due", FireAt: t0.Add(72 * time.Hour)},
	}
	if err := ts.CreateCaseTimed(ctx(), &c, &ev, "timed-1", specs); err != nil || c.ID == 0 || ev.ID == 0 || ev.CaseID != c.ID {
		t.Fatalf("CreateCaseTimed: %v case %d event %+v", err, c.ID, ev)
	}
	if c.Alert != model.AlertNone {
		t.Fatalf("alert after create = %q, want none", c.Alert)
	}
	got, err := st.Case(ctx(), c.ID)
	if err != nil || !sameCase(got, c) {
		t.Fatalf("Case = %+v, %v\nwant %+v", got, err, c)
	}
	tms, err := ts.CaseTimers(ctx(), c.ID)
	if err != nil || len(tms) != 2 {
		t.Fatalf("CaseTimers = %+v, %v; want 2", tms, err)
	}
	for _, tm := range tms {
		if tm.CaseID != c.ID || !tm.FiredAt.IsZero() || !tm.CancelledAt.IsZero() || !tm.CreatedAt.Equal(t0) {
			t.Fatalf("timer %+v", tm)
		}
	}
	if ids, err := st.CaseAttachments(ctx(), c.ID); err != nil || len(ids) != 1 || ids[0] != a.ID {
		t.Fatalf("CaseAttachments = %v, %v", ids, err)
	}
	if ob, ok := st.(store.OutboxStore); ok {
		pending, err := ob.PendingEvents(ctx(), "test", 10)
		if err != nil || len(pending) != 1 || pending[0].Event.ID != ev.ID || pending[0].Receipt != c.Receipt {
			t.Fatalf("PendingEvents = %+v, %v", pending, err)
		}
	}
	// The same key again: nothing new, the first case's id.
	again, ev2 := NewCase(2, t0)
	if err := ts.CreateCaseTimed(ctx(), &again, &ev2, "timed-1", specs); !errors.Is(err, store.ErrConflict) || again.ID != c.ID {
		t.Fatalf("same key: %v id %d, want ErrConflict with %d", err, again.ID, c.ID)
	}
	// A missing attachment: no case, no timers.
	bad, ev3 := NewCase(3, t0)
	ev3.Attachments = []string{"missing"}
	if err := ts.CreateCaseTimed(ctx(), &bad, &ev3, "", specs); err == nil {
		t.Fatal("CreateCaseTimed accepted a missing attachment")
	}
	if _, err := st.CaseByReceipt(ctx(), bad.Receipt); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("half-written case: %v", err)
	}
	if n, _ := st.CountCases(ctx(), model.CaseFilter{}); n != 1 {
		t.Fatalf("%d cases, want 1", n)
	}
}

// testConcurrentIdempotency races creates with one key: one case, and
// every other caller is told its id.
func testConcurrentIdempotency(t *testing.T, st store.Store) {
	loaded(t, st)
	t0 := time.UnixMilli(1_750_000_000_000)
	var ids sync.Map
	var created, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			c, ev := NewCase(100+i, t0)
			switch err := st.CreateCase(ctx(), &c, &ev, "race"); {
			case err == nil:
				created.Add(1)
			case errors.Is(err, store.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("create %d: %v", i, err)
				return
			}
			ids.Store(c.ID, true)
		})
	}
	wg.Wait()
	n := 0
	ids.Range(func(any, any) bool { n++; return true })
	if created.Load() != 1 || conflicts.Load() != 7 || n != 1 {
		t.Fatalf("created %d conflicts %d distinct ids %d, want 1, 7, 1", created.Load(), conflicts.Load(), n)
	}
	if n, _ := st.CountCases(ctx(), model.CaseFilter{}); n != 1 {
		t.Fatalf("%d cases, want 1", n)
	}
}

func testOptimisticUpdate(t *testing.T, st store.Store) {
	loaded(t, st)
	t0 := time.UnixMilli(1_750_000_000_000)
	c, ev := NewCase(1, t0)
	st.CreateCase(ctx(), &c, &ev, "")
	next := c
	next.Status, next.Version, next.UpdatedAt, next.DueAt = model.StateRegistered, 2, t0.Add(time.Hour), t0.Add(72*time.Hour)
	e := model.Event{At: next.UpdatedAt, ActorID: 0, ActorName: "坐席", Role: model.RoleOperator, Action: "accept", FromState: model.StateReported, ToState: model.StateRegistered, Note: "立案"}
	if err := st.UpdateCase(ctx(), &next, 1, &e); err != nil || e.Seq != 2 {
		t.Fatalf("UpdateCase: %v seq %d", err, e.Seq)
	}
	if got, _ := st.Case(ctx(), c.ID); !sameCase(got, next) {
		t.Fatalf("after update %+v\nwant %+v", got, next)
	}
	stale := c
	stale.Status, stale.Version = model.StateRejected, 2
	e2 := model.Event{At: t0, ActorName: "x", Role: model.RoleOperator, Action: "reject", ToState: model.StateRejected}
	if err := st.UpdateCase(ctx(), &stale, 1, &e2); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	missing := c
	missing.ID = 999999
	if err := st.UpdateCase(ctx(), &missing, 1, &e2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a missing case: %v", err)
	}
	if tl, _ := st.Timeline(ctx(), c.ID); len(tl) != 2 || tl[1].Note != "立案" {
		t.Fatalf("timeline after a refused update = %+v", tl)
	}
}

// testConcurrentUpdate races writers on one version: exactly one wins.
func testConcurrentUpdate(t *testing.T, st store.Store) {
	loaded(t, st)
	t0 := time.UnixMilli(1_750_000_000_000)
	c, ev := NewCase(1, t0)
	st.CreateCase(ctx(), &c, &ev, "")
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			next := c
			next.Status, next.Version, next.Description = model.StateRegistered, 2, fmt.Sprint("writer ", i)
			e := model.Event{At: t0, ActorName: "w", Role: model.RoleOperator, Action: "accept", FromState: model.StateReported, ToState: model.StateRegistered}
			switch err := st.UpdateCase(ctx(), &next, 1, &e); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 7 {
		t.Fatalf("wins %d conflicts %d, want 1 and 7", wins.Load(), conflicts.Load())
	}
	if tl, _ := st.Timeline(ctx(), c.ID); len(tl) != 2 {
		t.Fatalf("timeline has %d entries, want 2", len(tl))
	}
}

func testListAndPage(t *testing.T, st store.Store) {
	loaded(t, st)
	t0 := time.UnixMilli(1_750_000_000_000)
	for i := 1; i <= 25; i++ {
		c, ev := NewCase(i, t0.Add(time.Duration(i)*time.Minute))
		if i%5 == 0 {
			c.Status, c.UnitID = model.StateDispatched, 0
		}
		if err := st.CreateCase(ctx(), &c, &ev, ""); err != nil {
			t.Fatal(err)
		}
	}
	var seen []int64
	f := model.CaseFilter{Limit: 7}
	for {
		page, err := st.ListCases(ctx(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			if len(seen) > 0 && c.ID >= seen[len(seen)-1] {
				t.Fatalf("not newest first: %d after %d", c.ID, seen[len(seen)-1])
			}
			seen = append(seen, c.ID)
		}
		if len(page) < f.Limit {
			break
		}
		f.AfterID = page[len(page)-1].ID
	}
	if len(seen) != 25 {
		t.Fatalf("paged through %d cases, want 25", len(seen))
	}
	for _, tc := range []struct {
		f    model.CaseFilter
		want int
	}{
		{model.CaseFilter{Status: []model.State{model.StateDispatched}}, 5},
		{model.CaseFilter{Status: []model.State{model.StateDispatched, model.StateReported}}, 25},
		{model.CaseFilter{UnitID: 5}, 20},
		{model.CaseFilter{UnitID: 5, Status: []model.State{model.StateDispatched}}, 0},
		{model.CaseFilter{StreetID: 2, GridID: 4, Type: "city_case"}, 25},
		{model.CaseFilter{Type: "clue"}, 0},
	} {
		n, err := st.CountCases(ctx(), tc.f)
		list, _ := st.ListCases(ctx(), model.CaseFilter{Status: tc.f.Status, UnitID: tc.f.UnitID, StreetID: tc.f.StreetID, GridID: tc.f.GridID, Type: tc.f.Type, Limit: 100})
		if err != nil || n != tc.want || len(list) != tc.want {
			t.Errorf("filter %+v: count %d list %d, want %d (%v)", tc.f, n, len(list), tc.want, err)
		}
	}
}

func testImport(t *testing.T, st store.Store) {
	loaded(t, st)
	t0 := time.UnixMilli(1_740_000_000_000)
	var batch []store.CaseWithTimeline
	for i := 1; i <= 10; i++ {
		c, ev := NewCase(i, t0)
		c.Status, c.Version, c.ClosedAt = model.StateClosed, 2, t0.Add(time.Hour)
		ev.Seq = 1
		closeEv := model.Event{Seq: 2, At: t0.Add(time.Hour), ActorName: "监督员", Role: model.RoleSupervisor, Action: "verify", FromState: model.StateReported, ToState: model.StateClosed, Result: "pass"}
		batch = append(batch, store.CaseWithTimeline{Case: c, Events: []model.Event{ev, closeEv}})
	}
	if err := st.ImportCases(ctx(), batch); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.CountCases(ctx(), model.CaseFilter{Status: []model.State{model.StateClosed}}); n != 10 {
		t.Fatalf("%d closed cases imported, want 10", n)
	}
	if tl, _ := st.Timeline(ctx(), batch[3].Case.ID); len(tl) != 2 || tl[1].Result != "pass" {
		t.Fatalf("imported timeline = %+v", tl)
	}
	// A batch with one bad case imports nothing.
	c, ev := NewCase(1, t0) // receipt already taken
	ok, ev2 := NewCase(50, t0)
	err := st.ImportCases(ctx(), []store.CaseWithTimeline{{Case: ok, Events: []model.Event{ev2}}, {Case: c, Events: []model.Event{ev}}})
	if err == nil {
		t.Fatal("import with a duplicate receipt succeeded")
	}
	if n, _ := st.CountCases(ctx(), model.CaseFilter{}); n != 10 {
		t.Fatalf("failed import left %d cases, want 10", n)
	}
	// An open case comes with its running clock's timers.
	open, oev := NewCase(60, t0)
	oev.Seq = 1
	due := t0.Add(72 * time.Hour)
	timers := []store.TimerSpec{{Clock: "handling", Kind: store.TimerWarn, FireAt: t0.Add(48 * time.Hour)}, {Clock: "handling", Kind: store.TimerDue, FireAt: due}}
	if err := st.ImportCases(ctx(), []store.CaseWithTimeline{{Case: open, Events: []model.Event{oev}, Timers: timers}}); err != nil {
		t.Fatal(err)
	}
	var id int64
	if cs, _ := st.ListCases(ctx(), model.CaseFilter{Limit: 1}); len(cs) == 1 {
		id = cs[0].ID
	}
	got, err := st.CaseTimers(ctx(), id)
	if err != nil || len(got) != 2 || !got[1].FireAt.Equal(due) && !got[0].FireAt.Equal(due) {
		t.Fatalf("imported case's timers = %+v, %v", got, err)
	}
	if ts, _ := st.DueTimers(ctx(), due, 10); len(ts) != 2 {
		t.Fatalf("due timers at the due time: %+v", ts)
	}
}

func testAttachments(t *testing.T, st store.Store) {
	loaded(t, st)
	t0 := time.UnixMilli(1_750_000_000_000)
	a := model.Attachment{ID: "ab" + fmt.Sprintf("%062d", 1), Mime: "image/png", Size: 120, Name: "after.png", CreatedAt: t0}
	if err := st.PutAttachment(ctx(), a); err != nil {
		t.Fatal(err)
	}
	if err := st.PutAttachment(ctx(), a); err != nil {
		t.Fatalf("the same content twice: %v", err)
	}
	if got, err := st.Attachment(ctx(), a.ID); err != nil || got != a {
		t.Fatalf("Attachment = %+v, %v", got, err)
	}
	if _, err := st.Attachment(ctx(), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing attachment: %v", err)
	}
	c, ev := NewCase(1, t0)
	ev.Attachments = []string{a.ID}
	if err := st.CreateCase(ctx(), &c, &ev, ""); err != nil {
		t.Fatal(err)
	}
	if ids, err := st.CaseAttachments(ctx(), c.ID); err != nil || len(ids) != 1 || ids[0] != a.ID {
		t.Fatalf("CaseAttachments = %v, %v", ids, err)
	}
	if tl, _ := st.Timeline(ctx(), c.ID); len(tl[0].Attachments) != 1 {
		t.Fatalf("event attachments = %v", tl[0].Attachments)
	}
	// The reverse: the cases linking a file (read access follows them).
	if ids, err := st.AttachmentCases(ctx(), a.ID); err != nil || len(ids) != 1 || ids[0] != c.ID {
		t.Fatalf("AttachmentCases = %v, %v", ids, err)
	}
	b := model.Attachment{ID: "ab" + fmt.Sprintf("%062d", 2), Mime: "image/png", Size: 1, CreatedAt: t0}
	if err := st.PutAttachment(ctx(), b); err != nil {
		t.Fatal(err)
	}
	if ids, err := st.AttachmentCases(ctx(), b.ID); err != nil || len(ids) != 0 {
		t.Fatalf("AttachmentCases of an unlinked file = %v, %v", ids, err)
	}
	if ids, err := st.AttachmentSupervisions(ctx(), b.ID); err != nil || len(ids) != 0 {
		t.Fatalf("AttachmentSupervisions of an unlinked file = %v, %v", ids, err)
	}
	// Every logged-in account that sends the same bytes is an uploader.
	u1, u2 := loadedUser(t, st, 0), loadedUser(t, st, 1)
	for _, by := range []int64{u1, u2} {
		again := b
		again.CreatedBy = by
		if err := st.PutAttachment(ctx(), again); err != nil {
			t.Fatal(err)
		}
	}
	for _, by := range []int64{u1, u2} {
		if ok, err := st.AttachmentUploadedBy(ctx(), b.ID, by); err != nil || !ok {
			t.Fatalf("AttachmentUploadedBy(%d) = %v, %v", by, ok, err)
		}
	}
	if ok, err := st.AttachmentUploadedBy(ctx(), a.ID, u1); err != nil || ok {
		t.Fatalf("AttachmentUploadedBy of a file the account did not send = %v, %v", ok, err)
	}
}

// loadedUser returns the id of the i-th account of the loaded data, made
// if there are not enough.
func loadedUser(t *testing.T, st store.Store, i int) int64 {
	t.Helper()
	users, err := st.ListUsers(ctx())
	if err != nil {
		t.Fatal(err)
	}
	if i < len(users) {
		return users[i].ID
	}
	orgs, _ := st.ListOrgUnits(ctx())
	u := model.User{Username: fmt.Sprintf("uploader%d", i), DisplayName: "上传者", Role: model.RoleOperator, OrgID: orgs[0].ID, PasswordHash: "x"}
	if err := st.CreateUser(ctx(), &u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func testSettings(t *testing.T, st store.Store) {
	if _, err := st.Setting(ctx(), "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing setting: %v", err)
	}
	st.SetSetting(ctx(), "k", "一")
	st.SetSetting(ctx(), "k", "二")
	if v, err := st.Setting(ctx(), "k"); err != nil || v != "二" {
		t.Fatalf("Setting = %q, %v", v, err)
	}
}

func testOutbox(t *testing.T, st store.Store) {
	loaded(t, st)
	t0 := time.UnixMilli(1_750_000_000_000)
	var ids []int64
	for i := 1; i <= 3; i++ {
		c, ev := NewCase(i, t0.Add(time.Duration(i)*time.Second))
		if err := st.CreateCase(ctx(), &c, &ev, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
		if i == 2 {
			next := c
			next.Status, next.Version = model.StateRegistered, 2
			e := model.Event{At: t0.Add(time.Minute), ActorName: "坐席", Role: model.RoleOperator, Action: "accept", FromState: model.StateReported, ToState: model.StateRegistered}
			if err := st.UpdateCase(ctx(), &next, 1, &e); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, e.ID)
		}
	}
	// Imported history is not news: it never enters the outbox.
	old, oldEv := NewCase(99, t0)
	st.ImportCases(ctx(), []store.CaseWithTimeline{{Case: old, Events: []model.Event{oldEv}}})

	pending, err := st.PendingEvents(ctx(), "nats", 10)
	if err != nil || len(pending) != 4 {
		t.Fatalf("PendingEvents = %d, %v; want 4", len(pending), err)
	}
	for i, p := range pending {
		if p.Event.ID != ids[i] || p.CaseType != "city_case" || p.Receipt == "" {
			t.Fatalf("pending[%d] = %+v, want event %d", i, p, ids[i])
		}
	}
	if pending[2].Event.Action != "accept" || pending[2].Status != model.StateRegistered {
		t.Fatalf("pending[2] = %+v", pending[2])
	}
	if err := st.MarkDelivered(ctx(), "nats", ids[:2], t0); err != nil {
		t.Fatal(err)
	}
	st.MarkDelivered(ctx(), "nats", ids[:1], t0) // twice is harmless
	if p, _ := st.PendingEvents(ctx(), "nats", 10); len(p) != 2 || p[0].Event.ID != ids[2] {
		t.Fatalf("after delivery: %+v", p)
	}
	if p, _ := st.PendingEvents(ctx(), "webhook", 10); len(p) != 4 {
		t.Fatalf("another sink sees %d pending, want 4", len(p))
	}
	// Pruning keeps anything a sink still owes.
	n, err := st.PruneOutbox(ctx(), []string{"nats", "webhook"}, t0.Add(time.Hour))
	if err != nil || n != 0 {
		t.Fatalf("prune with webhook behind: %d, %v", n, err)
	}
	n, err = st.PruneOutbox(ctx(), []string{"nats"}, t0.Add(time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("prune of delivered: %d, %v; want 2", n, err)
	}
	if p, _ := st.PendingEvents(ctx(), "nats", 10); len(p) != 2 {
		t.Fatalf("prune removed pending events: %d left", len(p))
	}
}

// sameCase compares cases, treating a nil and an empty Fields map alike.
func sameCase(a, b model.Case) bool {
	if len(a.Fields) == 0 && len(b.Fields) == 0 {
		a.Fields, b.Fields = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// testAudit appends from many goroutines at once: the chain must stay one
// line with no gaps, and verify.
func testAudit(t *testing.T, st store.Store) {
	if seq, h, err := st.AuditHead(ctx()); err != nil || seq != 0 || h != audit.Genesis {
		t.Fatalf("empty head = %d %q %v", seq, h, err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				e := audit.Entry{At: time.Now(), UserID: int64(g), Username: "用户", Role: "operator", Action: "POST /api/v1/cases", Target: fmt.Sprint(i), Result: "201"}
				if err := st.AppendAudit(ctx(), &e); err != nil {
					t.Errorf("append: %v", err)
					return
				}
				if e.Seq == 0 || e.Hash == "" {
					t.Errorf("entry not sealed: %+v", e)
				}
			}
		})
	}
	wg.Wait()
	n, err := audit.VerifyAll(ctx(), st)
	if err != nil || n != 40 {
		t.Fatalf("VerifyAll = %d, %v; want 40 entries", n, err)
	}
	entries, _ := st.AuditEntries(ctx(), 38, 10)
	if len(entries) != 2 || entries[0].Seq != 39 || entries[1].PrevHash != entries[0].Hash {
		t.Fatalf("AuditEntries after 38 = %+v", entries)
	}
	// Verifying a chain that is being appended to: each verification sees
	// the chain and its head as they were at one moment, never a head
	// behind the entries (which would read as a cut chain).
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			e := audit.Entry{At: time.Now(), Username: "用户", Role: "operator", Action: "POST /api/v1/cases", Target: fmt.Sprint(i), Result: "201"}
			if err := st.AppendAudit(ctx(), &e); err != nil {
				t.Errorf("append: %v", err)
				return
			}
		}
	})
	for range 30 {
		if n, err := audit.VerifyAll(ctx(), st); err != nil || n < 40 {
			close(stop)
			wg.Wait()
			t.Fatalf("VerifyAll during appends = %d, %v", n, err)
		}
	}
	close(stop)
	wg.Wait()
}

// testAuditWithWrite: a write request's entry commits with its write. A
// create and an update claim the armed entry, name their case, and after
// chaining it is on the chain once; a failed write gives the entry back
// (nothing pending), and a second write of the same request adds none.
func testAuditWithWrite(t *testing.T, st store.Store) {
	loaded(t, st)
	t0 := time.UnixMilli(1_750_000_000_000)
	armed := func() (context.Context, *audit.Recorder) {
		c, rec := audit.WithRecorder(ctx())
		rec.UserID, rec.Username, rec.Role = 7, "受理员", "operator"
		rec.Arm(audit.Arm{Action: func() string { return "POST /api/v1/cases" }, Path: "/api/v1/cases", IP: "127.0.0.9", Alg: "sha256", Now: func() time.Time { return t0 }})
		return c, rec
	}
	// A failing create (unknown attachment) leaves nothing pending.
	fctx, frec := armed()
	bad, bev := NewCase(9, t0)
	bev.Attachments = []string{"no-such-attachment"}
	if err := st.CreateCase(fctx, &bad, &bev, ""); err == nil {
		t.Fatal("create with a missing attachment accepted")
	}
	if frec.Claimed() {
		t.Fatal("a failed create kept the request's audit entry")
	}
	cctx, rec := armed()
	c, ev := NewCase(1, t0)
	if err := st.CreateCase(cctx, &c, &ev, "audit-key"); err != nil {
		t.Fatal(err)
	}
	if !rec.Claimed() {
		t.Fatal("the create did not carry the request's audit entry")
	}
	// The same request writing again adds no second entry.
	c.Version++
	c.UpdatedAt = t0.Add(time.Minute)
	if err := st.UpdateCase(cctx, &c, c.Version-1, &model.Event{At: c.UpdatedAt, ActorName: "受理员", Role: model.RoleOperator, Action: "accept"}); err != nil {
		t.Fatal(err)
	}
	// An update in a request of its own names the case.
	uctx, urec := armed()
	c.Version++
	if err := st.UpdateCase(uctx, &c, c.Version-1, &model.Event{At: c.UpdatedAt, ActorName: "受理员", Role: model.RoleOperator, Action: "dispatch"}); err != nil || !urec.Claimed() {
		t.Fatalf("update: %v, claimed %v", err, urec.Claimed())
	}
	// A replayed create writes nothing and keeps no entry.
	rctx, rrec := armed()
	again, aev := NewCase(2, t0)
	if err := st.CreateCase(rctx, &again, &aev, "audit-key"); !errors.Is(err, store.ErrConflict) || rrec.Claimed() {
		t.Fatalf("replay: %v, claimed %v", err, rrec.Claimed())
	}
	// A write outside any request (a timer, an import) carries none.
	other, oev := NewCase(3, t0)
	if err := st.CreateCase(ctx(), &other, &oev, ""); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := st.ChainPendingAudit(ctx(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if n, err := st.PendingAuditCount(ctx()); err != nil || n != 0 {
		t.Fatalf("pending after chaining = %d, %v", n, err)
	}
	n, err := audit.VerifyAll(ctx(), st)
	if err != nil || n != 2 {
		t.Fatalf("VerifyAll = %d, %v; want the create's and the update's entry", n, err)
	}
	entries, _ := st.AuditEntries(ctx(), 0, 10)
	want := "case:" + fmt.Sprint(c.ID)
	for _, e := range entries {
		if e.Target != want || e.Username != "受理员" || e.IP != "127.0.0.9" || e.Action != "POST /api/v1/cases" || e.Result != "ok" || !e.At.Equal(t0) {
			t.Errorf("entry %+v, want target %s by 受理员", e, want)
		}
	}
}

// testCategories: a category added and changed keeps every state it had,
// with who set it and when; the code stays unique; the reference data's
// categories get their version 1 on their first change; every write
// bumps the geography generation so other nodes reload.
func testCategories(t *testing.T, st store.Store) {
	loaded(t, st)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	gen0, _ := st.GeoGeneration(ctx())
	c := model.Category{ParentID: 1, Code: "0102", Kind: model.CategoryComponent, Name: "污水井盖", CaseType: "city_case",
		DefaultUnitID: 5, Deadline: model.DeadlineRule{Kind: model.DeadlineWorkingHours, Amount: 8}, Public: true}
	if err := st.CreateCategory(ctx(), &c, t0, 1); err != nil || c.ID == 0 {
		t.Fatalf("CreateCategory = %v (id %d)", err, c.ID)
	}
	dup := c
	dup.ID = 0
	if err := st.CreateCategory(ctx(), &dup, t0, 1); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second category with code 0102: %v", err)
	}
	if gen, _ := st.GeoGeneration(ctx()); gen <= gen0 {
		t.Fatalf("generation %d after a new category, was %d", gen, gen0)
	}
	// A change: the code, kind and case type given are ignored.
	ch := c
	ch.Name, ch.Deadline, ch.Public, ch.DefaultUnitID = "污水井盖（含雨水）", model.DeadlineRule{Kind: model.DeadlineUrgentHours, Amount: 4}, false, 0
	ch.Code, ch.CaseType = "9999", "rectification"
	t1 := t0.Add(time.Hour)
	if err := st.UpdateCategory(ctx(), ch, t1, 2); err != nil {
		t.Fatal(err)
	}
	cats, _ := st.ListCategories(ctx())
	var got model.Category
	for _, x := range cats {
		if x.ID == c.ID {
			got = x
		}
	}
	want := ch
	want.Code, want.CaseType = c.Code, c.CaseType
	if got != want {
		t.Fatalf("after the change: %+v, want %+v", got, want)
	}
	vs, err := st.CategoryVersions(ctx(), c.ID)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions = %+v, %v", vs, err)
	}
	if vs[0].Version != 1 || vs[0].Category != c || !vs[0].ValidFrom.Equal(t0) || !vs[0].ValidTo.Equal(t1) || vs[0].ChangedBy != 1 {
		t.Fatalf("version 1 = %+v", vs[0])
	}
	if vs[1].Version != 2 || vs[1].Category != want || !vs[1].ValidFrom.Equal(t1) || !vs[1].ValidTo.IsZero() || vs[1].ChangedBy != 2 {
		t.Fatalf("version 2 = %+v", vs[1])
	}
	// A category of the reference data: no history until its first change,
	// then what it was (valid from the beginning) and what it is.
	f := Fixture()
	if vs, _ := st.CategoryVersions(ctx(), 2); len(vs) != 0 {
		t.Fatalf("a loaded category has versions: %+v", vs)
	}
	leaf := f.Categories[1]
	leaf.Deadline.Amount = 5
	if err := st.UpdateCategory(ctx(), leaf, t1, 1); err != nil {
		t.Fatal(err)
	}
	vs, _ = st.CategoryVersions(ctx(), 2)
	if len(vs) != 2 || vs[0].Category != f.Categories[1] || !vs[0].ValidFrom.IsZero() || !vs[0].ValidTo.Equal(t1) || vs[1].Deadline.Amount != 5 {
		t.Fatalf("loaded category's versions = %+v", vs)
	}
	if err := st.UpdateCategory(ctx(), model.Category{ID: 999, Name: "x"}, t1, 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("changing an unknown category: %v", err)
	}
}

// testRates: hits count per bucket and minute, concurrently without loss,
// and old minutes are pruned.
func testRates(t *testing.T, st store.Store) {
	m0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	m1 := m0.Add(time.Minute)
	for i := 1; i <= 3; i++ {
		if n, err := st.HitRate(ctx(), "key 1", m0); err != nil || n != i {
			t.Fatalf("hit %d = %d, %v", i, n, err)
		}
	}
	if n, _ := st.HitRate(ctx(), "key 2", m0); n != 1 {
		t.Fatalf("another bucket starts at %d", n)
	}
	if n, _ := st.HitRate(ctx(), "key 1", m1); n != 1 {
		t.Fatalf("the next minute starts at %d", n)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := st.HitRate(ctx(), "key 3", m1); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n, _ := st.HitRate(ctx(), "key 3", m1); n != 21 {
		t.Fatalf("20 concurrent hits and one more counted %d", n)
	}
	if n, err := st.PruneRates(ctx(), m1); err != nil || n != 2 {
		t.Fatalf("pruned %d minutes before %v (%v), want 2", n, m1, err)
	}
	if n, _ := st.HitRate(ctx(), "key 1", m0); n != 1 {
		t.Fatalf("a pruned minute counts on from %d", n)
	}
}

// testLoginCounts: the login throttle's counts read as zero until
// written, come back in the order asked, are one count under concurrent
// read-and-increment (no lost update: the rows are locked), are forgotten
// by prefix (a name from every address, LIKE's own characters taken
// literally), and pruned only once leaked away and past their hold.
func testLoginCounts(t *testing.T, st store.Store) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	read := func(keys ...string) []store.LoginCount {
		t.Helper()
		var got []store.LoginCount
		if err := st.UpdateLoginCounts(ctx(), keys, func(cur []store.LoginCount) []store.LoginCount { got = cur; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	pair, addr := "pair:a1:10.0.0.1", "addr:10.0.0.1"
	if got := read(pair, addr); len(got) != 2 || got[0] != (store.LoginCount{}) || got[1] != (store.LoginCount{}) {
		t.Fatalf("new keys read %+v, want zero counts", got)
	}
	if err := st.UpdateLoginCounts(ctx(), []string{pair, addr}, func(cur []store.LoginCount) []store.LoginCount {
		return []store.LoginCount{{Level: 2.5, At: t0}, {Level: 7, At: t0.Add(time.Second)}}
	}); err != nil {
		t.Fatal(err)
	}
	if got := read(addr, pair); got[0].Level != 7 || !got[0].At.Equal(t0.Add(time.Second)) || got[1].Level != 2.5 || !got[1].At.Equal(t0) {
		t.Fatalf("counts read back (address, pair) = %+v", got)
	}
	if err := st.UpdateLoginCounts(ctx(), []string{pair, pair}, func(cur []store.LoginCount) []store.LoginCount { return nil }); err == nil {
		t.Fatalf("a key given twice was accepted")
	}

	// Concurrent read-and-increment: each attempt sees the one before.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := st.UpdateLoginCounts(ctx(), []string{"pair:b2:10.0.0.2", "addr:10.0.0.2"}, func(cur []store.LoginCount) []store.LoginCount {
				return []store.LoginCount{{Level: cur[0].Level + 1, At: t0}, {Level: cur[1].Level + 1, At: t0}}
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := read("addr:10.0.0.2", "pair:b2:10.0.0.2"); got[0].Level != 20 || got[1].Level != 20 {
		t.Fatalf("20 concurrent increments counted %+v", got)
	}

	// Forgetting a name: its pairs from every address, nothing else.
	for _, k := range []string{"pair:a1:10.0.0.9", "pair:a10:10.0.0.1", "pair:ab:10.0.0.1"} {
		if err := st.UpdateLoginCounts(ctx(), []string{k}, func([]store.LoginCount) []store.LoginCount {
			return []store.LoginCount{{Level: 1, At: t0}}
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := st.ForgetLoginCounts(ctx(), "pair:a1:"); err != nil || n != 2 {
		t.Fatalf("forgot %d counts of a1 (%v), want its 2 pairs", n, err)
	}
	if n, _ := st.ForgetLoginCounts(ctx(), "pair:a_"); n != 0 {
		t.Fatalf("_ in a prefix matched %d keys", n)
	}
	if got := read("pair:a10:10.0.0.1", "pair:ab:10.0.0.1", addr); got[0].Level != 1 || got[1].Level != 1 || got[2].Level != 7 {
		t.Fatalf("forgetting a1 touched others: %+v", got)
	}

	// Pruning: "addr:10.0.0.1" (7 at t0+1s) leaks away at t0+1s+7 min
	// with a minute's leak, "addr:10.0.0.2" (20 at t0) at t0+20 min; the
	// pairs are another prefix.
	if n, err := st.PruneLoginCounts(ctx(), "addr:", time.Minute, 15*time.Minute, t0.Add(7*time.Minute)); err != nil || n != 0 {
		t.Fatalf("pruned %d before the count leaked away (%v)", n, err)
	}
	if n, _ := st.PruneLoginCounts(ctx(), "addr:", time.Second, 15*time.Minute, t0.Add(10*time.Minute)); n != 0 {
		t.Fatalf("pruned %d counts within their hold", n)
	}
	if n, _ := st.PruneLoginCounts(ctx(), "addr:", time.Minute, 15*time.Minute, t0.Add(17*time.Minute)); n != 1 {
		t.Fatalf("pruned %d address counts at 17 min, want 1 (10.0.0.1)", n)
	}
	if n, _ := st.PruneLoginCounts(ctx(), "addr:", time.Minute, 15*time.Minute, t0.Add(20*time.Minute)); n != 1 {
		t.Fatalf("pruned %d address counts at 20 min, want 1 (10.0.0.2)", n)
	}
	if got := read("pair:a10:10.0.0.1"); got[0].Level != 1 {
		t.Fatalf("pruning addresses touched a pair: %+v", got)
	}
}
