package identity

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/identity/store"
)

// SignUpInput registers an organisation and its first admin.
type SignUpInput struct {
	OrganizationName, Subdomain, Email, Password, FirstName, LastName string
}

// newUser is a validated user to insert.
type newUser struct {
	email, first, last, hash string
}

// checkNewUser validates a new user's fields and hashes its password.
func checkNewUser(email, password, first, last string) (newUser, error) {
	var u newUser
	var err error
	if u.email, err = validate.Email("input.email", email); err != nil {
		return u, err
	}
	if err = auth.CheckPassword("input.password", password); err != nil {
		return u, err
	}
	if u.first, err = validate.Text("input.firstName", first, 100); err != nil {
		return u, err
	}
	if u.last, err = validate.Text("input.lastName", last, 100); err != nil {
		return u, err
	}
	u.hash = auth.HashPassword(password)
	return u, nil
}

// SignUp creates the organisation, its schema and its first admin in one
// transaction, signs the admin in and e-mails an address verification link.
func (s *Service) SignUp(ctx context.Context, in SignUpInput) (*AuthPayload, error) {
	name, err := validate.Text("input.organizationName", in.OrganizationName, 255)
	if err != nil {
		return nil, err
	}
	sub := fold(in.Subdomain)
	if err := tenancy.ValidateSubdomain("input.subdomain", sub); err != nil {
		return nil, err
	}
	nu, err := checkNewUser(in.Email, in.Password, in.FirstName, in.LastName)
	if err != nil {
		return nil, err
	}
	var sess *AuthPayload
	var verifyToken string
	_, err = s.DB.Provision(ctx, name, sub, func(tx pgx.Tx, t tenancy.Tenant) error {
		q := store.New(tx)
		u, err := insertUser(ctx, q, t.ID, nu, auth.RoleAdmin, nil)
		if err != nil {
			return err
		}
		if sess, err = s.startSession(ctx, q, "", u); err != nil {
			return err
		}
		if verifyToken, err = issueUserToken(ctx, q, t.ID, u.ID, "email_verification", EmailVerificationTTL); err != nil {
			return err
		}
		if err := events.Emit(ctx, tx, events.TenantCreated, t.ID, u.ID,
			events.TenantPayload{TenantID: t.ID, Name: t.Name, Subdomain: t.Subdomain}); err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.UserCreated, t.ID, u.ID, userPayload(u))
	})
	if err != nil {
		return nil, err
	}
	s.send(ctx, mail.Message{Kind: mail.EmailVerification, TenantID: sess.User.TenantID, To: nu.email,
		Data: map[string]string{"token": verifyToken, "organization": name, "first_name": nu.first}})
	return sess, nil
}

// insertUser adds an active user; an address already used in the tenant is
// a CONFLICT.
func insertUser(ctx context.Context, q *store.Queries, tenantID string, nu newUser, role auth.Role, createdBy *string) (User, error) {
	if _, err := q.GetUserByEmail(ctx, nu.email); err == nil {
		return User{}, emailTaken()
	} else if !noRow(err) {
		return User{}, err
	}
	row, err := q.InsertUser(ctx, store.InsertUserParams{
		ID: tenancy.NewID(), Email: nu.email, PasswordHash: nu.hash, FirstName: nu.first, LastName: nu.last,
		Role: string(role), Status: string(UserActive), EmailVerified: false, CreatedBy: createdBy,
	})
	return userOf(tenantID, row), err
}

// userPayload is what the user events tell of a user.
func userPayload(u User) events.UserPayload {
	return events.UserPayload{UserID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Role: string(u.Role)}
}
