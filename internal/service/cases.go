package service

import (
	"context"
	"crypto/rand"
	"errors"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// Limits on free text, in characters.
const (
	MaxDescription = 4000
	MaxAddress     = 200
	MaxName        = 50
	MaxNote        = 2000
)

// CreateCase is the input of a new case.
type CreateCase struct {
	Type        string
	Category    string // category code
	CategoryID  int64  // or its id
	Description string
	Lat, Lng    *float64
	Coord       string // wgs84 (default), gcj02, bd09
	Address     string
	Channel     model.Channel
	Reporter    model.Reporter
	Anonymous   bool
	// Fields are the case type's own fields (see its definition).
	Fields map[string]any
	// IdempotencyKey makes a retried create return the first case.
	IdempotencyKey string
	// ObservedAt is when the reporter saw the problem, when that is
	// earlier than the filing: a grid worker's report queued offline is
	// filed when the signal returns, but it happened at capture time. It
	// is kept in the first timeline entry's data ("observed_at"); zero
	// means the filing time.
	ObservedAt time.Time
}

var phoneRe = regexp.MustCompile(`^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$`)

// CreateCase validates, routes and stores a new case with its first
// timeline entry. actor is the zero User for a citizen without an account.
// It reports replay=true when the idempotency key found an earlier case.
func (s *Service) CreateCase(ctx context.Context, actor model.User, in CreateCase) (c model.Case, replay bool, err error) {
	ref := s.Ref()
	if in.IdempotencyKey != "" {
		if id, err := s.store.CaseIDByIdempotencyKey(ctx, scopedKey(actor, in.IdempotencyKey)); err == nil {
			c, err := s.store.Case(ctx, id)
			return c, true, err
		}
	}
	v := &ValidationError{}
	typ := in.Type
	if typ == "" {
		typ = "city_case"
	}
	def, ok := s.workflows.Latest(typ)
	if !ok {
		return c, false, Invalid("type", "field.unknown_type")
	}
	if !def.MayCreate(actor.Role) || !def.Visible(orCitizen(actor.Role)) {
		if actor.ID == 0 {
			return c, false, ErrUnauthorized
		}
		return c, false, ErrForbidden
	}
	var cat model.Category
	catPresence := def.CategoryPresence()
	switch {
	case catPresence == workflow.None && (in.CategoryID != 0 || in.Category != ""):
		v.add("category", "field.not_settable")
	case in.CategoryID != 0:
		if cat, ok = ref.Categories[in.CategoryID]; !ok {
			v.add("category", "field.unknown_category")
		}
	case in.Category != "":
		if cat, ok = ref.ByCode[in.Category]; !ok {
			v.add("category", "field.unknown_category")
		}
	case catPresence == workflow.Required:
		v.add("category", "field.required")
	}
	if cat.ID != 0 {
		if !ref.IsLeaf(cat.ID) {
			v.add("category", "field.category_not_leaf")
		} else if def.CategoryType != "" && cat.CaseType != def.CategoryType {
			v.add("category", "field.category_wrong_type")
		}
	}
	desc := strings.TrimSpace(in.Description)
	switch {
	case desc == "":
		v.add("description", "field.required")
	case utf8.RuneCountInString(desc) > MaxDescription:
		v.add("description", "field.too_long", MaxDescription)
	}
	sys, cerr := geo.ParseCoordSys(in.Coord)
	if cerr != nil {
		v.add("coord", "field.unknown_coord")
	}
	hasPlace := in.Lat != nil || in.Lng != nil || def.LocationPresence() == workflow.Required
	if hasPlace && def.LocationPresence() == workflow.None {
		v.add("lat", "field.not_settable")
		hasPlace = false
	}
	if hasPlace {
		switch {
		case in.Lat == nil:
			v.add("lat", "field.required")
		case math.IsNaN(*in.Lat) || *in.Lat < -90 || *in.Lat > 90:
			v.add("lat", "field.lat_range")
		}
		switch {
		case in.Lng == nil:
			v.add("lng", "field.required")
		case math.IsNaN(*in.Lng) || *in.Lng < -180 || *in.Lng > 180:
			v.add("lng", "field.lng_range")
		}
	}
	if utf8.RuneCountInString(in.Address) > MaxAddress {
		v.add("address", "field.too_long", MaxAddress)
	}
	channel := in.Channel
	if channel == "" {
		channel = defaultChannel(actor.Role)
	}
	if !model.ValidChannel(channel) {
		v.add("channel", "field.unknown_channel")
	}
	in.Reporter.Name = strings.TrimSpace(in.Reporter.Name)
	in.Reporter.Phone = strings.TrimSpace(in.Reporter.Phone)
	if utf8.RuneCountInString(in.Reporter.Name) > MaxName {
		v.add("reporter.name", "field.too_long", MaxName)
	}
	if in.Reporter.Phone != "" && !phoneRe.MatchString(in.Reporter.Phone) {
		v.add("reporter.phone", "field.phone_format")
	}
	fields := s.createFields(def, in.Fields, v)
	checkObserved(v, in.ObservedAt, s.now())
	if err := v.err(); err != nil {
		return c, false, err
	}
	var lat, lng float64
	var place Placement
	switch {
	case hasPlace:
		lat, lng = geo.ToWGS84(*in.Lat, *in.Lng, sys)
		place = ref.Place(lat, lng, cat.ID, s.toleranceM)
	case cat.DefaultUnitID != 0:
		place = Placement{UnitID: cat.DefaultUnitID, How: "category"}
	case actor.ID != 0:
		// No place and no category unit: the creating unit keeps the case
		// (a hospital's referral, the commission's clue).
		place = Placement{UnitID: actor.OrgID, How: "creator"}
	default:
		place = Placement{UnitID: ref.Root.ID, How: "territorial"}
	}
	now := s.now().Truncate(time.Millisecond) // what the timeline keeps, so a replay matches
	role := orCitizen(actor.Role)
	c = model.Case{
		Type: def.Type, DefVersion: def.Version, Channel: channel, CategoryID: cat.ID, Description: desc,
		Lat: lat, Lng: lng, Address: strings.TrimSpace(in.Address),
		GridID: place.GridID, CommunityID: place.CommunityID, StreetID: place.StreetID, UnitID: place.UnitID, Routing: place.How,
		Reporter: in.Reporter, Anonymous: in.Anonymous, Status: model.State(def.Initial), Version: 1,
		Fields: fields, Flow: model.Flow{OriginUnit: place.UnitID},
		CreatedBy: actor.ID, CreatedAt: now, UpdatedAt: now,
	}
	ev := model.Event{At: now, ActorID: actor.ID, ActorName: actorName(actor), Role: role, Action: "create", ToState: c.Status, UnitID: c.UnitID}
	if len(fields) > 0 {
		ev.Data = map[string]any{"fields": fields}
	}
	if !in.ObservedAt.IsZero() {
		ev.Data = withData(ev.Data, "observed_at", observedText(in.ObservedAt))
	}
	s.startClocks(def, "create", &c, &ev, now)
	timers := timerSpecs(def, c)
	var key string
	if in.IdempotencyKey != "" {
		key = scopedKey(actor, in.IdempotencyKey)
	}
	for attempt := 0; ; attempt++ {
		c.Receipt = NewReceipt()
		err = s.store.CreateCaseTimed(ctx, &c, &ev, key, timers)
		if errors.Is(err, store.ErrConflict) && key != "" && c.ID != 0 {
			c, err := s.store.Case(ctx, c.ID)
			return c, true, err
		}
		if err == nil || attempt == 2 {
			break
		}
		// A receipt collision is astronomically rare; anything else is real.
		if !strings.Contains(err.Error(), "receipt") {
			break
		}
	}
	if err == nil {
		// Keep how the case was placed (rule version, co-units, component,
		// grid version) so its routing can be explained later.
		s.RecordPlacement(ctx, c, place)
	}
	return c, false, err
}

// scopedKey keeps one client's idempotency keys apart from another's.
func scopedKey(actor model.User, key string) string {
	if actor.ID == 0 {
		return "public:" + key
	}
	return "user:" + itoa(actor.ID) + ":" + key
}

func defaultChannel(r model.Role) model.Channel {
	switch r {
	case "", model.RoleCitizen:
		return model.ChannelApp
	case model.RoleGridWorker:
		return model.ChannelPatrol
	}
	return model.ChannelHotline
}

func actorName(u model.User) string {
	if u.ID == 0 {
		return "群众"
	}
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Username
}

// Receipt codes use Crockford's base32 (no I, L, O, U) so they can be read
// out on the phone; 12 characters carry 60 random bits, enough that codes
// cannot be guessed to look at other people's cases.
const receiptAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewReceipt returns a fresh random receipt code.
func NewReceipt() string {
	b := make([]byte, 12)
	rand.Read(b)
	for i := range b {
		b[i] = receiptAlphabet[b[i]&31]
	}
	return string(b)
}

// NormalizeReceipt accepts what a citizen types: lower case, dashes,
// spaces, and O/I/L misread for 0/1/1.
func NormalizeReceipt(s string) string {
	s = strings.ToUpper(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '-', ' ':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ActionInput is what an action carries.
type ActionInput struct {
	Version  int
	Note     string
	UnitID   int64
	Result   string
	Evidence []string
	MasterID int64
	// Days of an extension request (延期).
	Days int
	// OwnerID is the leader who owns the case (包案); 0 means the actor.
	OwnerID int64
	// Fields are case fields the action sets (see its definition).
	Fields map[string]any
	// ObservedAt is when the actor saw what the action records (a 核查
	// done offline and sent later); zero means now. Kept in the entry's
	// data as "observed_at".
	ObservedAt time.Time
	// ClientKey is the client's idempotency key for this action, kept in
	// the entry's data ("client_key") so that ActOnce recognises a retry
	// of an action that was already applied.
	ClientKey string
}

// Act applies a workflow action to a case for actor and stores the result,
// with the case's timers brought in line in the same transaction.
func (s *Service) Act(ctx context.Context, actor model.User, caseID int64, action string, in ActionInput) (model.Case, error) {
	c, err := s.store.Case(ctx, caseID)
	if errors.Is(err, store.ErrNotFound) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, err
	}
	if !s.CanSee(actor, c) {
		return c, ErrNotFound
	}
	next, ev, err := s.Apply(actor, c, action, in, s.now().Truncate(time.Millisecond), s.lookups(ctx, actor))
	if err != nil {
		return c, err
	}
	def, _ := s.workflows.Get(next.Type, next.DefVersion)
	if err := s.store.UpdateCaseTimed(ctx, &next, c.Version, &ev, timerSpecs(def, next)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return c, ErrConflict
		}
		return c, err
	}
	return next, nil
}

// lookups answers Apply's questions from the store, for actor.
func (s *Service) lookups(ctx context.Context, actor model.User) Lookups {
	return Lookups{
		MasterOK: func(id int64) bool {
			m, err := s.store.Case(ctx, id)
			return err == nil && m.Status != model.StateMerged
		},
		AttachmentOK: func(id string) bool { return s.mayLinkAttachment(ctx, actor, id) },
		UserOK: func(id int64) (model.User, bool) {
			u, err := s.store.UserByID(ctx, id)
			return u, err == nil
		},
	}
}

// Lookups answers the questions Apply cannot answer from the case alone.
// A nil function answers no.
type Lookups struct {
	MasterOK     func(id int64) bool               // the case exists and may be merged into
	AttachmentOK func(id string) bool              // the attachment exists and the actor may cite it
	UserOK       func(id int64) (model.User, bool) // the user exists (an owning leader)
}

// Apply computes the effect of an action on c at time now without writing
// anything: the case after it and the timeline entry recording it. Act
// stores the result; the demo generator and tests replay histories with it.
// The rules come from the case's definition version: who may act, from
// which state, which fields the action sets or requires, its side-path
// rule (退单 within 2 working days, one extension ≤ 10 days ...), which
// clocks it starts.
func (s *Service) Apply(actor model.User, c model.Case, action string, in ActionInput, now time.Time, look Lookups) (model.Case, model.Event, error) {
	var ev model.Event
	def, ok := s.workflows.Get(c.Type, c.DefVersion)
	if !ok {
		return c, ev, errors.New("workflow definition " + c.Type + " missing")
	}
	a, ok := def.Action(action)
	if !ok {
		return c, ev, ErrUnknownAction
	}
	if !a.Allows(actor.Role) || !def.Visible(actor.Role) || !s.inScope(actor, c) {
		return c, ev, ErrForbidden
	}
	v := &ValidationError{}
	if in.Version <= 0 {
		v.add("version", "field.version_required")
	} else if in.Version != c.Version {
		return c, ev, ErrConflict
	}
	to, terr := def.Transition(c.Status, action, actor.Role, in.Result)
	switch {
	case errors.Is(terr, workflow.ErrState):
		return c, ev, ErrInvalidState
	case errors.Is(terr, workflow.ErrResult):
		if in.Result == "" {
			v.add("result", "field.required")
		} else {
			v.add("result", "field.bad_result")
		}
	case terr != nil:
		return c, ev, terr
	}
	note := strings.TrimSpace(in.Note)
	if a.Needs("note") && note == "" {
		v.add("note", "field.required")
	}
	if utf8.RuneCountInString(note) > MaxNote {
		v.add("note", "field.too_long", MaxNote)
	}
	if a.Needs("evidence") && len(in.Evidence) == 0 {
		v.add("evidence", "field.required")
	}
	for _, id := range in.Evidence {
		if look.AttachmentOK == nil || !look.AttachmentOK(id) {
			v.add("evidence", "field.unknown_attachment")
		}
	}
	next := cloneCase(c)
	ev = model.Event{At: now, ActorID: actor.ID, ActorName: actorName(actor), Role: actor.Role, Action: action,
		FromState: c.Status, Note: note, Result: in.Result, Attachments: in.Evidence}
	if actor.Role == model.RoleUnit {
		ev.UnitID = c.UnitID
	}
	if next.Fields == nil {
		next.Fields = map[string]any{}
	}
	if set := s.actionFields(def, a, next.Fields, in.Fields, v); set != nil {
		ev.Data = withData(ev.Data, "fields", set)
	}
	checkObserved(v, in.ObservedAt, now)
	if !in.ObservedAt.IsZero() {
		ev.Data = withData(ev.Data, "observed_at", observedText(in.ObservedAt))
	}
	if in.ClientKey != "" {
		ev.Data = withData(ev.Data, "client_key", in.ClientKey)
	}
	s.applyEffect(def, a, actor, c, &next, &ev, in, now, look, v)
	if a.ResultField != "" && in.Result != "" {
		next.Fields[a.ResultField] = in.Result
	}
	if t := a.Timely; t != nil {
		if st := c.Flow.Clocks[t.Clock]; !st.Due.IsZero() {
			next.Fields[t.Field] = !now.After(st.Due)
		}
	}
	for _, f := range a.Requires {
		if _, isField := def.Field(f); isField && next.Fields[f] == nil {
			v.add("fields."+f, "field.required")
		}
	}
	if err := v.err(); err != nil {
		return c, ev, err
	}
	if len(next.Fields) == 0 {
		next.Fields = nil
	}
	next.Status, next.Version, next.UpdatedAt = to, c.Version+1, now
	ev.ToState = to
	s.startClocks(def, action, &next, &ev, now)
	switch {
	case to == model.StateClosed && c.Status != model.StateClosed:
		next.ClosedAt = now
	case to != model.StateClosed:
		next.ClosedAt = time.Time{}
	}
	return next, ev, nil
}

// Case returns a case actor may see, with its timeline.
func (s *Service) Case(ctx context.Context, actor model.User, id int64) (model.Case, []model.Event, error) {
	c, err := s.store.Case(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.CanSee(actor, c)) {
		return c, nil, ErrNotFound
	}
	if err != nil {
		return c, nil, err
	}
	tl, err := s.store.Timeline(ctx, id)
	return c, tl, err
}

// CaseByReceipt returns a case by its citizen receipt code.
func (s *Service) CaseByReceipt(ctx context.Context, receipt string) (model.Case, []model.Event, error) {
	c, err := s.store.CaseByReceipt(ctx, NormalizeReceipt(receipt))
	if errors.Is(err, store.ErrNotFound) {
		return c, nil, ErrNotFound
	}
	// Only public types (city cases, hotline orders ...) are tracked by code.
	if def, ok := s.workflows.Get(c.Type, c.DefVersion); err == nil && (!ok || !def.Public || len(def.VisibleTo) > 0) {
		return c, nil, ErrNotFound
	}
	if err != nil {
		return c, nil, err
	}
	tl, err := s.store.Timeline(ctx, c.ID)
	return c, tl, err
}

// ListCases lists cases actor may see, narrowing f to the actor's scope.
func (s *Service) ListCases(ctx context.Context, actor model.User, f model.CaseFilter) ([]model.Case, error) {
	switch actor.Role {
	case model.RoleUnit:
		f.UnitID = actor.OrgID
	case model.RoleGridWorker:
		f.GridID = actor.OrgID
	case model.RoleCitizen, "":
		return nil, ErrForbidden
	}
	f.HideTypes = s.hiddenTypes(actor.Role)
	return s.store.ListCases(ctx, f)
}

// CanSee reports whether actor may read the case at all. A type restricted
// to some roles (discipline clues) is hidden from every other role.
func (s *Service) CanSee(actor model.User, c model.Case) bool {
	if def, ok := s.workflows.Get(c.Type, c.DefVersion); ok && !def.Visible(orCitizen(actor.Role)) {
		return false
	}
	switch actor.Role {
	case model.RoleAdmin, model.RoleSupervisor, model.RoleOperator, model.RoleDispatcher, model.RoleLeader, model.RoleDiscipline:
		return true
	case model.RoleUnit:
		return c.UnitID == actor.OrgID
	case model.RoleGridWorker:
		return c.GridID == actor.OrgID || (c.CreatedBy != 0 && c.CreatedBy == actor.ID)
	}
	return false
}

// inScope narrows the roles that act only on their own work: a unit on
// cases dispatched to it, a grid worker in their own grid.
func (s *Service) inScope(actor model.User, c model.Case) bool {
	switch actor.Role {
	case model.RoleUnit:
		return c.UnitID == actor.OrgID
	case model.RoleGridWorker:
		return c.GridID == actor.OrgID
	}
	return true
}

// MaskReporter returns what actor may see of a case's reporter. Units and
// grid workers never see who reported (a report may concern them); other
// staff see a masked name and phone; an anonymous reporter is hidden from
// everyone.
func MaskReporter(actor model.User, c model.Case) model.Reporter {
	if c.Anonymous {
		return model.Reporter{}
	}
	switch actor.Role {
	case model.RoleAdmin, model.RoleSupervisor, model.RoleOperator, model.RoleDispatcher, model.RoleLeader, model.RoleDiscipline:
		return model.Reporter{Name: MaskName(c.Reporter.Name), Phone: MaskPhone(c.Reporter.Phone)}
	}
	return model.Reporter{}
}

// MaskPhone shows a phone number as 138****5678.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) < 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// MaskName keeps a name's first character: 张三丰 → 张**.
func MaskName(n string) string {
	r := []rune(n)
	if len(r) == 0 {
		return ""
	}
	return string(r[:1]) + strings.Repeat("*", len(r)-1)
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// orCitizen treats the zero role (no account) as a citizen.
func orCitizen(r model.Role) model.Role {
	if r == "" {
		return model.RoleCitizen
	}
	return r
}

// hiddenTypes lists the case types role may not see at all.
func (s *Service) hiddenTypes(role model.Role) []string {
	var out []string
	for _, d := range s.workflows.All() {
		if !d.Visible(orCitizen(role)) && !slices.Contains(out, d.Type) {
			out = append(out, d.Type)
		}
	}
	return out
}
