package web

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// The API keys (接口密钥): the keys Open311 clients and other integrations
// present as api_key. The same service as `yiwang apikey
// create|list|revoke`. A new key is shown once, in the answer to the
// form's POST, like an event source's: never put in an address, and only
// its hash is stored.

const (
	apikeysPath = "/admin/apikeys"
	// maxKeyRate is the highest rate a key may be given (the service's
	// bound).
	maxKeyRate = 100000
)

type apikeyRow struct {
	ID           int64
	Name         string
	Prefix       string
	Jurisdiction string // the jurisdiction_id, "" for every one
	JurName      string // its unit's name, "" when unknown
	Rate         int    // 0: the server's default
	Scope        string // store.KeyScopePublic or KeyScopeStaff
	Created      time.Time
	Revoked      time.Time
}

// jurOption is a jurisdiction the add form offers.
type jurOption struct {
	ID, Name string
}

// apikeyForm is the add form, blank or as submitted with its errors.
type apikeyForm struct {
	Name, Jurisdiction, Rate, Scope string
	Errors                          map[string]string
}

// newAPIKey is what the page shows right after an issue: the key, once.
type newAPIKey struct {
	Name string
	Key  string
}

type apikeysView struct {
	Rows    []apikeyRow
	Jurs    []jurOption
	Form    apikeyForm
	New     *newAPIKey
	Revoked string // the message after a revocation
	// revokedID is the key the address says was revoked; the message
	// shows only if it is (an edited address claims nothing).
	revokedID int64
}

// adminAPIKeys lists the keys with the add form.
func (w *Web) adminAPIKeys(rw http.ResponseWriter, r *http.Request, q *req) {
	v := apikeysView{}
	v.revokedID, _ = strconv.ParseInt(r.URL.Query().Get("revoked"), 10, 64)
	w.apikeysPage(rw, r, q, http.StatusOK, v)
}

// adminAPIKeyAdd issues a key from the form and shows it once.
func (w *Web) adminAPIKeyAdd(rw http.ResponseWriter, r *http.Request, q *req) {
	f := apikeyForm{Name: r.PostFormValue("name"), Jurisdiction: strings.TrimSpace(r.PostFormValue("jurisdiction")),
		Rate: strings.TrimSpace(r.PostFormValue("rate")), Scope: strings.TrimSpace(r.PostFormValue("scope")), Errors: map[string]string{}}
	// The audit entry (written by the middleware) names the administrator
	// and the key's client, never the key.
	rec := audit.FromContext(r.Context())
	rec.Detail = "api key create name=" + strings.TrimSpace(f.Name)
	in := w.parseAPIKeyForm(q.lang, &f)
	if len(f.Errors) > 0 {
		// Nothing reaches the service, so nothing is written.
		w.apikeysPage(rw, r, q, http.StatusUnprocessableEntity, apikeysView{Form: f})
		return
	}
	key, k, err := w.svc.AdminCreateAPIKey(r.Context(), q.user, in)
	if err != nil {
		fe := w.apikeyErrors(q.lang, err)
		if fe == nil {
			w.fail(rw, r, q, err)
			return
		}
		f.Errors = fe
		w.apikeysPage(rw, r, q, http.StatusUnprocessableEntity, apikeysView{Form: f})
		return
	}
	rec.Detail = "api key create id=" + strconv.FormatInt(k.ID, 10) + " name=" + k.Name + " prefix=" + k.Prefix
	if k.Jurisdiction != "" {
		rec.Detail += " jurisdiction=" + k.Jurisdiction
	}
	rec.Detail += " scope=" + k.Scope
	// The key goes into this answer alone (no-store, like every page).
	w.apikeysPage(rw, r, q, http.StatusOK, apikeysView{New: &newAPIKey{Name: k.Name, Key: key}})
}

// adminAPIKeyRevoke revokes a key; its requests are refused (403) at once.
func (w *Web) adminAPIKeyRevoke(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	rec := audit.FromContext(r.Context())
	rec.Detail = "api key revoke id=" + strconv.FormatInt(id, 10)
	k, err := w.svc.AdminRevokeAPIKey(r.Context(), q.user, id)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	rec.Detail += " name=" + k.Name + " prefix=" + k.Prefix
	w.redirect(rw, r, apikeysPath+"?revoked="+strconv.FormatInt(k.ID, 10))
}

// parseAPIKeyForm reads the form into the service's input; a rate that
// cannot be read is a field error. An empty rate is the default.
func (w *Web) parseAPIKeyForm(lang string, f *apikeyForm) service.NewAPIKey {
	in := service.NewAPIKey{Name: f.Name, Jurisdiction: f.Jurisdiction, Scope: f.Scope}
	if strings.TrimSpace(f.Name) == "" {
		f.Errors["name"] = w.i18n.T(lang, "field.required")
	}
	if f.Rate != "" {
		n, err := strconv.Atoi(f.Rate)
		switch {
		case err != nil && !errors.Is(err, strconv.ErrRange):
			f.Errors["rate"] = w.i18n.T(lang, "field.not_integer")
		case err != nil, n < 0, n > maxKeyRate:
			f.Errors["rate"] = w.i18n.T(lang, "field.out_of_range", 0, maxKeyRate)
		}
		in.RatePerMinute = n
	}
	return in
}

// apikeyErrors translates the service's refusal into the form's fields.
func (w *Web) apikeyErrors(lang string, err error) map[string]string {
	var ve *service.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	out := map[string]string{}
	for field, fe := range ve.Fields {
		switch field {
		case "rate":
			out[field] = w.i18n.T(lang, "field.out_of_range", 0, maxKeyRate)
		case "jurisdiction":
			out[field] = w.i18n.T(lang, "web.apikeys.jurisdiction_unknown")
		case "scope":
			out[field] = w.i18n.T(lang, "web.apikeys.scope_unknown")
		default:
			out[field] = w.i18n.T(lang, fe.Key, fe.Args...)
		}
	}
	return out
}

// jurisdictions lists what a key may be restricted to: the district first,
// then its streets and townships by code.
func (w *Web) jurisdictions() ([]jurOption, map[string]string) {
	ref := w.svc.Ref()
	names := map[string]string{}
	var out []jurOption
	for id, org := range w.svc.Jurisdictions() {
		name := ref.Root.Name
		if org != 0 {
			name = ref.Org[org].Name
		}
		names[id] = name
		out = append(out, jurOption{ID: id, Name: name})
	}
	slices.SortFunc(out, func(a, b jurOption) int {
		if ra, rb := a.ID == ref.Root.Code, b.ID == ref.Root.Code; ra != rb {
			if ra {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, names
}

// apikeysPage renders the list and the form.
func (w *Web) apikeysPage(rw http.ResponseWriter, r *http.Request, q *req, status int, v apikeysView) {
	keys, err := w.svc.AdminAPIKeys(r.Context(), q.user)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	var names map[string]string
	v.Jurs, names = w.jurisdictions()
	for _, k := range keys {
		row := apikeyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Jurisdiction: k.Jurisdiction, JurName: names[k.Jurisdiction],
			Rate: k.RatePerMinute, Scope: k.Scope, Created: k.CreatedAt, Revoked: k.RevokedAt}
		if k.ID == v.revokedID && !k.RevokedAt.IsZero() {
			v.Revoked = w.i18n.T(q.lang, "web.apikeys.revoked_done", k.Name, k.Prefix)
		}
		v.Rows = append(v.Rows, row)
	}
	// Newest first: the one just issued is on top.
	slices.SortFunc(v.Rows, func(a, b apikeyRow) int { return cmp.Compare(b.ID, a.ID) })
	p := w.newPage(q, "web.apikeys.title", "admin")
	if len(v.Form.Errors) > 0 {
		p.Error = w.i18n.T(q.lang, "web.apikeys.not_added")
	}
	p.Data = v
	w.render(rw, r, status, "admin_apikeys", p)
}
