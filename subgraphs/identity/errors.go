package identity

import (
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// noRow reports whether a query found no row.
func noRow(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// suspended is the answer when a suspended organisation is used.
func suspended() error {
	return apperr.E(apperr.TenantSuspended, "this organisation is suspended: contact support")
}

// wrongCredentials does not say which credential was wrong.
func wrongCredentials() error {
	return apperr.E(apperr.Unauthenticated, "the e-mail address or password is wrong")
}

// badToken is the answer to an e-mailed token that does not work.
func badToken(field, what string) error {
	return apperr.Field(field, "the %s is invalid, expired or already used", what)
}

// userNotFound is the answer for a user of no such id in the caller's organisation.
func userNotFound() error { return apperr.E(apperr.NotFound, "user not found") }

// emailTaken is the answer to a new user with an address another user of the
// organisation has.
func emailTaken() error {
	return &apperr.Error{Code: apperr.Conflict, Field: "input.email",
		Message: "a user with this e-mail address already exists in the organisation"}
}
