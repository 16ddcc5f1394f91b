package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/auth"
)

// TestTOTPRequiredForAdmin: outside demo mode an administrator must enrol
// a second factor and give a fresh code at every login; a code works once.
func TestTOTPRequiredForAdmin(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir) // loads the demo accounts
	h.stop()
	a, err := openApp(t, context.Background(), app.Config{DataDir: dir}) // no longer demo
	if err != nil {
		t.Fatal(err)
	}
	h.app, h.srv = a, nil
	h.srv = newServer(a)
	defer h.stop()

	login := func(user, otp string) resp {
		return h.do("POST", "/api/v1/login", "", map[string]string{"username": user, "password": "yiwang-demo", "otp": otp})
	}
	code := func(r resp) any { e, _ := r.body["error"].(map[string]any); return e["code"] }
	if r := login("admin", ""); r.status != 403 || code(r) != "totp_enrollment_required" {
		t.Fatalf("admin without enrolment: %d %s", r.status, r.raw)
	}
	secret, url, err := a.Service.EnrollTOTP(context.Background(), "admin")
	if err != nil || secret == "" || url == "" {
		t.Fatal(err)
	}
	if r := login("admin", ""); r.status != 401 || code(r) != "totp_required" {
		t.Fatalf("admin without a code: %d %s", r.status, r.raw)
	}
	if r := login("admin", "123456"); r.status != 401 {
		t.Fatalf("admin with a wrong code: %d %s", r.status, r.raw)
	}
	otp, _ := auth.TOTPCode(secret, time.Now())
	if r := login("admin", otp); r.status != 200 {
		t.Fatalf("admin with the right code: %d %s", r.status, r.raw)
	}
	if r := login("admin", otp); r.status != 401 {
		t.Fatalf("the same code twice: %d %s", r.status, r.raw)
	}
	if r := login("discipline", ""); r.status != 403 {
		t.Fatalf("discipline without enrolment: %d %s", r.status, r.raw)
	}
	if r := login("operator1", ""); r.status != 200 {
		t.Fatalf("operator needs no second factor: %d %s", r.status, r.raw)
	}
}
