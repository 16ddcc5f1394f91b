package open311

import (
	"net/http"
)

func (h *Handler) discovery(w http.ResponseWriter, r *http.Request, format string) {
	l := lang(r)
	d := discoveryDoc{
		Changeset: Changeset, Contact: h.i18n.T(l, "open311.contact"), KeyService: h.i18n.T(l, "open311.key_service"),
		Endpoints: []endpointDoc{{
			Specification: Specification, URL: baseURL(r) + "/open311/v2", Changeset: Changeset, Type: "production",
			Formats: []string{"text/xml", "application/json"},
		}},
	}
	write(w, format, http.StatusOK, d, d)
}
