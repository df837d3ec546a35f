package deal

import "github.com/opencrm/opencrm/pkg/apperr"

func dealNotFound() error     { return apperr.E(apperr.NotFound, "deal not found") }
func pipelineNotFound() error { return apperr.E(apperr.NotFound, "pipeline not found") }

func stageNotFound() error { return apperr.E(apperr.NotFound, "stage not found") }
