package validate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/validate"
)

func TestEmail(t *testing.T) {
	for _, ok := range []string{"a@b.co", " jane.doe+crm@example.com "} {
		_, err := validate.Email("email", ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"", "a", "a@b", "Jane <a@b.co>", "a@b.co\nBcc: x@y.z", strings.Repeat("a", 250) + "@b.co"} {
		_, err := validate.Email("email", bad)
		e, _ := apperr.As(err)
		if assert.NotNil(t, e, bad) {
			assert.Equal(t, "email", e.Field)
		}
	}
}

func TestText(t *testing.T) {
	v, err := validate.Text("name", "  Ada ", 10)
	assert.NoError(t, err)
	assert.Equal(t, "Ada", v)
	for _, bad := range []string{"", "   ", strings.Repeat("x", 11), "a\x00b"} {
		_, err := validate.Text("name", bad, 10)
		assert.Equal(t, apperr.BadUserInput, apperr.CodeOf(err), bad)
	}
}
