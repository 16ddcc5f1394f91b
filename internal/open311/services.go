package open311

import (
	"net/http"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/service"
)

func (h *Handler) serviceDoc(r *http.Request, s service.Open311Service) serviceDoc {
	name, group := s.Category.Name, s.Group
	if lang(r) == "en" {
		if s.Category.NameEn != "" {
			name = s.Category.NameEn
		}
		if s.GroupEn != "" {
			group = s.GroupEn
		}
	}
	desc, kw := s.Description, s.Keywords
	if kw == "" {
		var parts []string
		for _, p := range []string{s.Category.Name, s.Group, s.Category.NameEn} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		kw = strings.Join(parts, ", ")
	}
	if desc == "" {
		desc = h.i18n.T(lang(r), "open311.deadline."+string(s.Category.Deadline.Kind), s.Category.Deadline.Amount)
	}
	return serviceDoc{ServiceCode: s.Category.Code, ServiceName: name, Description: nstr(desc), Metadata: s.Metadata,
		Type: s.Type, Keywords: nstr(kw), Group: nstr(group)}
}

// services serves GET services.{fmt}: the public leaf categories.
func (h *Handler) services(w http.ResponseWriter, r *http.Request, format string) {
	if _, _, ok := h.jurisdiction(w, r, format, r.URL.Query().Get("jurisdiction_id")); !ok {
		return
	}
	all, err := h.svc.Open311Services(r.Context())
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	docs := make([]serviceDoc, 0, len(all))
	for _, s := range all {
		docs = append(docs, h.serviceDoc(r, s))
	}
	write(w, format, http.StatusOK, servicesXML{Services: docs}, docs)
}

// serviceDefinition serves GET services/{service_code}.{fmt}.
func (h *Handler) serviceDefinition(w http.ResponseWriter, r *http.Request) {
	code, format, ok := split(r.PathValue("file"))
	if !ok {
		h.notFound(w, r, format)
		return
	}
	if _, _, ok := h.jurisdiction(w, r, format, r.URL.Query().Get("jurisdiction_id")); !ok {
		return
	}
	s, err := h.svc.Open311Service(r.Context(), code)
	if err != nil {
		if err == service.ErrNotFound {
			h.errorf(w, r, format, http.StatusNotFound, "open311.unknown_service", code)
			return
		}
		h.fail(w, r, format, err)
		return
	}
	def := serviceDefinition{ServiceCode: s.Category.Code, Attributes: attributeList{}}
	for _, a := range s.Attributes {
		doc := attributeDoc{Variable: a.Variable, Code: a.Code, Datatype: a.Datatype, Required: a.Required,
			DatatypeDescription: nstr(a.DatatypeDescription), Order: a.Order, Description: nstr(a.Description), Values: valueList{}}
		for _, v := range a.Values {
			doc.Values = append(doc.Values, valueDoc{Key: v.Key, Name: v.Name})
		}
		def.Attributes = append(def.Attributes, doc)
	}
	write(w, format, http.StatusOK, def, def)
}
