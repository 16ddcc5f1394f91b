package service

// What the accounts page (/admin/users) needs: adding an account,
// resetting a password, disabling or enabling an account and moving it
// to another org unit, in an administrator's name. The command line calls
// the unchecked AddUser (it runs with the data dir's rights, not a
// user's). A reset and a disable end the account's open sessions; a move
// does not (see AdminSetUserOrg).

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
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
// once, forgets the wrong passwords typed for its name (from any
// address: its owner can log in at once) and ends the account's open
// sessions (whoever knew the old password is signed out).
func (s *Service) AdminResetPassword(ctx context.Context, actor model.User, userID int64) (string, model.User, error) {
	if actor.Role != model.RoleAdmin {
		return "", model.User{}, ErrForbidden
	}
	u, err := s.accountFor(ctx, userID)
	if err != nil {
		return "", u, err
	}
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
	s.forgetLoginFailures(ctx, u.Username)
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
	u, err := s.accountFor(ctx, userID)
	if err != nil {
		return u, err
	}
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

// OrgFitsRole reports whether an account of role may belong to the org:
// a grid worker to a unit grid (their grid scopes their work), a handling
// unit to a unit cases can be dispatched to, any other role to an org
// that is not a grid. Every demo account's org passes.
func (r *Reference) OrgFitsRole(role model.Role, orgID int64) bool {
	o, ok := r.Org[orgID]
	if !ok {
		return false
	}
	switch role {
	case model.RoleGridWorker:
		return o.Kind == model.OrgGrid
	case model.RoleUnit:
		return r.Dispatchable(orgID)
	}
	return o.Kind != model.OrgGrid
}

// AdminSetUserOrg moves an account to another org unit (a grid worker
// takes over another grid, a unit's staff member moves to another
// department). The org must exist ("field.unknown_unit") and fit the
// account's role ("field.org_wrong_kind"); moving to the org the account
// already has writes nothing. The account keeps its sessions: Authenticate
// reads the account from the store on every request, so the move scopes
// the account's very next request (a page or an API call) to the new org.
func (s *Service) AdminSetUserOrg(ctx context.Context, actor model.User, userID, orgID int64) (model.User, error) {
	if actor.Role != model.RoleAdmin {
		return model.User{}, ErrForbidden
	}
	u, err := s.accountFor(ctx, userID)
	if err != nil {
		return u, err
	}
	ref := s.Ref()
	if _, ok := ref.Org[orgID]; !ok {
		return u, Invalid("org", "field.unknown_unit")
	}
	if !ref.OrgFitsRole(u.Role, orgID) {
		return u, Invalid("org", "field.org_wrong_kind")
	}
	if u.OrgID == orgID {
		return u, nil
	}
	if err := s.store.SetUserOrg(ctx, u.ID, orgID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return u, ErrNotFound
		}
		return u, err
	}
	u.OrgID = orgID
	return u, nil
}

// accountFor reads the account an administrator acts on, without its
// password hash; ErrNotFound when there is none.
func (s *Service) accountFor(ctx context.Context, userID int64) (model.User, error) {
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return model.User{}, ErrNotFound
	}
	if err != nil {
		return model.User{}, err
	}
	u.PasswordHash = ""
	return u, nil
}
