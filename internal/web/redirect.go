package web

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// localPath reports whether s may be used as a redirect target: a path on
// this site and nothing a browser could read as another site. The target
// comes from the visitor (login's "next", a form's "back"), so it is
// checked for what browsers do with a Location header, not for what Go's
// URL parser does:
//
//   - browsers drop tabs and newlines anywhere in a URL and read "\" as
//     "/", so "/\t/evil.example" and "/\evil.example" both mean
//     "//evil.example", another host;
//   - proxies and some frameworks decode the path once more, so
//     "/%2F%2Fevil.example" and "/%5Cevil.example" may become the same, and
//     "%252F" is the same again one decoding later;
//   - some stacks fold full-width and other look-alike solidi (U+FF0F "／",
//     U+2215 "∕" …) to "/".
//
// So s must start with exactly one "/", be valid UTF-8, and in every form
// up to three percent-decodings deep contain no control or invisible
// format character, no backslash and no look-alike solidus, and not start
// with "//"; and it must parse as a URL with neither scheme nor host.
// Anything else is refused and the caller falls back to a page of its own.
func localPath(s string) bool {
	if len(s) == 0 || s[0] != '/' || !utf8.ValidString(s) {
		return false
	}
	if u, err := url.Parse(s); err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return false
	}
	form := s
	for range 4 { // s itself and three decodings
		if strings.HasPrefix(form, "//") || !utf8.ValidString(form) || strings.IndexFunc(form, unsafeRune) >= 0 {
			return false
		}
		next, err := url.PathUnescape(form)
		if err != nil {
			return false // a stray "%" no server would decode alike
		}
		if next == form {
			return true
		}
		form = next
	}
	return false // still encoded after three decodings: nobody needs that
}

// unsafeRune: control characters (C0, DEL, C1), invisible format
// characters (zero-width space, bidirectional overrides …), the backslash
// and characters that look like or fold to a solidus.
func unsafeRune(r rune) bool {
	switch r {
	case '\\', '\uFF0F', '\uFF3C', '\u2044', '\u2215', '\u2216', '\u29F5', '\u29F8', '\u29F9', '\uFE68', '\u3033', '\u3035':
		return true
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || (r != ' ' && unicode.IsSpace(r))
}
