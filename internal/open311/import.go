package open311

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// ImportedService is one service of another city's Open311 service list.
type ImportedService struct {
	Code        string `xml:"service_code" json:"service_code"`
	Name        string `xml:"service_name" json:"service_name"`
	Description string `xml:"description" json:"description"`
	Metadata    bool   `xml:"metadata" json:"metadata"`
	Type        string `xml:"type" json:"type"`
	Keywords    string `xml:"keywords" json:"keywords"`
	Group       string `xml:"group" json:"group"`
}

// ImportedValue is an option of a list attribute.
type ImportedValue struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

// ImportedAttribute is an attribute of an imported service definition.
type ImportedAttribute struct {
	Variable            bool            `xml:"variable" json:"variable"`
	Code                string          `xml:"code" json:"code"`
	Datatype            string          `xml:"datatype" json:"datatype"`
	Required            bool            `xml:"required" json:"required"`
	DatatypeDescription string          `xml:"datatype_description" json:"datatype_description"`
	Order               int             `xml:"order" json:"order"`
	Description         string          `xml:"description" json:"description"`
	Values              []ImportedValue `xml:"values>value" json:"values"`
}

// ImportedDefinition is another city's service definition.
type ImportedDefinition struct {
	ServiceCode string              `xml:"service_code" json:"service_code"`
	Attributes  []ImportedAttribute `xml:"attributes>attribute" json:"attributes"`
}

// isJSON peeks at the first non-space byte.
func isJSON(br *bufio.Reader) bool {
	for {
		b, err := br.Peek(1)
		if err != nil || len(b) == 0 {
			return false
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n', 0xEF, 0xBB, 0xBF:
			br.ReadByte()
			continue
		}
		return b[0] == '[' || b[0] == '{'
	}
}

// ParseServices reads a services document, XML or JSON.
func ParseServices(r io.Reader) ([]ImportedService, error) {
	br := bufio.NewReader(r)
	var out []ImportedService
	if isJSON(br) {
		if err := json.NewDecoder(br).Decode(&out); err != nil {
			return nil, fmt.Errorf("services: %w", err)
		}
		return out, nil
	}
	var doc struct {
		Services []ImportedService `xml:"service"`
	}
	if err := xml.NewDecoder(br).Decode(&doc); err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	return doc.Services, nil
}

// ParseServiceDefinition reads a service definition, XML or JSON.
func ParseServiceDefinition(r io.Reader) (ImportedDefinition, error) {
	br := bufio.NewReader(r)
	var d ImportedDefinition
	var err error
	if isJSON(br) {
		err = json.NewDecoder(br).Decode(&d)
	} else {
		err = xml.NewDecoder(br).Decode(&d)
	}
	if err != nil {
		return d, fmt.Errorf("service definition: %w", err)
	}
	return d, nil
}

// ImportOptions says what the imported categories become.
type ImportOptions struct {
	CaseType string             // default city_case
	Kind     model.CategoryKind // default event
	Deadline model.DeadlineRule // default 7 working days
	// GroupPrefix starts the codes made up for the groups (default "G").
	GroupPrefix string
}

// ImportServices adds another city's services as categories: each group
// becomes a parent category, each service a public leaf under it with the
// service's code, name, description, keywords, type and metadata flag, and
// its definition's attributes when defs has one. Nothing is written when a
// code is taken already (store.ErrConflict) or a definition is invalid.
func ImportServices(ctx context.Context, svc *service.Service, services []ImportedService, defs map[string]ImportedDefinition, opt ImportOptions) (int, error) {
	if opt.CaseType == "" {
		opt.CaseType = "city_case"
	}
	if opt.Kind == "" {
		opt.Kind = model.CategoryEvent
	}
	if opt.Deadline.Kind == "" {
		opt.Deadline = model.DeadlineRule{Kind: model.DeadlineWorkingDays, Amount: 7}
	}
	if opt.GroupPrefix == "" {
		opt.GroupPrefix = "G"
	}
	ref := svc.Ref()
	taken := map[string]bool{}
	for code := range ref.ByCode {
		taken[code] = true
	}
	for _, s := range services {
		taken[s.Code] = true
	}
	var cats []model.Category
	var metas []store.ServiceMeta
	var attrs [][]store.ServiceAttribute
	groupIdx := map[string]int{}
	n := 0
	for _, s := range services {
		s.Code, s.Group = strings.TrimSpace(s.Code), strings.TrimSpace(s.Group)
		if s.Code == "" || strings.TrimSpace(s.Name) == "" {
			return 0, fmt.Errorf("import: a service without code or name")
		}
		parent := int64(0)
		if s.Group != "" {
			i, ok := groupIdx[s.Group]
			if !ok {
				code := ""
				for {
					n++
					code = fmt.Sprintf("%s%03d", opt.GroupPrefix, n)
					if !taken[code] {
						break
					}
				}
				taken[code] = true
				i = len(cats)
				groupIdx[s.Group] = i
				cats = append(cats, model.Category{Code: code, Kind: opt.Kind, Name: s.Group, CaseType: opt.CaseType, Deadline: opt.Deadline, Public: true})
				metas = append(metas, store.ServiceMeta{})
				attrs = append(attrs, nil)
			}
			parent = -int64(i + 1)
		}
		md := s.Metadata
		cats = append(cats, model.Category{ParentID: parent, Code: s.Code, Kind: opt.Kind, Name: s.Name, CaseType: opt.CaseType, Deadline: opt.Deadline, Public: true})
		metas = append(metas, store.ServiceMeta{Description: s.Description, Keywords: s.Keywords, Type: s.Type, Metadata: &md})
		var as []store.ServiceAttribute
		for _, a := range defs[s.Code].Attributes {
			sa := store.ServiceAttribute{Code: a.Code, Datatype: a.Datatype, Required: a.Required, Variable: a.Variable,
				DatatypeDescription: a.DatatypeDescription, Description: a.Description, Order: a.Order}
			for _, v := range a.Values {
				sa.Values = append(sa.Values, store.AttributeValue{Key: v.Key, Name: v.Name})
			}
			as = append(as, sa)
		}
		attrs = append(attrs, as)
	}
	if _, err := svc.ImportOpen311Services(ctx, cats, metas, attrs); err != nil {
		return 0, err
	}
	return len(services), nil
}
