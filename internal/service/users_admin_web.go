package service

// What the accounts page (/admin/users) needs: adding an account,
// resetting a password and disabling or enabling an account, in an
// administrator's name. The command line calls the unchecked AddUser (it
// runs with the data dir's rights, not a user's). A reset and a disable
// end the account's open sessions.

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/auth"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// MaxPasswordLen bounds a typed password (argon2id takes any length; a
// bound keeps a form from hashing megabytes).
const MaxPasswordLen = 256

// passwordAlphabet leaves out look-alikes (0 O 1 l I) so a password read
// off the screen is typed right the first time.
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// GeneratePassword returns a random password of four groups of five
// (20 symbols of 56, about 116 bits).
func GeneratePassword() (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for i := 0; i < 20; {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		// Rejection sampling: 224 = 4×56, so no symbol is favoured.
		if buf[0] >= 224 {
			continue
		}
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(passwordAlphabet[int(buf[0])%len(passwordAlphabet)])
		i++
	}
	return b.String(), nil
}

// AdminAddUser is AddUser for an administrator. An empty password is
// generated; the password is returned so the page can show it once. The
// username must also be one word of printable characters: the login
// form trims spaces, so a name with spaces or control characters would be
// hard to type back.
func (s *Service) AdminAddUser(ctx context.Context, actor model.User, in NewUser) (string, model.User, error) {
	if actor.Role != model.RoleAdmin {
		return "", model.User{}, ErrForbidden
	}
	name := strings.TrimSpace(in.Username)
	if strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return "", model.User{}, Invalid("username", "field.username_format")
	}
	if utf8.RuneCountInString(in.Password) > MaxPasswordLen {
		return "", model.User{}, Invalid("password", "field.too_long", MaxPasswordLen)
	}
	if in.Password == "" {
		pw, err := GeneratePassword()
		if err != nil {
			return "", model.User{}, err
		}
		in.Password = pw
	}
	u, err := s.AddUser(ctx, in)
	u.PasswordHash = ""
	if err != nil {
		return "", u, err
	}
	return in.Password, u, nil
}

// AdminResetPassword gives an account a new generated password, returned
// once, clears a lock from wrong passwords and ends the account's open
// sessions (whoever knew the old password is signed out).
func (s *Service) AdminResetPassword(ctx context.Context, actor model.User, userID int64) (string, model.User, error) {
	if actor.Role != model.RoleAdmin {
		return "", model.User{}, ErrForbidden
	}
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return "", model.User{}, ErrNotFound
	}
	if err != nil {
		return "", model.User{}, err
	}
	u.PasswordHash = ""
	pw, err := GeneratePassword()
	if err != nil {
		return "", u, err
	}
	hash, err := auth.HashPassword(pw, auth.DefaultParams)
	if err != nil {
		return "", u, err
	}
	if err := s.store.SetPassword(ctx, u.ID, hash); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", u, ErrNotFound
		}
		return "", u, err
	}
	if err := s.store.RecordLogin(ctx, u.ID, true, time.Time{}); err != nil {
		return "", u, err
	}
	if _, err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
		return "", u, err
	}
	return pw, u, nil
}

// AdminSetDisabled disables or enables an account. Disabling ends its
// sessions at once (a disabled account's token would be refused anyway,
// but a session row should not outlive the decision). An administrator
// cannot disable their own account: the last one would lock everyone out.
func (s *Service) AdminSetDisabled(ctx context.Context, actor model.User, userID int64, disabled bool) (model.User, error) {
	if actor.Role != model.RoleAdmin {
		return model.User{}, ErrForbidden
	}
	if disabled && userID == actor.ID {
		return model.User{}, Invalid("disabled", "field.self_disable")
	}
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return model.User{}, ErrNotFound
	}
	if err != nil {
		return model.User{}, err
	}
	u.PasswordHash = ""
	if err := s.store.SetUserDisabled(ctx, u.ID, disabled); err != nil {
		return u, err
	}
	u.Disabled = disabled
	if disabled {
		if _, err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
			return u, err
		}
	}
	return u, nil
}
