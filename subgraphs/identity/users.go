package identity

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/loader"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/identity/store"
)

// Me returns the signed-in user.
func (s *Service) Me(ctx context.Context) (*User, error) {
	caller, err := auth.Caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.User(ctx, caller.UserID)
}

// User returns a user of the caller's organisation; another organisation's
// user is NOT_FOUND, like one that does not exist.
func (s *Service) User(ctx context.Context, id string) (*User, error) {
	users, err := s.Users(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if users[0] == nil {
		return nil, userNotFound()
	}
	return users[0], nil
}

// Users returns the users of the given ids in the caller's organisation, in
// one statement, in the order of ids; ids of no such user give nil.
func (s *Service) Users(ctx context.Context, ids []string) ([]*User, error) {
	var out []*User
	err := s.queries().As(ctx, auth.ReadUsers, func(q *store.Queries, _ pgx.Tx, caller auth.Identity) error {
		rows, err := q.GetUsers(ctx, ids)
		out = loader.InOrder(ids, usersOf(caller.TenantID, rows), func(u User) string { return u.ID })
		return err
	})
	return out, err
}

// UserFilter narrows a list of users; nil fields do not.
type UserFilter struct {
	Role   *auth.Role
	Status *UserStatus
	// Search matches the start of first name, last name or e-mail, ignoring case.
	Search *string
}

// ListUsers returns a page of the caller's organisation's users by name.
func (s *Service) ListUsers(ctx context.Context, f *UserFilter, first *int, after *string) (*UserConnection, error) {
	var conn *UserConnection
	err := s.queries().As(ctx, auth.ReadUsers, func(q *store.Queries, _ pgx.Tx, caller auth.Identity) error {
		size, err := page.Size(first)
		if err != nil {
			return err
		}
		p, err := listParams(f, size, after)
		if err != nil {
			return err
		}
		rows, err := q.ListUsers(ctx, p)
		if err != nil {
			return err
		}
		total, err := q.CountUsers(ctx, store.CountUsersParams{Role: p.Role, Status: p.Status, Search: p.Search})
		conn = page.NewConnection(usersOf(caller.TenantID, rows), size, after, User.cursor, total)
		return err
	})
	return conn, err
}

// listParams are the query's parameters for a page of size users after a cursor.
func listParams(f *UserFilter, size int, after *string) (store.ListUsersParams, error) {
	p := store.ListUsersParams{MaxRows: int32(size + 1)}
	if f != nil {
		p.Role, p.Status = (*string)(f.Role), (*string)(f.Status)
	}
	if f != nil && f.Search != nil {
		term := fold(*f.Search)
		term = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(term)
		p.Search = &term
	}
	var afterID string
	ok, err := page.Decode(after, &p.AfterLast, &p.AfterFirst, &afterID)
	if ok {
		p.AfterID = &afterID
	}
	return p, err
}

// UpdateUserInput changes a user; nil leaves a field as it is.
type UpdateUserInput struct {
	FirstName, LastName *string
	// Role and Status are for admins only.
	Role   *auth.Role
	Status *UserStatus
}

// UpdateUser changes a user: anyone their own names; admins anyone's names,
// role and status. The last active admin cannot be demoted or deactivated.
func (s *Service) UpdateUser(ctx context.Context, id string, in UpdateUserInput) (*User, error) {
	caller, err := auth.Caller(ctx)
	if err == nil && caller.IsAPIKey() {
		// A key changes users as an admin does or not at all: it has no
		// "own" user (its creator's names are the creator's to change).
		caller, err = auth.Require(ctx, auth.ManageUsers)
	}
	if err != nil {
		return nil, err
	}
	admin := caller.Role.Can(auth.ManageUsers)
	if !admin && (id != caller.UserID || in.Role != nil || in.Status != nil) {
		return nil, apperr.E(apperr.Forbidden, "only admins may change other users, roles or statuses")
	}
	p := store.UpdateUserParams{ID: id, Role: (*string)(in.Role), Status: (*string)(in.Status)}
	if p.FirstName, err = validate.OptionalText("input.firstName", in.FirstName, 100); err != nil {
		return nil, err
	}
	if p.LastName, err = validate.OptionalText("input.lastName", in.LastName, 100); err != nil {
		return nil, err
	}
	if in.Role != nil && !in.Role.Valid() {
		return nil, apperr.Field("input.role", "unknown role %q", *in.Role)
	}
	return s.changeUser(ctx, caller, p)
}

// DeactivateUser makes a user inactive and revokes its sessions (admins).
func (s *Service) DeactivateUser(ctx context.Context, id string) (*User, error) {
	caller, err := auth.Require(ctx, auth.ManageUsers)
	if err != nil {
		return nil, err
	}
	inactive := string(UserInactive)
	return s.changeUser(ctx, caller, store.UpdateUserParams{ID: id, Status: &inactive})
}

// changeUser applies p, keeping an active admin even under concurrent
// changes (the organisation's admin lock is taken first), and signs a deactivated
// user out everywhere.
func (s *Service) changeUser(ctx context.Context, caller auth.Identity, p store.UpdateUserParams) (*User, error) {
	var u, before User
	err := s.queries().In(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		if p.Role != nil || p.Status != nil {
			// Two admins demoting or deactivating each other at once would
			// each count the other still active: the lock serialises them.
			if err := q.LockActiveAdmins(ctx); err != nil {
				return err
			}
		}
		row, err := q.GetUser(ctx, p.ID)
		if noRow(err) {
			return userNotFound()
		}
		if err != nil {
			return err
		}
		before = userOf(caller.TenantID, row)
		if row, err = q.UpdateUser(ctx, p); err != nil {
			return err
		}
		u = userOf(caller.TenantID, row)
		if before.activeAdmin() && !u.activeAdmin() {
			n, err := q.CountActiveAdmins(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				return apperr.E(apperr.Conflict, "the organisation needs at least one active admin")
			}
		}
		if u.Status == UserInactive && before.Status != UserInactive {
			if err := q.RevokeUserSessions(ctx, u.ID); err != nil {
				return err
			}
			return events.Emit(ctx, tx, events.UserDeactivated, caller.TenantID, caller.UserID, userPayload(u))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if u.Role != before.Role || u.Status != before.Status {
		s.revoke(ctx, caller.TenantID, u.ID) // its tokens carry the old role or status
	}
	return &u, nil
}

// activeAdmin reports whether the user counts towards the organisation's
// required active admin.
func (u User) activeAdmin() bool { return u.Role == auth.RoleAdmin && u.Status != UserInactive }

// ChangePasswordInput changes the caller's password.
type ChangePasswordInput struct{ CurrentPassword, NewPassword string }

// ChangePassword changes the caller's password after checking the current
// one and, like ResetPassword, signs out every session of the user: its
// refresh tokens and (a revocation mark) every access token issued before,
// the caller's own included.
func (s *Service) ChangePassword(ctx context.Context, in ChangePasswordInput) error {
	if _, err := auth.Person(ctx); err != nil {
		return err
	}
	if err := auth.CheckPassword("input.newPassword", in.NewPassword); err != nil {
		return err
	}
	u, err := s.Me(ctx)
	if err != nil {
		return err
	}
	if !auth.PasswordMatches(u.passwordHash, in.CurrentPassword) {
		return apperr.Field("input.currentPassword", "the current password is wrong")
	}
	hash := auth.HashPassword(in.NewPassword)
	err = s.queries().In(ctx, u.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		if err := q.SetPassword(ctx, store.SetPasswordParams{ID: u.ID, PasswordHash: hash}); err != nil {
			return err
		}
		return q.RevokeUserSessions(ctx, u.ID)
	})
	if err == nil {
		// As a reset does: whoever held the old password keeps no access
		// token either; the caller signs in again with the new one.
		s.revoke(ctx, u.TenantID, u.ID)
	}
	return err
}
