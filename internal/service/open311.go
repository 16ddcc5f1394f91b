package service

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// Open311 attribute datatypes.
var AttributeDatatypes = []string{"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}

// Limits of Open311 input.
const (
	MaxOpen311Media  = 5   // media[] files per request
	MaxAttrString    = 200 // runes of a string attribute
	MaxContactField  = 100 // device_id, account_id, names
	MaxMediaURL      = 2000
	open311KeyPrefix = "open311-token:"
)

// Open311Service is a public leaf category as an Open311 service.
type Open311Service struct {
	Category    model.Category
	Group       string // the parent category's name
	GroupEn     string
	Description string
	Keywords    string
	Type        string
	Metadata    bool
	Attributes  []store.ServiceAttribute
}

// Jurisdictions maps each Open311 jurisdiction_id this server answers for
// to the street it narrows to: the district's administrative code (0, the
// whole district) and each street's or township's code (its id).
func (s *Service) Jurisdictions() map[string]int64 {
	ref := s.Ref()
	out := map[string]int64{}
	if ref.Root.ID == 0 {
		return out
	}
	out[ref.Root.Code] = 0
	for _, o := range ref.Org {
		if o.ParentID == ref.Root.ID && (o.Kind == model.OrgStreet || o.Kind == model.OrgTownship) {
			out[JurisdictionID(ref.Root, o)] = o.ID
		}
	}
	return out
}

// JurisdictionID is a street's jurisdiction_id: its code, prefixed with
// the district's when it is only the 3-digit street part.
func JurisdictionID(root, street model.OrgUnit) string {
	if len(street.Code) < len(root.Code) {
		return root.Code + street.Code
	}
	return street.Code
}

// PublicTypes lists the case types whose cases Open311 may show: those
// whose latest definition is public and anyone may create.
func (s *Service) PublicTypes() []string {
	var out []string
	for _, t := range s.workflows.Types() {
		if d, ok := s.workflows.Latest(t); ok && d.Public {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// TerminalStates lists the states that end a case in any definition:
// Open311 shows them as closed.
func (s *Service) TerminalStates() []model.State {
	seen := map[model.State]bool{}
	var out []model.State
	for _, d := range s.workflows.All() {
		for _, st := range d.States {
			if st.Terminal && !seen[model.State(st.Name)] {
				seen[model.State(st.Name)] = true
				out = append(out, model.State(st.Name))
			}
		}
	}
	slices.Sort(out)
	return out
}

// Open311Services returns the public leaf categories of public case types
// as Open311 services, by code.
func (s *Service) Open311Services(ctx context.Context) ([]Open311Service, error) {
	metas, err := s.store.ServiceMetas(ctx)
	if err != nil {
		return nil, err
	}
	attrs, err := s.store.ServiceAttributes(ctx)
	if err != nil {
		return nil, err
	}
	byMeta := map[int64]store.ServiceMeta{}
	for _, m := range metas {
		byMeta[m.CategoryID] = m
	}
	byCat := map[int64][]store.ServiceAttribute{}
	for _, a := range attrs {
		byCat[a.CategoryID] = append(byCat[a.CategoryID], a)
	}
	ref := s.Ref()
	public := map[string]bool{}
	for _, t := range s.PublicTypes() {
		public[t] = true
	}
	var out []Open311Service
	for _, c := range ref.CatList {
		if !c.Public || !ref.IsLeaf(c.ID) || !public[c.CaseType] {
			continue
		}
		if p, ok := ref.Categories[c.ParentID]; ok && !p.Public {
			continue
		}
		m := byMeta[c.ID]
		svc := Open311Service{Category: c, Group: ref.Categories[c.ParentID].Name, GroupEn: ref.Categories[c.ParentID].NameEn,
			Description: m.Description, Keywords: m.Keywords, Type: cmp.Or(m.Type, "realtime"), Attributes: byCat[c.ID]}
		svc.Metadata = len(svc.Attributes) > 0
		if m.Metadata != nil {
			svc.Metadata = *m.Metadata
		}
		out = append(out, svc)
	}
	slices.SortFunc(out, func(a, b Open311Service) int { return cmp.Compare(a.Category.Code, b.Category.Code) })
	return out, nil
}

// Open311Service returns one service by its code, ErrNotFound when there is
// no such public service.
func (s *Service) Open311Service(ctx context.Context, code string) (Open311Service, error) {
	all, err := s.Open311Services(ctx)
	if err != nil {
		return Open311Service{}, err
	}
	for _, svc := range all {
		if svc.Category.Code == code {
			return svc, nil
		}
	}
	return Open311Service{}, ErrNotFound
}

// PutServiceAttributes checks and stores a category's extra fields.
func (s *Service) PutServiceAttributes(ctx context.Context, meta store.ServiceMeta, attrs []store.ServiceAttribute) error {
	if _, ok := s.Ref().Categories[meta.CategoryID]; !ok {
		return ErrNotFound
	}
	if err := CheckAttributes(attrs); err != nil {
		return err
	}
	return s.store.PutServiceAttributes(ctx, meta, attrs)
}

// CheckAttributes refuses attribute definitions Open311 cannot express.
func CheckAttributes(attrs []store.ServiceAttribute) error {
	v := &ValidationError{}
	seen := map[string]bool{}
	for _, a := range attrs {
		f := "attribute[" + a.Code + "]"
		if a.Code == "" || strings.ContainsAny(a.Code, "[]&=") || seen[a.Code] {
			v.add(f, "field.bad_attribute")
		}
		seen[a.Code] = true
		if !slices.Contains(AttributeDatatypes, a.Datatype) {
			v.add(f, "field.bad_attribute")
		}
		list := a.Datatype == "singlevaluelist" || a.Datatype == "multivaluelist"
		if list != (len(a.Values) > 0) {
			v.add(f, "field.bad_attribute")
		}
	}
	return v.err()
}

// Open311Media is one uploaded file of an Open311 request.
type Open311Media struct {
	Name string
	Data []byte
}

// Open311Submission is an Open311 POST requests after parsing.
type Open311Submission struct {
	APIKey       store.APIKey
	Jurisdiction string
	ServiceCode  string
	Lat, Lng     *float64
	Coord        string
	Address      string
	AddressID    string
	Attributes   map[string][]string
	Email        string
	DeviceID     string
	AccountID    string
	FirstName    string
	LastName     string
	Phone        string
	Description  string
	MediaURL     string
	Media        []Open311Media
	// IdempotencyKey, when the client sends one, makes a retry return the
	// first request (and its token).
	IdempotencyKey string
}

// Open311Result is what SubmitOpen311 created (or found, on a replay).
type Open311Result struct {
	Case   model.Case
	Token  string
	Replay bool
}

// SubmitOpen311 validates an Open311 request, creates its case and keeps
// the rest. Nothing is written when it returns a ValidationError or
// ErrNotFound (unknown service).
func (s *Service) SubmitOpen311(ctx context.Context, in Open311Submission) (Open311Result, error) {
	var res Open311Result
	svc, err := s.Open311Service(ctx, in.ServiceCode)
	if err != nil {
		return res, err
	}
	v := &ValidationError{}
	checkAnswers(v, svc.Attributes, in.Attributes)
	in.Email = strings.TrimSpace(in.Email)
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
			v.add("email", "field.email_format")
		}
	}
	for f, val := range map[string]string{"device_id": in.DeviceID, "account_id": in.AccountID, "first_name": in.FirstName, "last_name": in.LastName, "address_id": in.AddressID} {
		if utf8.RuneCountInString(val) > MaxContactField {
			v.add(f, "field.too_long", MaxContactField)
		}
	}
	if in.MediaURL = strings.TrimSpace(in.MediaURL); in.MediaURL != "" {
		u, err := url.Parse(in.MediaURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.MediaURL) > MaxMediaURL {
			v.add("media_url", "field.url_format")
		}
	}
	if len(in.Media) > MaxOpen311Media {
		v.add("media", "field.too_many_files", MaxOpen311Media)
	}
	// Media are sanitized before anything is written, and kept so.
	type cleanMedia struct {
		name, mime string
		data       []byte
	}
	var media []cleanMedia
	for _, m := range in.Media {
		data, mime, err := s.sanitizeAttachment(ctx, m.Data)
		var ve *ValidationError
		switch {
		case errors.As(err, &ve):
			f := ve.Fields["file"]
			v.add("media", f.Key, f.Args...)
		case err != nil:
			return res, err
		default:
			media = append(media, cleanMedia{m.Name, mime, data})
		}
	}
	if err := v.err(); err != nil {
		return res, err
	}
	res.Token = newOpen311Token(in.APIKey.ID, in.IdempotencyKey)
	desc := strings.TrimSpace(in.Description)
	if desc == "" {
		desc = svc.Category.Name
	}
	c, replay, err := s.CreateCase(ctx, model.User{}, CreateCase{
		Type: svc.Category.CaseType, CategoryID: svc.Category.ID, Description: desc, Lat: in.Lat, Lng: in.Lng, Coord: in.Coord,
		Address: strings.TrimSpace(in.Address), Channel: model.ChannelOpen311,
		Reporter:       model.Reporter{Name: joinName(in.FirstName, in.LastName), Phone: normalizePhone(in.Phone)},
		IdempotencyKey: open311KeyPrefix + res.Token,
	})
	if err != nil {
		return res, err
	}
	res.Case, res.Replay = c, replay
	if replay {
		if ex, err := s.store.Open311Requests(ctx, []int64{c.ID}); err == nil {
			if r, ok := ex[c.ID]; ok {
				res.Token = r.Token
			}
		}
		return res, nil
	}
	req := store.Open311Request{
		CaseID: c.ID, Token: res.Token, APIKeyID: in.APIKey.ID, Jurisdiction: in.Jurisdiction, Email: in.Email,
		DeviceID: in.DeviceID, AccountID: in.AccountID, AddressID: in.AddressID, MediaURL: in.MediaURL,
		Attributes: in.Attributes, CreatedAt: c.CreatedAt,
	}
	for _, m := range media {
		a, err := s.saveSanitized(ctx, model.User{}, m.name, m.data, m.mime)
		if err != nil {
			return res, err
		}
		req.Media = append(req.Media, a.ID)
	}
	if err := s.store.SaveOpen311Request(ctx, req); err != nil && !errors.Is(err, store.ErrConflict) {
		return res, err
	}
	return res, nil
}

// newOpen311Token returns a fresh random token, or, for a client's
// idempotency key, one derived from the API key and that key, so that a
// retried POST maps to the same token and so to the same case.
func newOpen311Token(apiKeyID int64, idem string) string {
	if idem != "" {
		sum := sha256.Sum256([]byte("open311\x00" + itoa(apiKeyID) + "\x00" + idem))
		return hex.EncodeToString(sum[:12])
	}
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func checkAnswers(v *ValidationError, defs []store.ServiceAttribute, answers map[string][]string) {
	byCode := map[string]store.ServiceAttribute{}
	for _, a := range defs {
		byCode[a.Code] = a
	}
	for code := range answers {
		if a, ok := byCode[code]; !ok || !a.Variable {
			v.add("attribute["+code+"]", "field.unknown_attribute")
		}
	}
	for _, a := range defs {
		if !a.Variable {
			continue
		}
		f := "attribute[" + a.Code + "]"
		var vals []string
		for _, x := range answers[a.Code] {
			if x = strings.TrimSpace(x); x != "" {
				vals = append(vals, x)
			}
		}
		if len(vals) == 0 {
			if a.Required {
				v.add(f, "field.required")
			}
			continue
		}
		if a.Datatype != "multivaluelist" && len(vals) > 1 {
			v.add(f, "field.single_value")
			continue
		}
		keys := map[string]bool{}
		for _, k := range a.Values {
			keys[k.Key] = true
		}
		for _, x := range vals {
			switch a.Datatype {
			case "string":
				if utf8.RuneCountInString(x) > MaxAttrString {
					v.add(f, "field.too_long", MaxAttrString)
				}
			case "text":
				if utf8.RuneCountInString(x) > MaxDescription {
					v.add(f, "field.too_long", MaxDescription)
				}
			case "number":
				n, err := strconv.ParseFloat(x, 64)
				if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
					v.add(f, "field.number_format")
				}
			case "datetime":
				if _, err := ParseW3C(x); err != nil {
					v.add(f, "field.datetime_format")
				}
			case "singlevaluelist", "multivaluelist":
				if !keys[x] {
					v.add(f, "field.unknown_value")
				}
			}
		}
	}
}

// joinName puts a name together: family name first without a space for
// Chinese names, "first last" otherwise.
func joinName(first, last string) string {
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" || last == "" {
		return first + last
	}
	if hasHan(first) || hasHan(last) {
		return last + first
	}
	return first + " " + last
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// normalizePhone drops spaces, dashes between digit groups, brackets and a
// +86 / 0086 country prefix, as apps send them.
func normalizePhone(p string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return ""
	}
	p = strings.NewReplacer(" ", "", "(", "", ")", "", "\u00a0", "").Replace(p)
	for _, pre := range []string{"+86", "0086"} {
		if strings.HasPrefix(p, pre) {
			p = strings.TrimPrefix(strings.TrimPrefix(p, pre), "-")
		}
	}
	if strings.HasPrefix(p, "1") {
		p = strings.ReplaceAll(p, "-", "")
	}
	return p
}

// ParseW3C reads a W3C datetime (ISO 8601 profile): a full date, or a date
// and time to the minute or second with optional fraction, with a zone;
// without a zone it is read as UTC+08:00.
func ParseW3C(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, calendar.Beijing()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a W3C datetime")
}

// Open311Cases returns a page of public cases and the total, as rd may
// see them: for an anonymous reader only the accepted ones (see
// PublishedStates), masked (PublicCase).
func (s *Service) Open311Cases(ctx context.Context, rd Open311Reader, f store.Open311Filter) ([]model.Case, int, error) {
	f.Types = s.PublicTypes()
	f.Published = nil
	if !rd.Staff {
		f.Published = s.PublishedStates()
	}
	cs, total, err := s.store.ListOpen311Cases(ctx, f)
	if err != nil || rd.Staff {
		return cs, total, err
	}
	for i := range cs {
		cs[i] = s.PublicCase(cs[i])
	}
	return cs, total, nil
}

// Open311Case returns one public case as rd may see it, ErrNotFound for
// any other (for an anonymous reader also for a case not accepted yet:
// such a case does not exist for them).
func (s *Service) Open311Case(ctx context.Context, rd Open311Reader, id int64) (model.Case, error) {
	cs, _, err := s.Open311Cases(ctx, rd, store.Open311Filter{IDs: []int64{id}, Limit: 1})
	if err != nil {
		return model.Case{}, err
	}
	if len(cs) == 0 {
		return model.Case{}, ErrNotFound
	}
	return cs[0], nil
}

// Open311Token returns the id of the public case a token stands for.
func (s *Service) Open311Token(ctx context.Context, token string) (int64, error) {
	if token == "" || len(token) > 100 {
		return 0, ErrNotFound
	}
	id, err := s.store.CaseIDByOpen311Token(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		// The extras are written after the case; the token is also the
		// case's idempotency key, written with it.
		id, err = s.store.CaseIDByIdempotencyKey(ctx, scopedKey(model.User{}, open311KeyPrefix+token))
	}
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	// The token is the submitter's: it names their case from the start,
	// accepted or not (reading the case is another matter).
	if _, err := s.Open311Case(ctx, open311Staff, id); err != nil {
		return 0, err
	}
	return id, nil
}

// Open311Extras returns what Open311 requests carried, by case.
func (s *Service) Open311Extras(ctx context.Context, caseIDs []int64) (map[int64]store.Open311Request, error) {
	return s.store.Open311Requests(ctx, caseIDs)
}

// Timelines returns several cases' timelines.
func (s *Service) Timelines(ctx context.Context, caseIDs []int64) (map[int64][]model.Event, error) {
	return s.store.Timelines(ctx, caseIDs)
}

// Open311Events returns a page of timeline entries of public cases, as rd
// may see them: for an anonymous reader only those of accepted cases, with
// the notes masked and no actor named.
func (s *Service) Open311Events(ctx context.Context, rd Open311Reader, f store.EventFilter) ([]model.Event, int, error) {
	f.Types = s.PublicTypes()
	f.Published = nil
	if !rd.Staff {
		f.Published = s.PublishedStates()
	}
	evs, total, err := s.store.ListOpen311Events(ctx, f)
	if err != nil || rd.Staff {
		return evs, total, err
	}
	for i := range evs {
		evs[i].Note = PublicText(evs[i].Note)
		evs[i].ActorName = ""
	}
	return evs, total, nil
}

// Open311UpdateInput is a citizen front end's update to a request.
type Open311UpdateInput struct {
	APIKey      store.APIKey
	CaseID      int64
	ExternalID  string
	Status      string
	Description string
	FirstName   string
	LastName    string
	Email       string
	MediaURL    string
	UpdatedAt   time.Time
}

// AddOpen311Update records a citizen's update. It changes nothing of the
// case; replay is true when the same key already sent the same update id.
func (s *Service) AddOpen311Update(ctx context.Context, in Open311UpdateInput) (u store.Open311Update, replay bool, err error) {
	// A key's writes reach any public case, as before.
	if _, err := s.Open311Case(ctx, open311Staff, in.CaseID); err != nil {
		return u, false, err
	}
	v := &ValidationError{}
	desc := strings.TrimSpace(in.Description)
	switch {
	case desc == "":
		v.add("description", "field.required")
	case utf8.RuneCountInString(desc) > MaxDescription:
		v.add("description", "field.too_long", MaxDescription)
	}
	in.Email = strings.TrimSpace(in.Email)
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
			v.add("email", "field.email_format")
		}
	}
	if in.MediaURL = strings.TrimSpace(in.MediaURL); in.MediaURL != "" {
		pu, err := url.Parse(in.MediaURL)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || len(in.MediaURL) > MaxMediaURL {
			v.add("media_url", "field.url_format")
		}
	}
	for f, val := range map[string]string{"update_id": in.ExternalID, "status": in.Status, "first_name": in.FirstName, "last_name": in.LastName} {
		if utf8.RuneCountInString(val) > MaxContactField {
			v.add(f, "field.too_long", MaxContactField)
		}
	}
	if err := v.err(); err != nil {
		return u, false, err
	}
	now := s.now()
	if in.UpdatedAt.IsZero() {
		in.UpdatedAt = now
	}
	u = store.Open311Update{CaseID: in.CaseID, APIKeyID: in.APIKey.ID, ExternalID: strings.TrimSpace(in.ExternalID),
		Status: strings.ToLower(strings.TrimSpace(in.Status)), Description: desc, Name: joinName(in.FirstName, in.LastName),
		Email: in.Email, MediaURL: in.MediaURL, UpdatedAt: in.UpdatedAt, CreatedAt: now}
	err = s.store.AddOpen311Update(ctx, &u)
	if errors.Is(err, store.ErrConflict) {
		return u, true, nil
	}
	return u, false, err
}

// Open311Updates returns the citizen updates of a case.
func (s *Service) Open311Updates(ctx context.Context, caseID int64) ([]store.Open311Update, error) {
	return s.store.Open311Updates(ctx, caseID)
}

// ImportOpen311Services adds categories with Open311 metadata and
// attributes (see open311.ImportServices) and reloads the reference data.
func (s *Service) ImportOpen311Services(ctx context.Context, cats []model.Category, metas []store.ServiceMeta, attrs [][]store.ServiceAttribute) ([]int64, error) {
	for _, a := range attrs {
		if err := CheckAttributes(a); err != nil {
			return nil, err
		}
	}
	ids, err := s.store.ImportServices(ctx, cats, metas, attrs)
	if err != nil {
		return nil, err
	}
	return ids, s.Reload(ctx)
}

// LookupAddress finds an address of the register (地址库) by id, or by its
// exact text or alias (spaces ignored). ok is false when there is no such
// address or the text names more than one.
func (s *Service) LookupAddress(ctx context.Context, id, text string) (a store.Address, ok bool, err error) {
	all, err := s.store.ListAddresses(ctx)
	if err != nil {
		return a, false, err
	}
	norm := func(x string) string { return strings.Join(strings.Fields(x), "") }
	id, text = strings.TrimSpace(id), norm(text)
	found := 0
	for _, ad := range all {
		switch {
		case id != "":
			if strconv.FormatInt(ad.ID, 10) == id {
				return ad, true, nil
			}
		case text != "" && (norm(ad.Text) == text || (ad.Alias != "" && norm(ad.Alias) == text)):
			a = ad
			found++
		}
	}
	return a, found == 1, nil
}
