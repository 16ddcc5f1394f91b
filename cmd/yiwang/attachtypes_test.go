package main

import (
	"slices"
	"testing"
)

func TestParseMimeList(t *testing.T) {
	got, err := parseMimeList(" Application/ZIP, ,text/plain")
	if err != nil || !slices.Equal(got, []string{"application/zip", "text/plain"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"zip", "text/plain; charset=utf-8", "/x"} {
		if _, err := parseMimeList(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
