package contact

import "github.com/opencrm/opencrm/pkg/apperr"

func companyNotFound() error { return apperr.E(apperr.NotFound, "company not found") }

func contactNotFound() error { return apperr.E(apperr.NotFound, "contact not found") }

func noSuchCompany(field, id string) error {
	return apperr.Field(field, "there is no company %q in this organisation", id)
}
