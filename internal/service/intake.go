package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// Machine-event intake (video analytics, IoT sensors): sources post events
// with a key; an event is validated and mapped to a category in the
// request's goroutine, then waits in a bounded queue of its own for the
// intake writer, which hands the queue's events to the store in large
// batches (one transaction, a savepoint each). A full queue answers
// ErrSaturated at once — the API says 429 — so a flood never grows memory
// or delays people's requests behind it, and an event is answered only
// after the transaction holding it committed.

// ErrSaturated: the intake queue is full; try again after RetryAfter.
var ErrSaturated = errors.New("intake saturated")

// ErrEventIDConflict: the source sent this event_id before with other
// content. A retry must repeat the event unchanged; a new event needs a
// new id. Nothing of the event is written.
var ErrEventIDConflict = errors.New("event id reused with other content")

// ErrIntakeStopped: the intake writer is not running (start-up, shutdown).
var ErrIntakeStopped = errors.New("intake not running")

// RoleMachine is the timeline role of entries a machine source wrote.
const RoleMachine model.Role = "machine"

// ActionMachineRepeat is the timeline action noting folded repeats.
const ActionMachineRepeat = "machine_repeat"

// IntakeOptions tunes the intake. Zero values take the defaults.
type IntakeOptions struct {
	// Queue is how many events may wait for the writer (default 8192).
	Queue int
	// Chunk is the most events the writer hands the store at once
	// (default 256).
	Chunk int
	// Workers is the number of intake writers (default 1: SQLite has one
	// writer anyway; PostgreSQL may use more).
	Workers int
	// MaxPerRequest is the most events one request may carry (default 500).
	MaxPerRequest int
	// KeyTTL is how long a source's key check is cached (default 5s).
	KeyTTL time.Duration
	// MaxSkew is how far in the future an event's time may be (default 5m).
	MaxSkew time.Duration
}

// Intake takes machine events in. It is created once per service and
// runs its writers with Run.
type Intake struct {
	s        *Service
	opt      IntakeOptions
	jobs     []chan *intakeJob // one per writer: a writer takes the events of its share of fold keys
	pending  atomic.Int64      // events queued or being written
	mu       sync.RWMutex      // held shared while queueing, exclusively to open or close
	open     bool
	sources  sourceCache
	terminal []model.State

	written, batches atomic.Int64
	// What became of the events handed in (see IntakeStats).
	created, folded, review, suppressed, duplicates, failed, rejected atomic.Int64
}

type intakeJob struct {
	idx  []int // the events' places in the request
	in   []store.MachineEventInput
	out  []store.MachineEventResult
	err  error
	done chan struct{}
}

// NewIntake makes the service's intake.
func NewIntake(s *Service, opt IntakeOptions) *Intake {
	if opt.Queue <= 0 {
		opt.Queue = 8192
	}
	if opt.Chunk <= 0 {
		opt.Chunk = 128
	}
	if opt.Workers <= 0 {
		opt.Workers = 1
	}
	if opt.MaxPerRequest <= 0 {
		opt.MaxPerRequest = 500
	}
	if opt.KeyTTL <= 0 {
		opt.KeyTTL = 5 * time.Second
	}
	if opt.MaxSkew <= 0 {
		opt.MaxSkew = 5 * time.Minute
	}
	in := &Intake{s: s, opt: opt, jobs: make([]chan *intakeJob, opt.Workers)}
	for w := range in.jobs {
		in.jobs[w] = make(chan *intakeJob, opt.Queue)
	}
	in.sources.ttl = opt.KeyTTL
	seen := map[model.State]bool{}
	for _, d := range s.workflows.All() {
		for _, st := range d.States {
			if st.Terminal && !seen[model.State(st.Name)] {
				seen[model.State(st.Name)] = true
				in.terminal = append(in.terminal, model.State(st.Name))
			}
		}
	}
	return in
}

// Options returns the intake's settings (defaults filled in).
func (in *Intake) Options() IntakeOptions { return in.opt }

// IntakeStats are the intake's counters.
type IntakeStats struct {
	Pending, Written, Batches int64
	// Outcomes of the events written since start: new cases, repeats
	// folded into an open case, events put in the review queue, repeats of
	// dismissed events, retries of an event id already answered, and
	// events a writer could not record (a failed transaction, or an event
	// the store refused); events refused by validation are not counted.
	Created, Folded, Review, Suppressed, Duplicates, Failed int64
	// Rejected are events refused with ErrSaturated (429).
	Rejected int64
}

// Stats returns the queue depth and what the writers wrote.
func (in *Intake) Stats() IntakeStats {
	return IntakeStats{Pending: in.pending.Load(), Written: in.written.Load(), Batches: in.batches.Load(),
		Created: in.created.Load(), Folded: in.folded.Load(), Review: in.review.Load(), Suppressed: in.suppressed.Load(),
		Duplicates: in.duplicates.Load(), Failed: in.failed.Load(), Rejected: in.rejected.Load()}
}

// RetryAfter is what a saturated caller is told to wait.
func (in *Intake) RetryAfter() time.Duration { return time.Second }

// Run runs the intake writers until ctx ends, then writes what is still
// queued and returns. Events are refused (ErrIntakeStopped) before Run
// starts and after it returns.
func (in *Intake) Run(ctx context.Context) {
	in.mu.Lock()
	in.open = true
	in.mu.Unlock()
	done := make(chan struct{})
	for _, jobs := range in.jobs {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				select {
				case j := <-jobs:
					in.write(in.gather(jobs, j))
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go in.pruneIDs(ctx)
	for range in.opt.Workers {
		<-done
	}
	// Close the door, then write what came in before it closed.
	in.mu.Lock()
	in.open = false
	in.mu.Unlock()
	for _, jobs := range in.jobs {
	drain:
		for {
			select {
			case j := <-jobs:
				in.write(in.gather(jobs, j))
			default:
				break drain
			}
		}
	}
}

// EventIDTTL is how long a source's event ids are remembered: a retry
// within it is answered as a duplicate.
const EventIDTTL = 7 * 24 * time.Hour

// pruneIDs forgets old event ids hourly until ctx ends.
func (in *Intake) pruneIDs(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := in.s.store.PruneMachineEventIDs(ctx, in.s.now().Add(-EventIDTTL)); err != nil && ctx.Err() == nil {
			in.s.log.Warn("pruning machine event ids", "err", err)
		} else if n > 0 {
			in.s.log.Debug("pruned machine event ids", "n", n) // routine housekeeping
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// gather takes queued jobs after the first, up to a chunk of events.
func (in *Intake) gather(jobs chan *intakeJob, first *intakeJob) []*intakeJob {
	batch := []*intakeJob{first}
	n := len(first.in)
	for n < in.opt.Chunk {
		select {
		case j := <-jobs:
			batch = append(batch, j)
			n += len(j.in)
		default:
			return batch
		}
	}
	return batch
}

func (in *Intake) write(batch []*intakeJob) {
	var all []store.MachineEventInput
	if len(batch) == 1 {
		all = batch[0].in
	} else {
		for _, j := range batch {
			all = append(all, j.in...)
		}
	}
	// Not the callers' contexts: one caller giving up must not fail the
	// others' events.
	out, err := in.s.store.IngestMachineEvents(context.Background(), all)
	in.batches.Add(1)
	if err == nil {
		in.written.Add(int64(len(all)))
	}
	for _, j := range batch {
		if err != nil {
			j.err = err
		} else {
			j.out, out = out[:len(j.in)], out[len(j.in):]
		}
		in.pending.Add(-int64(len(j.in)))
		close(j.done)
	}
}

// EventInput is one machine event as a source posts it.
type EventInput struct {
	SourceID      string   // the source's code; must match the key's source when given
	EventID       string   // the source's own id of this event: a retry with the same id is counted once
	DeviceID      string   // camera or sensor id
	EventType     string   // the source's type, mapped to a category
	Confidence    *float64 // 0..1; absent means certain
	Lat, Lng      *float64
	Coord         string // wgs84 (default), gcj02, bd09
	ComponentCode string // the component (部件) the event is about; locates it when lat/lng are absent
	At            string // RFC 3339; absent means now
	Address       string
	Description   string
	Snapshot      string // base64 image
	SnapshotID    string // or an attachment uploaded before
}

// EventResult is what became of one event.
type EventResult struct {
	Outcome        string // created, folded, review, suppressed; "" with Err
	MachineEventID int64
	Count          int
	Status         string
	CaseID         int64
	Receipt        string
	Duplicate      bool // a retry of an event id the source sent before: Outcome is the first answer's
	Err            error
}

// Ingest checks the source's key, validates the events and waits until
// those that passed are committed. Each event has its own result; an
// invalid one does not stop the others. It returns ErrSaturated (nothing
// written) when the queue cannot take them all.
func (in *Intake) Ingest(ctx context.Context, key string, events []EventInput) (store.EventSource, []EventResult, error) {
	src, err := in.sources.lookup(ctx, in.s, key)
	if err != nil {
		return src, nil, err
	}
	if len(events) > in.opt.MaxPerRequest {
		return src, nil, Invalid("events", "field.too_many", in.opt.MaxPerRequest)
	}
	results := make([]EventResult, len(events))
	inputs := make([]store.MachineEventInput, 0, len(events))
	index := make([]int, 0, len(events))
	var snaps map[int][]byte
	now := in.s.now()
	ref := in.s.Ref()
	for i := range events {
		mi, snap, err := in.validate(ctx, ref, src, &events[i], now)
		if err != nil {
			results[i].Err = err
			continue
		}
		if snap != nil {
			if snaps == nil {
				snaps = map[int][]byte{}
			}
			snaps[len(inputs)] = snap
		}
		inputs = append(inputs, mi)
		index = append(index, i)
	}
	if len(inputs) == 0 {
		return src, results, nil
	}
	// Room for all of them, or for none.
	n := int64(len(inputs))
	if in.pending.Add(n) > int64(in.opt.Queue) {
		in.pending.Add(-n)
		in.rejected.Add(n)
		return src, nil, ErrSaturated
	}
	// Snapshots are stored before the events (content-addressed: a
	// repeat's identical snapshot is one file).
	kept, keptIdx := inputs[:0], index[:0]
	for k := range inputs {
		if snap, ok := snaps[k]; ok {
			a, err := in.s.SaveAttachment(ctx, model.User{}, "snapshot", bytes.NewReader(snap))
			if err != nil {
				var ve *ValidationError
				if errors.As(err, &ve) {
					f := ve.Fields["file"]
					err = Invalid("snapshot", f.Key, f.Args...)
				}
				results[index[k]].Err = err
				continue
			}
			inputs[k].Snapshot = a.ID
		}
		in.bind(ref, src, &inputs[k])
		kept, keptIdx = append(kept, inputs[k]), append(keptIdx, index[k])
	}
	if d := n - int64(len(kept)); d > 0 {
		in.pending.Add(-d)
	}
	if len(kept) == 0 {
		return src, results, nil
	}
	// The request's audit entry rides with its first event and commits in
	// that event's savepoint (see audit.Recorder); if that event fails,
	// the entry goes back to the middleware.
	ae, rec, audited := audit.ClaimFrom(ctx, "")
	if audited {
		ae.Username = "eventsource:" + src.Code // as the events handler names the source
		ae.Detail = "events=" + strconv.Itoa(len(events)) + " written=" + strconv.Itoa(len(kept))
		kept[0].Audit = &ae
	}
	// The events of one fold key (source, device, category) always go to
	// the same writer, so several writers (PostgreSQL) never wait for one
	// another's locks.
	jobs := make([]*intakeJob, len(in.jobs))
	var byID map[string]int // an event id sent twice in one request: the second goes where the first went
	for k := range kept {
		w := 0
		if len(jobs) > 1 {
			w = int(kept[k].FoldKey() % uint32(len(jobs)))
			if id := kept[k].EventID; id != "" {
				if first, ok := byID[id]; ok {
					w = first
				} else {
					if byID == nil {
						byID = map[string]int{}
					}
					byID[id] = w
				}
			}
		}
		if jobs[w] == nil {
			jobs[w] = &intakeJob{done: make(chan struct{})}
		}
		jobs[w].in, jobs[w].idx = append(jobs[w].in, kept[k]), append(jobs[w].idx, keptIdx[k])
	}
	in.mu.RLock()
	if !in.open {
		in.mu.RUnlock()
		in.pending.Add(-int64(len(kept)))
		if audited {
			rec.Unclaim()
		}
		return src, nil, ErrIntakeStopped
	}
	for w, j := range jobs {
		if j != nil {
			in.jobs[w] <- j // never blocks: each channel holds Queue jobs, each of at least one reserved event
		}
	}
	in.mu.RUnlock()
	for _, j := range jobs {
		if j == nil {
			continue
		}
		<-j.done // the writer always finishes a job, and fast
		if j.err != nil {
			// The transaction failed: none of this job's events is written
			// (other writers' may be); each says so.
			in.s.log.Error("machine events not recorded", "source", src.Code, "events", len(j.in), "err", j.err)
			in.failed.Add(int64(len(j.idx)))
			for _, i := range j.idx {
				results[i].Err = j.err
			}
			continue
		}
		in.collect(src, results, j)
	}
	if audited && results[keptIdx[0]].Err != nil {
		rec.Unclaim()
	}
	return src, results, nil
}

// collect copies a written job's outcomes into the request's results.
func (in *Intake) collect(src store.EventSource, results []EventResult, j *intakeJob) {
	for k, r := range j.out {
		res := &results[j.idx[k]]
		if r.Err != nil {
			res.Err = r.Err
			in.failed.Add(1)
			var ve *ValidationError
			if !errors.As(r.Err, &ve) {
				in.s.log.Error("machine event not recorded", "source", src.Code, "err", r.Err)
			}
			continue
		}
		if r.Conflict {
			// The source's mistake, not ours: answered, not logged.
			res.Err = ErrEventIDConflict
			in.failed.Add(1)
			continue
		}
		switch {
		case r.Duplicate:
			in.duplicates.Add(1)
		case r.Outcome == store.OutcomeCreated:
			in.created.Add(1)
		case r.Outcome == store.OutcomeFolded:
			in.folded.Add(1)
		case r.Outcome == store.OutcomeReview:
			in.review.Add(1)
		case r.Outcome == store.OutcomeSuppressed:
			in.suppressed.Add(1)
		}
		res.Outcome, res.MachineEventID, res.Count, res.Status = r.Outcome, r.Record.ID, r.Record.Count, r.Record.Status
		res.CaseID, res.Duplicate = r.Record.CaseID, r.Duplicate
		if r.Outcome == store.OutcomeCreated {
			res.CaseID, res.Receipt = r.Case.ID, r.Case.Receipt
		}
	}
}

// validate checks one event and maps it to a category and a place.
func (in *Intake) validate(ctx context.Context, ref *Reference, src store.EventSource, e *EventInput, now time.Time) (store.MachineEventInput, []byte, error) {
	v := &ValidationError{}
	mi := store.MachineEventInput{SourceID: src.ID, Now: now, At: now}
	if e.SourceID != "" && e.SourceID != src.Code {
		v.add("source_id", "field.source_mismatch")
	}
	e.EventID = strings.TrimSpace(e.EventID)
	if utf8.RuneCountInString(e.EventID) > 64 {
		v.add("event_id", "field.too_long", 64)
	}
	mi.EventID = e.EventID
	e.DeviceID = strings.TrimSpace(e.DeviceID)
	if utf8.RuneCountInString(e.DeviceID) > 64 {
		v.add("device_id", "field.too_long", 64)
	}
	mi.DeviceID = e.DeviceID
	e.EventType = strings.TrimSpace(e.EventType)
	switch {
	case e.EventType == "":
		v.add("event_type", "field.required")
	case utf8.RuneCountInString(e.EventType) > 64:
		v.add("event_type", "field.too_long", 64)
	default:
		code, ok := src.TypeMap[e.EventType]
		if !ok {
			code = e.EventType // default: the type is a category code
		}
		cat, ok := ref.ByCode[code]
		if !ok || !ref.IsLeaf(cat.ID) {
			v.add("event_type", "field.unknown_category")
		} else {
			mi.EventType, mi.CategoryID = e.EventType, cat.ID
		}
	}
	mi.Confidence = 1
	if e.Confidence != nil {
		if c := *e.Confidence; math.IsNaN(c) || c < 0 || c > 1 {
			v.add("confidence", "field.out_of_range", 0, 1)
		} else {
			mi.Confidence = c
		}
	}
	mi.Review = mi.Confidence < src.MinConfidence
	if e.At != "" {
		at, err := time.Parse(time.RFC3339Nano, e.At)
		switch {
		case err != nil:
			v.add("at", "field.datetime_format")
		case at.After(now.Add(in.opt.MaxSkew)):
			v.add("at", "field.in_future")
		default:
			mi.At = at
		}
	}
	mi.At = mi.At.Truncate(time.Millisecond)
	sys := geo.WGS84 // the default, without parsing (a flood's hot path)
	if e.Coord != "" {
		var cerr error
		if sys, cerr = geo.ParseCoordSys(e.Coord); cerr != nil {
			v.add("coord", "field.unknown_coord")
		}
	}
	e.ComponentCode = strings.TrimSpace(e.ComponentCode)
	mi.ComponentCode = e.ComponentCode
	switch {
	case e.Lat != nil || e.Lng != nil:
		switch {
		case e.Lat == nil:
			v.add("lat", "field.required")
		case math.IsNaN(*e.Lat) || *e.Lat < -90 || *e.Lat > 90:
			v.add("lat", "field.lat_range")
		}
		switch {
		case e.Lng == nil:
			v.add("lng", "field.required")
		case math.IsNaN(*e.Lng) || *e.Lng < -180 || *e.Lng > 180:
			v.add("lng", "field.lng_range")
		}
		if len(v.Fields) == 0 {
			mi.Lat, mi.Lng = geo.ToWGS84(*e.Lat, *e.Lng, sys)
		}
	case e.ComponentCode != "":
		comp, ok := ref.ComponentByCode(e.ComponentCode)
		if !ok {
			v.add("component_code", "field.unknown_component")
		} else {
			mi.Lat, mi.Lng = comp.Lat, comp.Lng
			if e.Address == "" {
				e.Address = comp.Address
			}
		}
	default:
		v.add("lat", "field.required")
	}
	mi.Address, mi.Description = strings.TrimSpace(e.Address), strings.TrimSpace(e.Description)
	if utf8.RuneCountInString(mi.Address) > MaxAddress {
		v.add("address", "field.too_long", MaxAddress)
	}
	if utf8.RuneCountInString(mi.Description) > MaxDescription {
		v.add("description", "field.too_long", MaxDescription)
	}
	var snap []byte
	switch {
	case e.Snapshot != "":
		b, err := base64.StdEncoding.DecodeString(e.Snapshot)
		if err != nil || len(b) == 0 {
			v.add("snapshot", "field.snapshot_format")
		} else if len(b) > MaxAttachment {
			v.add("snapshot", "field.file_too_large", MaxAttachment>>20)
		}
		snap = b
	case e.SnapshotID != "":
		if _, err := in.s.store.Attachment(ctx, e.SnapshotID); err != nil {
			v.add("snapshot_id", "field.unknown_attachment")
		}
		mi.Snapshot = e.SnapshotID
	}
	if err := v.err(); err != nil {
		return mi, nil, err
	}
	if mi.EventID != "" {
		mi.ContentHash = eventContentHash(e, &mi, snap)
	}
	return mi, snap, nil
}

// eventContentHash fingerprints what a source said about a named event,
// so that a retry (the same content again) can be told from a second
// event sent under the same event_id (a bug or a collision in the
// source's ids): device, type, confidence, time (when the source gave
// one), place, address, description and snapshot, as read.
func eventContentHash(e *EventInput, mi *store.MachineEventInput, snap []byte) string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	num := func(f float64) { field(strconv.FormatFloat(f, 'g', -1, 64)) }
	field(mi.DeviceID)
	field(mi.EventType)
	num(mi.Confidence)
	if e.At != "" {
		field(strconv.FormatInt(mi.At.UnixMilli(), 10))
	} else {
		field("now")
	}
	num(mi.Lat)
	num(mi.Lng)
	field(mi.ComponentCode)
	field(mi.Address)
	field(mi.Description)
	if snap != nil {
		sum := sha256.Sum256(snap)
		field(hex.EncodeToString(sum[:]))
	} else {
		field(mi.Snapshot)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// bind gives the event its fold policy and the functions the writer calls
// to build a new case or a repeat note.
func (in *Intake) bind(ref *Reference, src store.EventSource, mi *store.MachineEventInput) {
	mi.Window, mi.DistanceM, mi.NoteEvery, mi.Terminal = src.FoldWindow, src.FoldDistanceM, src.NoteEvery, in.terminal
	ev := *mi // what the closures see: a copy, not the slice element the store fills
	mi.NewCase = func() (store.NewMachineCase, error) {
		return in.s.machineCase(ref, src, machineEventOf(&ev), model.User{}, ev.Now, "")
	}
	mi.Note = func(rec store.MachineEvent) model.Event {
		return model.Event{At: ev.Now.Truncate(time.Millisecond), ActorName: src.Name, Role: RoleMachine, Action: ActionMachineRepeat,
			Note: fmt.Sprintf("同一事件重复上报，累计 %d 次，最近一次 %s", rec.Count, rec.LastAt.In(calendar.Beijing()).Format("2006-01-02 15:04:05")),
			Data: map[string]any{"machine_event": rec.ID, "count": rec.Count, "last_at": rec.LastAt.UnixMilli(), "device": rec.DeviceID}}
	}
}

// machineEventOf is the record an input would start.
func machineEventOf(mi *store.MachineEventInput) store.MachineEvent {
	return store.MachineEvent{SourceID: mi.SourceID, DeviceID: mi.DeviceID, EventType: mi.EventType, CategoryID: mi.CategoryID,
		Confidence: mi.Confidence, Lat: mi.Lat, Lng: mi.Lng, ComponentCode: mi.ComponentCode, Address: mi.Address,
		Description: mi.Description, Snapshot: mi.Snapshot, FirstAt: mi.At, LastAt: mi.At, Count: 1}
}

// machineCase builds the case for a machine event: its category's case
// type, channel video, routed like any case from its place; actor is the
// reviewing person for a confirmed event, the zero user for the source
// itself.
func (s *Service) machineCase(ref *Reference, src store.EventSource, rec store.MachineEvent, actor model.User, now time.Time, note string) (store.NewMachineCase, error) {
	var nc store.NewMachineCase
	cat, ok := ref.Categories[rec.CategoryID]
	if !ok {
		return nc, Invalid("event_type", "field.unknown_category")
	}
	typ := cat.CaseType
	if typ == "" {
		typ = "city_case"
	}
	def, ok := s.workflows.Latest(typ)
	if !ok {
		return nc, Invalid("event_type", "field.unknown_type")
	}
	v := &ValidationError{}
	fields := s.createFields(def, nil, v)
	if err := v.err(); err != nil {
		return nc, err
	}
	desc := rec.Description
	if desc == "" {
		desc = fmt.Sprintf("%s：%s 发现%s（置信度 %.2f）", src.Name, orDash(rec.DeviceID), cat.Name, rec.Confidence)
	}
	if utf8.RuneCountInString(desc) > MaxDescription {
		desc = string([]rune(desc)[:MaxDescription])
	}
	place := ref.Place(rec.Lat, rec.Lng, cat.ID, s.toleranceM)
	now = now.Truncate(time.Millisecond)
	c := model.Case{
		Type: def.Type, DefVersion: def.Version, Channel: model.ChannelVideo, CategoryID: cat.ID, Description: desc,
		Lat: rec.Lat, Lng: rec.Lng, Address: rec.Address,
		GridID: place.GridID, CommunityID: place.CommunityID, StreetID: place.StreetID, UnitID: place.UnitID, Routing: place.How,
		Status: model.State(def.Initial), Version: 1, Fields: fields, Flow: model.Flow{OriginUnit: place.UnitID},
		CreatedBy: actor.ID, CreatedAt: now, UpdatedAt: now, Receipt: NewReceipt(),
	}
	machine := map[string]any{"source": src.Code, "event_type": rec.EventType, "confidence": rec.Confidence,
		"first_at": rec.FirstAt.UnixMilli()}
	if rec.DeviceID != "" {
		machine["device"] = rec.DeviceID
	}
	if rec.ComponentCode != "" {
		machine["component"] = rec.ComponentCode
	}
	if rec.ID != 0 {
		machine["machine_event"] = rec.ID
	}
	ev := model.Event{At: now, ActorID: actor.ID, ActorName: src.Name, Role: RoleMachine, Action: "create", ToState: c.Status,
		UnitID: c.UnitID, Note: note, Data: map[string]any{"machine": machine}}
	if actor.ID != 0 {
		ev.ActorName, ev.Role = actorName(actor), actor.Role
	}
	if len(fields) > 0 {
		ev.Data["fields"] = fields
	}
	if rec.Snapshot != "" {
		ev.Attachments = []string{rec.Snapshot}
	}
	s.startClocks(def, "create", &c, &ev, now)
	nc.Case, nc.Event, nc.Timers = c, ev, timerSpecs(def, c)
	return nc, nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
