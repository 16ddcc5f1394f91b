package open311

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
)

// nstr is an optional string: JSON null when empty, an empty element in XML.
type nstr string

func (s nstr) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(s))
}

// w3c writes a time as a W3C datetime in UTC+08:00; the zero time is empty.
func w3c(t time.Time) nstr {
	if t.IsZero() {
		return ""
	}
	return nstr(t.In(calendar.Beijing()).Format("2006-01-02T15:04:05-07:00"))
}

type serviceDoc struct {
	ServiceCode string `xml:"service_code" json:"service_code"`
	ServiceName string `xml:"service_name" json:"service_name"`
	Description nstr   `xml:"description" json:"description"`
	Metadata    bool   `xml:"metadata" json:"metadata"`
	Type        string `xml:"type" json:"type"`
	Keywords    nstr   `xml:"keywords" json:"keywords"`
	Group       nstr   `xml:"group" json:"group"`
}

type servicesXML struct {
	XMLName  xml.Name     `xml:"services"`
	Services []serviceDoc `xml:"service"`
}

type valueDoc struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

// valueList is <values><value>…</value></values> in XML (an empty
// <values/> when there are none) and an array in JSON.
type valueList []valueDoc

func (l valueList) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		V []valueDoc `xml:"value"`
	}{l}, start)
}

func (l valueList) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]valueDoc(l))
}

type attributeDoc struct {
	Variable            bool      `xml:"variable" json:"variable"`
	Code                string    `xml:"code" json:"code"`
	Datatype            string    `xml:"datatype" json:"datatype"`
	Required            bool      `xml:"required" json:"required"`
	DatatypeDescription nstr      `xml:"datatype_description" json:"datatype_description"`
	Order               int       `xml:"order" json:"order"`
	Description         nstr      `xml:"description" json:"description"`
	Values              valueList `xml:"values" json:"values"`
}

type attributeList []attributeDoc

func (l attributeList) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		A []attributeDoc `xml:"attribute"`
	}{l}, start)
}

func (l attributeList) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]attributeDoc(l))
}

type serviceDefinition struct {
	XMLName     xml.Name      `xml:"service_definition" json:"-"`
	ServiceCode string        `xml:"service_code" json:"service_code"`
	Attributes  attributeList `xml:"attributes" json:"attributes"`
}

type noteDoc struct {
	Datetime    nstr   `xml:"datetime" json:"datetime"`
	Type        string `xml:"type" json:"type"` // "status" (a timeline entry)
	Summary     string `xml:"summary" json:"summary"`
	Status      string `xml:"status" json:"status"`
	Description nstr   `xml:"description" json:"description"`
}

type answerDoc struct {
	Code   string   `xml:"code" json:"code"`
	Values []string `xml:"value" json:"values"`
}

type extendedDoc struct {
	Channel   string      `xml:"channel" json:"channel"`
	Duplicate nstr        `xml:"duplicate" json:"duplicate"`
	Parent    nstr        `xml:"parent_service_request_id" json:"parent_service_request_id"`
	State     string      `xml:"detailed_status" json:"detailed_status"`
	Notes     []noteDoc   `xml:"notes>note" json:"notes"`
	Answers   []answerDoc `xml:"attributes>attribute" json:"attributes"`
	MediaURLs []string    `xml:"media_urls>media_url" json:"media_urls"`
}

type requestDoc struct {
	ServiceRequestID  string       `xml:"service_request_id" json:"service_request_id"`
	Status            string       `xml:"status" json:"status"`
	StatusNotes       nstr         `xml:"status_notes" json:"status_notes"`
	ServiceName       nstr         `xml:"service_name" json:"service_name"`
	ServiceCode       string       `xml:"service_code" json:"service_code"`
	Description       nstr         `xml:"description" json:"description"`
	AgencyResponsible nstr         `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice     nstr         `xml:"service_notice" json:"service_notice"`
	RequestedDatetime nstr         `xml:"requested_datetime" json:"requested_datetime"`
	UpdatedDatetime   nstr         `xml:"updated_datetime" json:"updated_datetime"`
	ExpectedDatetime  nstr         `xml:"expected_datetime" json:"expected_datetime"`
	Address           nstr         `xml:"address" json:"address"`
	AddressID         nstr         `xml:"address_id" json:"address_id"`
	Zipcode           nstr         `xml:"zipcode" json:"zipcode"`
	Lat               *float64     `xml:"lat,omitempty" json:"lat"`
	Long              *float64     `xml:"long,omitempty" json:"long"`
	MediaURL          nstr         `xml:"media_url" json:"media_url"`
	Extended          *extendedDoc `xml:"extended_attributes,omitempty" json:"extended_attributes,omitempty"`
}

type requestsXML struct {
	XMLName  xml.Name     `xml:"service_requests"`
	Requests []requestDoc `xml:"request"`
}

// createdDoc answers a POST requests.
type createdDoc struct {
	ServiceRequestID string `xml:"service_request_id" json:"service_request_id"`
	Token            string `xml:"token" json:"token"`
	ServiceNotice    nstr   `xml:"service_notice" json:"service_notice"`
	AccountID        nstr   `xml:"account_id" json:"account_id"`
}

type createdXML struct {
	XMLName  xml.Name     `xml:"service_requests"`
	Requests []createdDoc `xml:"request"`
}

type tokensXML struct {
	XMLName  xml.Name   `xml:"service_requests"`
	Requests []tokenDoc `xml:"request"`
}

type tokenDoc struct {
	ServiceRequestID string `xml:"service_request_id" json:"service_request_id"`
	Token            string `xml:"token" json:"token"`
}

type updateDoc struct {
	UpdateID         string `xml:"update_id" json:"update_id"`
	ServiceRequestID string `xml:"service_request_id,omitempty" json:"service_request_id,omitempty"`
	Status           string `xml:"status,omitempty" json:"status,omitempty"`
	UpdatedDatetime  nstr   `xml:"updated_datetime,omitempty" json:"updated_datetime,omitempty"`
	Description      string `xml:"description,omitempty" json:"description,omitempty"`
	MediaURL         string `xml:"media_url,omitempty" json:"media_url,omitempty"`
}

type updatesXML struct {
	XMLName xml.Name    `xml:"service_request_updates"`
	Updates []updateDoc `xml:"request_update"`
}

type endpointDoc struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

type discoveryDoc struct {
	XMLName    xml.Name      `xml:"discovery" json:"-"`
	Changeset  string        `xml:"changeset" json:"changeset"`
	Contact    string        `xml:"contact" json:"contact"`
	KeyService string        `xml:"key_service" json:"key_service"`
	Endpoints  []endpointDoc `xml:"endpoints>endpoint" json:"endpoints"`
}

type errorDoc struct {
	Code        int    `xml:"code" json:"code"`
	Description string `xml:"description" json:"description"`
}

type errorsXML struct {
	XMLName xml.Name   `xml:"errors"`
	Errors  []errorDoc `xml:"error"`
}

// Media types of the two formats.
const (
	xmlType  = "text/xml; charset=utf-8"
	jsonType = "application/json; charset=utf-8"
)

// write sends a document: xmlDoc as XML with a declaration, jsonDoc as JSON.
func write(w http.ResponseWriter, format string, status int, xmlDoc, jsonDoc any) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if format == "json" {
		w.Header().Set("Content-Type", jsonType)
		w.WriteHeader(status)
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.Encode(jsonDoc)
		return
	}
	out, err := xml.MarshalIndent(xmlDoc, "", "  ")
	if err != nil {
		w.Header().Set("Content-Type", xmlType)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(xml.Header + "<errors><error><code>500</code><description>encoding failed</description></error></errors>\n"))
		return
	}
	w.Header().Set("Content-Type", xmlType)
	w.WriteHeader(status)
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n"))
	w.Write(out)
	w.Write([]byte("\n"))
}
