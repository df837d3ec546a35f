package contact

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opencrm/opencrm/pkg/apperr"
)

func companyNotFound() error { return apperr.E(apperr.NotFound, "company not found") }

func contactNotFound() error { return apperr.E(apperr.NotFound, "contact not found") }

func noSuchCompany(field, id string) error {
	return &apperr.Error{Code: apperr.NotFound, Field: field, Message: fmt.Sprintf("there is no company %q in this organisation", id)}
}

// found turns a lookup's "no rows" into the record's NOT_FOUND.
func found(err error, notFound func() error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound()
	}
	return err
}

// one returns the record of a lookup of one id, or its NOT_FOUND.
func one[T any](notFound func() error) func([]T, error) (T, error) {
	return func(ts []T, err error) (T, error) {
		var zero T
		if err == nil && len(ts) == 0 {
			err = notFound()
		}
		if err != nil {
			return zero, err
		}
		return ts[0], nil
	}
}

// externalIDTaken turns the violation of an external id's unique index (a
// record of the organisation has it already) into the CONFLICT of
// input.externalId; other errors stay as they are.
func externalIDTaken(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && strings.HasSuffix(pe.ConstraintName, "_external_id") {
		return &apperr.Error{Code: apperr.Conflict, Field: "input.externalId", Message: "another record of this organisation has this external id"}
	}
	return err
}
