package app_test

import (
	"testing"
)

// TestLoginLockout locks an account after five wrong passwords in a row:
// even the right password is refused with 429 and Retry-After until the
// lock ends, and other accounts are unaffected.
func TestLoginLockout(t *testing.T) {
	h := newHarness(t, t.TempDir())
	for i := 1; i <= 5; i++ {
		r := h.do("POST", "/api/v1/login", "", map[string]string{"username": "supervisor", "password": "wrong"})
		if r.status != 401 {
			t.Fatalf("attempt %d: %d %s", i, r.status, r.raw)
		}
	}
	r := h.do("POST", "/api/v1/login", "", map[string]string{"username": "supervisor", "password": "yiwang-demo"})
	if r.status != 429 || r.header.Get("Retry-After") == "" || r.body["error"].(map[string]any)["code"] != "account_locked" {
		t.Fatalf("locked account with the right password: %d %s", r.status, r.raw)
	}
	h.login("operator1") // another account still logs in
	// Four failures then a success clears the count, so four more do not lock.
	for range 2 {
		for range 4 {
			h.do("POST", "/api/v1/login", "", map[string]string{"username": "dispatcher", "password": "wrong"})
		}
		h.login("dispatcher")
	}
}
