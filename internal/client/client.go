// Package client is a Go client for yiwang's native API (/api/v1): log in,
// report and read cases, list them page by page, act on them, upload
// attachments, read categories, grids and units. It depends on nothing in
// yiwang but the wire format, so integrators may copy it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client talks to one yiwang server.
type Client struct {
	// BaseURL is the server's root, e.g. http://127.0.0.1:8080.
	BaseURL string
	// HTTP is the client used; nil means http.DefaultClient.
	HTTP *http.Client
	// Token is the bearer token (set by Login).
	Token string
	// Lang is sent as Accept-Language: "zh-CN" (the server's default) or "en".
	Lang string
}

// New returns a client for baseURL.
func New(baseURL string) *Client { return &Client{BaseURL: strings.TrimRight(baseURL, "/")} }

// Error is an error answer of the API.
type Error struct {
	Status  int               // HTTP status
	Code    string            `json:"code"` // e.g. not_found, validation
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func (e *Error) Error() string {
	s := fmt.Sprintf("yiwang: %d %s: %s", e.Status, e.Code, e.Message)
	for f, m := range e.Fields {
		s += fmt.Sprintf("; %s: %s", f, m)
	}
	return s
}

// IsStatus reports whether err is an API error with the status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// User is a staff account.
type User struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	OrgID       int64  `json:"org_id"`
}

// Ref names a unit.
type Ref struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Category is a node of the category tree.
type Category struct {
	ID          int64  `json:"id"`
	ParentID    int64  `json:"parent_id"`
	Code        string `json:"code"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	NameEn      string `json:"name_en"`
	CaseType    string `json:"case_type"`
	Leaf        bool   `json:"leaf"`
	Public      bool   `json:"public"`
	DefaultUnit *Ref   `json:"default_unit"`
	Deadline    struct {
		Kind   string `json:"kind"`
		Amount int    `json:"amount"`
	} `json:"deadline"`
}

// Unit is an org unit other than a grid.
type Unit struct {
	ID       int64  `json:"id"`
	ParentID int64  `json:"parent_id"`
	Kind     string `json:"kind"`
	Code     string `json:"code"`
	Name     string `json:"name"`
}

// Grid is a unit grid as a GeoJSON feature (WGS-84).
type Grid struct {
	Type       string          `json:"type"`
	ID         int64           `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties struct {
		Code        string  `json:"code"`
		Name        string  `json:"name"`
		Community   string  `json:"community"`
		Street      string  `json:"street"`
		CommunityID int64   `json:"community_id"`
		StreetID    int64   `json:"street_id"`
		AreaM2      float64 `json:"area_m2"`
	} `json:"properties"`
}

// Reporter is who reported a case (masked by role when read).
type Reporter struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Event is one timeline entry.
type Event struct {
	Seq         int       `json:"seq"`
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	Role        string    `json:"role"`
	Action      string    `json:"action"`
	FromState   string    `json:"from_state"`
	ToState     string    `json:"to_state"`
	Note        string    `json:"note"`
	Unit        *Ref      `json:"unit"`
	Result      string    `json:"result"`
	Attachments []string  `json:"attachments"`
}

// Case is a case as the API shows it to the caller.
type Case struct {
	ID          int64     `json:"id"`
	Receipt     string    `json:"receipt"`
	Type        string    `json:"type"`
	Status      string    `json:"status"`
	StatusLabel string    `json:"status_label"`
	Version     int       `json:"version"`
	Channel     string    `json:"channel"`
	Category    *Category `json:"category"`
	Description string    `json:"description"`
	Lat         float64   `json:"lat"`
	Lng         float64   `json:"lng"`
	Address     string    `json:"address"`
	Grid        *struct {
		ID   int64  `json:"id"`
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"grid"`
	Community string     `json:"community"`
	Street    string     `json:"street"`
	StreetID  int64      `json:"street_id"`
	Unit      *Ref       `json:"unit"`
	Routing   string     `json:"routing"`
	Reporter  *Reporter  `json:"reporter"`
	Anonymous bool       `json:"anonymous"`
	MasterID  int64      `json:"master_id"`
	DueAt     *time.Time `json:"due_at"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	ClosedAt  *time.Time `json:"closed_at"`
	Timeline  []Event    `json:"timeline"`
	Actions   []string   `json:"actions"`
}

// NewCase is what a report carries. Category is a code; Coord says which
// system Lat/Lng are in (wgs84 default, gcj02, bd09).
type NewCase struct {
	Type        string    `json:"type,omitempty"`
	Category    string    `json:"category"`
	Description string    `json:"description"`
	Lat         *float64  `json:"lat,omitempty"`
	Lng         *float64  `json:"lng,omitempty"`
	Coord       string    `json:"coord,omitempty"`
	Address     string    `json:"address,omitempty"`
	Channel     string    `json:"channel,omitempty"`
	Reporter    *Reporter `json:"reporter,omitempty"`
	Anonymous   bool      `json:"anonymous,omitempty"`
}

// Action is what an action carries; Version is the case version read.
type Action struct {
	Version  int      `json:"version"`
	Note     string   `json:"note,omitempty"`
	Unit     int64    `json:"unit,omitempty"`
	Result   string   `json:"result,omitempty"`
	Evidence []string `json:"evidence,omitempty"`
	Master   int64    `json:"master,omitempty"`
}

// Attachment is a stored file.
type Attachment struct {
	ID        string    `json:"id"`
	Mime      string    `json:"mime"`
	Size      int64     `json:"size"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// ListOptions filter GET /api/v1/cases. Zero fields do not filter.
type ListOptions struct {
	Status    []string
	Type      string
	Unit      int64
	Street    int64
	Grid      int64
	Limit     int    // page size, at most 500 (server default 50)
	PageToken string // from the previous page
}

// Page is one page of cases.
type Page struct {
	Cases         []Case `json:"cases"`
	NextPageToken string `json:"next_page_token"`
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, hdr http.Header, body io.Reader, contentType string, out any) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.Lang != "" {
		req.Header.Set("Accept-Language", c.Lang)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return res, err
	}
	if res.StatusCode >= 400 {
		var eb struct {
			Error *Error `json:"error"`
		}
		if json.Unmarshal(raw, &eb) != nil || eb.Error == nil {
			eb.Error = &Error{Code: "http", Message: strings.TrimSpace(string(raw))}
		}
		eb.Error.Status = res.StatusCode
		return res, eb.Error
	}
	if out != nil && res.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(raw, out); err != nil {
			return res, fmt.Errorf("yiwang: %s %s: decoding the answer: %w", method, path, err)
		}
	}
	return res, nil
}

func (c *Client) doJSON(ctx context.Context, method, path string, hdr http.Header, in, out any) (*http.Response, error) {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	return c.do(ctx, method, path, hdr, body, ct, out)
}

// Login opens a session and keeps its token in c.Token.
func (c *Client) Login(ctx context.Context, username, password string) (User, error) {
	var out struct {
		Token string `json:"token"`
		User  User   `json:"user"`
	}
	_, err := c.doJSON(ctx, "POST", "/api/v1/login", nil, map[string]string{"username": username, "password": password}, &out)
	if err != nil {
		return User{}, err
	}
	c.Token = out.Token
	return out.User, nil
}

// Logout ends the session.
func (c *Client) Logout(ctx context.Context) error {
	_, err := c.doJSON(ctx, "POST", "/api/v1/logout", nil, nil, nil)
	if err == nil {
		c.Token = ""
	}
	return err
}

// Me returns the logged-in user.
func (c *Client) Me(ctx context.Context) (User, error) {
	var u User
	_, err := c.doJSON(ctx, "GET", "/api/v1/me", nil, nil, &u)
	return u, err
}

// CreateCase reports a case. A non-empty idempotencyKey makes a retry
// return the first case; replayed tells that it did.
func (c *Client) CreateCase(ctx context.Context, in NewCase, idempotencyKey string) (cs Case, replayed bool, err error) {
	hdr := http.Header{}
	if idempotencyKey != "" {
		hdr.Set("Idempotency-Key", idempotencyKey)
	}
	res, err := c.doJSON(ctx, "POST", "/api/v1/cases", hdr, in, &cs)
	if err != nil {
		return cs, false, err
	}
	return cs, res.Header.Get("Idempotent-Replayed") == "true", nil
}

// Case returns a case with its timeline.
func (c *Client) Case(ctx context.Context, id int64) (Case, error) {
	var cs Case
	_, err := c.doJSON(ctx, "GET", "/api/v1/cases/"+strconv.FormatInt(id, 10), nil, nil, &cs)
	return cs, err
}

// Track returns the public view of a case by receipt code.
func (c *Client) Track(ctx context.Context, receipt string) (Case, error) {
	var cs Case
	_, err := c.doJSON(ctx, "GET", "/api/v1/track/"+url.PathEscape(receipt), nil, nil, &cs)
	return cs, err
}

// ListCases returns one page of cases, newest first.
func (c *Client) ListCases(ctx context.Context, o ListOptions) (Page, error) {
	q := url.Values{}
	if len(o.Status) > 0 {
		q.Set("status", strings.Join(o.Status, ","))
	}
	if o.Type != "" {
		q.Set("type", o.Type)
	}
	for name, v := range map[string]int64{"unit": o.Unit, "street": o.Street, "grid": o.Grid, "limit": int64(o.Limit)} {
		if v != 0 {
			q.Set(name, strconv.FormatInt(v, 10))
		}
	}
	if o.PageToken != "" {
		q.Set("page_token", o.PageToken)
	}
	path := "/api/v1/cases"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var p Page
	_, err := c.doJSON(ctx, "GET", path, nil, nil, &p)
	return p, err
}

// AllCases walks every page of a listing. The sequence stops at the first
// error, which it yields.
func (c *Client) AllCases(ctx context.Context, o ListOptions) iter.Seq2[Case, error] {
	return func(yield func(Case, error) bool) {
		for {
			p, err := c.ListCases(ctx, o)
			if err != nil {
				yield(Case{}, err)
				return
			}
			for _, cs := range p.Cases {
				if !yield(cs, nil) {
					return
				}
			}
			if p.NextPageToken == "" {
				return
			}
			o.PageToken = p.NextPageToken
		}
	}
}

// Act takes a workflow action on a case and returns the case after it.
func (c *Client) Act(ctx context.Context, id int64, action string, in Action) (Case, error) {
	var cs Case
	_, err := c.doJSON(ctx, "POST", "/api/v1/cases/"+strconv.FormatInt(id, 10)+"/actions/"+url.PathEscape(action), nil, in, &cs)
	return cs, err
}

// UploadAttachment stores a file (photo or PDF) and returns its id, to be
// named in an action's evidence.
func (c *Client) UploadAttachment(ctx context.Context, name string, r io.Reader) (Attachment, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		return Attachment{}, err
	}
	if _, err := io.Copy(fw, r); err != nil {
		return Attachment{}, err
	}
	if err := mw.Close(); err != nil {
		return Attachment{}, err
	}
	var a Attachment
	_, err = c.do(ctx, "POST", "/api/v1/attachments", nil, &b, mw.FormDataContentType(), &a)
	return a, err
}

// Categories returns the category tree as a list.
func (c *Client) Categories(ctx context.Context) ([]Category, error) {
	var out struct {
		Categories []Category `json:"categories"`
	}
	_, err := c.doJSON(ctx, "GET", "/api/v1/categories", nil, nil, &out)
	return out.Categories, err
}

// Units returns the org units other than grids.
func (c *Client) Units(ctx context.Context) ([]Unit, error) {
	var out struct {
		Units []Unit `json:"units"`
	}
	_, err := c.doJSON(ctx, "GET", "/api/v1/units", nil, nil, &out)
	return out.Units, err
}

// Grids returns the unit grids.
func (c *Client) Grids(ctx context.Context) ([]Grid, error) {
	var out struct {
		Features []Grid `json:"features"`
	}
	_, err := c.doJSON(ctx, "GET", "/api/v1/grids", nil, nil, &out)
	return out.Features, err
}
