package comms

import (
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
)

func forbiddenNotOwner(what string) error {
	return apperr.E(apperr.Forbidden, "only the %s's owner or a manager may change it", what)
}

// isNoRows reports whether err is a missing row.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
