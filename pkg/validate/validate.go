// Package validate checks the common shapes of user input (e-mail
// addresses, names) and answers BAD_USER_INPUT naming the field.
package validate

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// Email returns the trimmed address if it is a plain e-mail address
// (local@domain, at most 254 characters, no display name).
func Email(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 || !strings.Contains(s[strings.LastIndex(s, "@"):], ".") {
		return "", apperr.Field(field, "%q is not an e-mail address", s)
	}
	return s, nil
}

// Text returns the trimmed value if it has 1 to maxLen characters and no
// control characters.
func Text(field, s string, maxLen int) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return "", apperr.Field(field, "%s must not be empty", field)
	}
	if n > maxLen {
		return "", apperr.Field(field, "%s is longer than %d characters", field, maxLen)
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", apperr.Field(field, "%s contains control characters", field)
	}
	return s, nil
}

// OptionalText is Text for an optional field: nil stays nil.
func OptionalText(field string, s *string, maxLen int) (*string, error) {
	if s == nil {
		return nil, nil
	}
	v, err := Text(field, *s, maxLen)
	return &v, err
}
