package identity

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/identity/store"
)

// Me returns the signed-in user.
func (s *Service) Me(ctx context.Context) (User, error) {
	caller, err := auth.Caller(ctx)
	if err != nil {
		return User{}, err
	}
	return s.User(ctx, caller.UserID)
}

// User returns a user of the caller's organisation; another organisation's
// user is NOT_FOUND, like one that does not exist.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	caller, err := auth.Require(ctx, auth.ReadUsers)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		u, err = q.GetUser(ctx, id)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, userNotFound()
	}
	return u, err
}

// Users returns the users of the given ids in the caller's organisation, in
// one statement, in the order of ids; ids of no such user give nil.
func (s *Service) Users(ctx context.Context, ids []string) ([]*User, error) {
	caller, err := auth.Require(ctx, auth.ReadUsers)
	if err != nil {
		return nil, err
	}
	var rows []User
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		rows, err = q.GetUsers(ctx, ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*User, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	out := make([]*User, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out, nil
}

// UserFilter narrows a list of users.
type UserFilter struct {
	Role, Status, Search *string
}

// UserPage is a page of users.
type UserPage struct {
	Users   []User
	HasNext bool
	Total   int64
}

// UserCursor is the cursor of a user in a list ordered by name.
func UserCursor(u User) string {
	return page.Cursor(strings.ToLower(u.LastName), strings.ToLower(u.FirstName), u.ID)
}

// ListUsers returns a page of the caller's organisation's users by name.
func (s *Service) ListUsers(ctx context.Context, f UserFilter, first *int, after *string) (UserPage, error) {
	caller, err := auth.Require(ctx, auth.ReadUsers)
	if err != nil {
		return UserPage{}, err
	}
	size, err := page.Size(first)
	if err != nil {
		return UserPage{}, err
	}
	p := store.ListUsersParams{Role: f.Role, Status: f.Status, MaxRows: int32(size + 1)}
	if f.Search != nil {
		term := strings.ToLower(strings.TrimSpace(*f.Search))
		term = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(term)
		p.Search = &term
	}
	var afterID string
	if ok, err := page.Decode(after, &p.AfterLast, &p.AfterFirst, &afterID); err != nil {
		return UserPage{}, err
	} else if ok {
		p.AfterID = &afterID
	}
	var res UserPage
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		rows, err := q.ListUsers(ctx, p)
		if err != nil {
			return err
		}
		res.Users, res.HasNext = page.Trim(rows, size)
		res.Total, err = q.CountUsers(ctx, store.CountUsersParams{Role: p.Role, Status: p.Status, Search: p.Search})
		return err
	})
	return res, err
}

// UserChanges are the changes of UpdateUser; nil leaves a field as it is.
type UserChanges struct {
	FirstName, LastName *string
	Role                *auth.Role
	Status              *string
}

// UpdateUser changes a user: anyone their own names; admins anyone's names,
// role and status. The last active admin cannot be demoted or deactivated.
func (s *Service) UpdateUser(ctx context.Context, id string, c UserChanges) (User, error) {
	caller, err := auth.Caller(ctx)
	if err != nil {
		return User{}, err
	}
	admin := caller.Role.Can(auth.ManageUsers)
	if !admin && (id != caller.UserID || c.Role != nil || c.Status != nil) {
		return User{}, apperr.E(apperr.Forbidden, "only admins may change other users, roles or statuses")
	}
	p := store.UpdateUserParams{ID: id}
	if p.FirstName, err = validate.OptionalText("input.firstName", c.FirstName, 100); err != nil {
		return User{}, err
	}
	if p.LastName, err = validate.OptionalText("input.lastName", c.LastName, 100); err != nil {
		return User{}, err
	}
	if c.Role != nil {
		if !c.Role.Valid() {
			return User{}, apperr.Field("input.role", "unknown role %q", *c.Role)
		}
		p.Role = (*string)(c.Role)
	}
	p.Status = c.Status
	return s.changeUser(ctx, caller, p)
}

// DeactivateUser makes a user inactive and revokes its sessions (admins).
func (s *Service) DeactivateUser(ctx context.Context, id string) (User, error) {
	caller, err := auth.Require(ctx, auth.ManageUsers)
	if err != nil {
		return User{}, err
	}
	inactive := StatusInactive
	return s.changeUser(ctx, caller, store.UpdateUserParams{ID: id, Status: &inactive})
}

func (s *Service) changeUser(ctx context.Context, caller auth.Identity, p store.UpdateUserParams) (User, error) {
	var u, before User
	err := s.inTenant(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) (err error) {
		before, err = q.GetUser(ctx, p.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			return userNotFound()
		}
		if err != nil {
			return err
		}
		if u, err = q.UpdateUser(ctx, p); err != nil {
			return err
		}
		if before.Role == string(auth.RoleAdmin) && before.Status != StatusInactive &&
			(u.Role != string(auth.RoleAdmin) || u.Status == StatusInactive) {
			n, err := q.CountActiveAdmins(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				return apperr.E(apperr.Conflict, "the organisation needs at least one active admin")
			}
		}
		if u.Status == StatusInactive && before.Status != StatusInactive {
			if err := q.RevokeUserSessions(ctx, u.ID); err != nil {
				return err
			}
			return events.Emit(ctx, tx, events.UserDeactivated, caller.TenantID, caller.UserID, userPayload(u))
		}
		return nil
	})
	if err == nil && (u.Role != before.Role || u.Status != before.Status) {
		s.revoke(ctx, caller.TenantID, u.ID) // its tokens carry the old role or status
	}
	return u, err
}

// ChangePassword changes the caller's password after checking the current
// one, and signs out its other sessions.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	caller, err := auth.Caller(ctx)
	if err != nil {
		return err
	}
	if err := auth.CheckPassword("input.newPassword", next); err != nil {
		return err
	}
	u, err := s.Me(ctx)
	if err != nil {
		return err
	}
	if !auth.PasswordMatches(u.PasswordHash, current) {
		return apperr.Field("input.currentPassword", "the current password is wrong")
	}
	hash := auth.HashPassword(next)
	return s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		if err := q.SetPassword(ctx, store.SetPasswordParams{ID: u.ID, PasswordHash: hash}); err != nil {
			return err
		}
		return q.RevokeUserSessions(ctx, u.ID)
	})
}
