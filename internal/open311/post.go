package open311

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// readForm limits and parses a POST body, answering 400 itself on failure.
func (h *Handler) readForm(w http.ResponseWriter, r *http.Request, format string) (form, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxPostBody)
	f, err := parseBody(r.Header.Get("Content-Type"), r.Body, r.URL.Query())
	switch {
	case err == nil:
		return f, true
	case errors.Is(err, errTooLarge):
		h.errorf(w, r, format, http.StatusBadRequest, "open311.body_too_large")
	case errors.Is(err, errTooMany):
		h.errorf(w, r, format, http.StatusBadRequest, "open311.too_many_media", service.MaxOpen311Media)
	case errors.Is(err, errContentType):
		h.errorf(w, r, format, http.StatusBadRequest, "open311.content_type")
	default:
		h.errorf(w, r, format, http.StatusBadRequest, "open311.bad_form")
	}
	return f, false
}

// postKey checks api_key and jurisdiction_id of a POST: the key is
// required, and a key bound to a jurisdiction is good for that one only.
func (h *Handler) postKey(w http.ResponseWriter, r *http.Request, format string, f form) (store.APIKey, string, int64, bool) {
	k, ok := h.apiKey(w, r, format, f.values.Get("api_key"), true)
	if !ok {
		return k, "", 0, false
	}
	jid, street, ok := h.jurisdiction(w, r, format, f.values.Get("jurisdiction_id"))
	if !ok {
		return k, "", 0, false
	}
	if k.Jurisdiction != "" {
		if jid != "" && jid != k.Jurisdiction {
			h.errorf(w, r, format, http.StatusForbidden, "open311.api_key_jurisdiction", k.Jurisdiction)
			return k, "", 0, false
		}
		jid, street = k.Jurisdiction, h.svc.Jurisdictions()[k.Jurisdiction]
	}
	return k, jid, street, true
}

// postRequest serves POST requests.{fmt}.
func (h *Handler) postRequest(w http.ResponseWriter, r *http.Request, format string) {
	f, ok := h.readForm(w, r, format)
	if !ok {
		return
	}
	k, jid, street, ok := h.postKey(w, r, format, f)
	if !ok {
		return
	}
	v := f.values
	code := strings.TrimSpace(v.Get("service_code"))
	if code == "" {
		h.errorf(w, r, format, http.StatusBadRequest, "open311.missing_parameter", "service_code")
		return
	}
	svc, err := h.svc.Open311Service(r.Context(), code)
	if err != nil {
		if errors.Is(err, service.ErrNotFound) {
			h.errorf(w, r, format, http.StatusNotFound, "open311.unknown_service", code)
			return
		}
		h.fail(w, r, format, err)
		return
	}
	in := service.Open311Submission{
		APIKey: k, Jurisdiction: jid, ServiceCode: code, Coord: v.Get("coord"), Address: v.Get("address_string"),
		AddressID: strings.TrimSpace(v.Get("address_id")), Email: v.Get("email"), DeviceID: v.Get("device_id"),
		AccountID: v.Get("account_id"), FirstName: v.Get("first_name"), LastName: v.Get("last_name"), Phone: v.Get("phone"),
		Description: v.Get("description"), MediaURL: v.Get("media_url"), Media: f.media,
		IdempotencyKey: strings.TrimSpace(r.Header.Get("Idempotency-Key")),
	}
	if len(in.IdempotencyKey) > 200 {
		h.errorf(w, r, format, http.StatusBadRequest, "open311.bad_parameter", "Idempotency-Key")
		return
	}
	attrs, ok := attributes(v)
	if !ok {
		h.errorf(w, r, format, http.StatusBadRequest, "open311.bad_parameter", "attribute")
		return
	}
	in.Attributes = attrs
	latS, lngS := strings.TrimSpace(v.Get("lat")), strings.TrimSpace(v.Get("long"))
	switch {
	case latS != "" || lngS != "":
		for _, p := range []struct {
			name, s string
			dst     **float64
			max     float64
		}{{"lat", latS, &in.Lat, 90}, {"long", lngS, &in.Lng, 180}} {
			x, err := strconv.ParseFloat(p.s, 64)
			if p.s == "" || err != nil || math.IsNaN(x) || math.Abs(x) > p.max {
				h.errorf(w, r, format, http.StatusBadRequest, "open311.bad_parameter", p.name)
				return
			}
			*p.dst = &x
		}
	case in.AddressID != "" || strings.TrimSpace(in.Address) != "":
		// Located by the address register (地址库): address_id is an
		// address's id, address_string its exact text or alias.
		ad, found, err := h.svc.LookupAddress(r.Context(), in.AddressID, in.Address)
		if err != nil {
			h.fail(w, r, format, err)
			return
		}
		if !found {
			h.errorf(w, r, format, http.StatusBadRequest, "open311.address_not_found")
			return
		}
		in.Lat, in.Lng, in.Coord = &ad.Lat, &ad.Lng, "wgs84"
		if strings.TrimSpace(in.Address) == "" {
			in.Address = ad.Text
		}
	default:
		h.errorf(w, r, format, http.StatusBadRequest, "open311.location_required")
		return
	}
	sys, err := geo.ParseCoordSys(in.Coord)
	if err != nil {
		h.errorf(w, r, format, http.StatusBadRequest, "open311.bad_parameter", "coord")
		return
	}
	if street != 0 {
		lat, lng := geo.ToWGS84(*in.Lat, *in.Lng, sys)
		if p := h.svc.Ref().Place(lat, lng, svc.Category.ID, 30); p.StreetID != street {
			h.errorf(w, r, format, http.StatusBadRequest, "open311.outside_jurisdiction", jid)
			return
		}
	}
	res, err := h.svc.SubmitOpen311(r.Context(), in)
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	status := http.StatusCreated
	if res.Replay {
		status = http.StatusOK
		w.Header().Set("Idempotent-Replayed", "true")
	}
	id := strconv.FormatInt(res.Case.ID, 10)
	w.Header().Set("Location", baseURL(r)+"/open311/v2/requests/"+id+"."+format)
	docs := []createdDoc{{ServiceRequestID: id, Token: res.Token,
		ServiceNotice: nstr(h.i18n.T(lang(r), "open311.service_notice", res.Case.Receipt)), AccountID: nstr(strings.TrimSpace(in.AccountID))}}
	write(w, format, status, createdXML{Requests: docs}, docs)
}
