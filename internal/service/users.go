package service

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/auth"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// dummyHash is checked against when the username is unknown so a failed
// login takes as long whether or not the user exists.
var dummyHash, _ = auth.HashPassword("yiwang-timing-equaliser", auth.DefaultParams)

// Login checks a username and password and opens a session. Roles that
// require a second factor must use LoginOTP. client is the client's
// address (ClientAddr), which failures are counted against.
func (s *Service) Login(ctx context.Context, client, username, password string) (string, model.User, error) {
	return s.LoginOTP(ctx, client, username, password, "")
}

// RequiresTOTP reports whether a role must log in with a second factor:
// administrators and the discipline commission (outside demo mode).
func (s *Service) RequiresTOTP(r model.Role) bool {
	return !s.demo && (r == model.RoleAdmin || r == model.RoleDiscipline)
}

// LoginOTP checks a username, password and, where the role needs one or
// the user enrolled, a TOTP code, and opens a session. Failures slow down
// the (name, client address) pair and the address (see loginthrottle.go):
// an attempt that comes too soon is refused with *ThrottledError before
// anything is checked. A name that is not an account is answered exactly
// like a wrong password for one that is: ErrLoginFailed, after the same
// argon2id verification (against dummyHash), with the same counting.
func (s *Service) LoginOTP(ctx context.Context, client, username, password, otp string) (token string, u model.User, err error) {
	username = strings.TrimSpace(username)
	keys := loginKeysFor(username, client)
	now := s.now()
	if wait := s.logins.begin(ctx, keys, now); wait > 0 {
		return "", model.User{}, &ThrottledError{Wait: wait}
	}
	// From here every return but the success leaves the attempt counted
	// as a failure.
	u, err = s.store.UserByUsername(ctx, username)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", model.User{}, err
	}
	hash := dummyHash
	if known {
		hash = u.PasswordHash
	}
	ok, err := s.checkPassword(ctx, password, hash)
	if err != nil && ctx.Err() != nil {
		return "", model.User{}, err
	}
	if !known || !ok || u.Disabled {
		return "", model.User{}, ErrLoginFailed
	}
	if u.TOTPSecret != "" || s.RequiresTOTP(u.Role) {
		if u.TOTPSecret == "" {
			return "", u, ErrTOTPEnrollment
		}
		step, ok := auth.CheckTOTP(u.TOTPSecret, strings.TrimSpace(otp), now, u.TOTPLastStep)
		if ok {
			ok, err = s.store.UseTOTPStep(ctx, u.ID, step)
			if err != nil {
				return "", u, err
			}
		}
		if !ok {
			if otp == "" {
				return "", u, ErrTOTPRequired
			}
			return "", u, ErrLoginFailed
		}
	}
	token, tokenHash, err := auth.NewToken()
	if err != nil {
		return "", u, err
	}
	if err := s.store.CreateSession(ctx, model.Session{TokenHash: tokenHash, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.sessionTTL)}); err != nil {
		return "", u, err
	}
	s.logins.succeeded(ctx, keys, now)
	return token, u, nil
}

// checkPassword runs the argon2id verification in one of a few slots:
// each takes 19 MiB for tens of milliseconds, so a burst of logins queues
// here instead of taking the server's memory.
func (s *Service) checkPassword(ctx context.Context, password, hash string) (bool, error) {
	select {
	case s.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.hashSlots }()
	return auth.CheckPassword(password, hash)
}

// forgetLoginFailures clears the failure counts of an account's name from
// every address (an administrator's password reset does it), so its owner
// need not wait. The address counts stay: they are not the account's.
func (s *Service) forgetLoginFailures(ctx context.Context, username string) {
	s.logins.forgetName(ctx, loginKeysFor(username, ""))
}

// Authenticate returns the user a bearer token belongs to.
func (s *Service) Authenticate(ctx context.Context, token string) (model.User, error) {
	if token == "" {
		return model.User{}, ErrUnauthorized
	}
	sess, err := s.store.SessionByHash(ctx, auth.HashToken(token), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return model.User{}, ErrUnauthorized
	}
	if err != nil {
		return model.User{}, err
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil || u.Disabled {
		return model.User{}, ErrUnauthorized
	}
	return u, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.store.DeleteSession(ctx, auth.HashToken(token))
}

// NewUser is the input of AddUser.
type NewUser struct {
	Username    string
	DisplayName string
	Role        model.Role
	OrgID       int64
	Password    string
}

// AddUser validates and creates a staff account.
func (s *Service) AddUser(ctx context.Context, in NewUser) (model.User, error) {
	v := &ValidationError{}
	in.Username = strings.TrimSpace(in.Username)
	if in.Username == "" {
		v.add("username", "field.required")
	} else if utf8.RuneCountInString(in.Username) > 64 {
		v.add("username", "field.too_long", 64)
	}
	if !in.Role.Valid() || in.Role == model.RoleCitizen {
		v.add("role", "field.bad_result")
	}
	if _, ok := s.Ref().Org[in.OrgID]; !ok {
		v.add("org", "field.unknown_unit")
	} else if in.Role.Valid() && !s.Ref().OrgFitsRole(in.Role, in.OrgID) {
		// A grid worker belongs to a grid, a unit account to a unit cases
		// go to, nobody else to a grid: the scopes follow from it.
		v.add("org", "field.org_wrong_kind")
	}
	if utf8.RuneCountInString(in.Password) < 8 {
		v.add("password", "field.password_short")
	}
	if err := v.err(); err != nil {
		return model.User{}, err
	}
	hash, err := auth.HashPassword(in.Password, auth.DefaultParams)
	if err != nil {
		return model.User{}, err
	}
	if in.DisplayName == "" {
		in.DisplayName = in.Username
	}
	u := model.User{Username: in.Username, DisplayName: in.DisplayName, Role: in.Role, OrgID: in.OrgID, PasswordHash: hash, CreatedAt: s.now()}
	if err := s.store.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return u, Invalid("username", "field.username_taken")
		}
		return u, err
	}
	return u, nil
}

// Second-factor errors.
var (
	ErrTOTPRequired   = errors.New("totp code required")
	ErrTOTPEnrollment = errors.New("totp enrolment required")
)

// EnrollTOTP gives a user a new second-factor secret and returns it with
// the otpauth URL for an authenticator app.
func (s *Service) EnrollTOTP(ctx context.Context, username string) (secret, url string, err error) {
	u, err := s.store.UserByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return "", "", ErrNotFound
	}
	if err != nil {
		return "", "", err
	}
	if secret, err = auth.NewTOTPSecret(); err != nil {
		return "", "", err
	}
	if err := s.store.SetTOTP(ctx, u.ID, secret); err != nil {
		return "", "", err
	}
	return secret, auth.TOTPURL(secret, "yiwang", u.Username), nil
}
