package identity

import "github.com/opencrm/opencrm/pkg/apperr"

func suspended() error {
	return apperr.E(apperr.TenantSuspended, "this organisation is suspended: contact support")
}

func wrongCredentials() error {
	return apperr.E(apperr.Unauthenticated, "the e-mail address or password is wrong")
}

func badToken(field, what string) error {
	return apperr.Field(field, "the %s is invalid, expired or already used", what)
}

func userNotFound() error { return apperr.E(apperr.NotFound, "user not found") }
