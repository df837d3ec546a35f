package deal

import "github.com/opencrm/opencrm/pkg/apperr"

func dealNotFound() error     { return apperr.E(apperr.NotFound, "deal not found") }
func pipelineNotFound() error { return apperr.E(apperr.NotFound, "pipeline not found") }

func stageNotFound() error { return apperr.E(apperr.NotFound, "stage not found") }

// externalIDConflict is the CONFLICT of an external id another deal of the
// organisation has.
func externalIDConflict() error {
	return &apperr.Error{Code: apperr.Conflict, Field: "input.externalId", Message: "another deal of this organisation has this external id"}
}
