// Package i18n holds yiwang's message catalogue: one JSON file per language,
// zh-CN first. Keys are stable identifiers used by errors, pages and exports.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

//go:embed locales/*.json
var files embed.FS

// Default is the language used when a request asks for none we have.
const Default = "zh-CN"

// Catalog maps language → key → message.
type Catalog struct {
	msgs map[string]map[string]string
}

// Load reads the embedded catalogues and checks that every language has
// every key the default language has, so a missing translation fails tests
// rather than showing a raw key.
func Load() (*Catalog, error) {
	entries, err := files.ReadDir("locales")
	if err != nil {
		return nil, err
	}
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, e := range entries {
		data, err := files.ReadFile("locales/" + e.Name())
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", e.Name(), err)
		}
		c.msgs[strings.TrimSuffix(e.Name(), path.Ext(e.Name()))] = m
	}
	def, ok := c.msgs[Default]
	if !ok {
		return nil, fmt.Errorf("i18n: no %s catalogue", Default)
	}
	for lang, m := range c.msgs {
		for k := range def {
			if _, ok := m[k]; !ok {
				return nil, fmt.Errorf("i18n: %s lacks key %q", lang, k)
			}
		}
		for k := range m {
			if _, ok := def[k]; !ok {
				return nil, fmt.Errorf("i18n: %s has key %q that %s lacks", lang, k, Default)
			}
		}
	}
	return c, nil
}

// Languages lists the loaded languages.
func (c *Catalog) Languages() []string {
	out := make([]string, 0, len(c.msgs))
	for l := range c.msgs {
		out = append(out, l)
	}
	return out
}

// T returns the message for key in lang, formatted with args. An unknown
// language falls back to zh-CN; an unknown key returns the key itself.
func (c *Catalog) T(lang, key string, args ...any) string {
	m, ok := c.msgs[lang]
	if !ok {
		m = c.msgs[Default]
	}
	s, ok := m[key]
	if !ok {
		if s, ok = c.msgs[Default][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key exists.
func (c *Catalog) Has(key string) bool {
	_, ok := c.msgs[Default][key]
	return ok
}

// Negotiate picks a language from an Accept-Language header value: English
// when the first listed language we know is English, zh-CN otherwise.
func Negotiate(header string) string {
	for _, part := range strings.Split(header, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "en"):
			return "en"
		case strings.HasPrefix(tag, "zh"):
			return Default
		}
	}
	return Default
}
