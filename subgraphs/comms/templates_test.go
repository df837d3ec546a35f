package comms_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opencrm/opencrm/pkg/auth"
)

// A template's category is bounded like its name: one over 100 characters
// is BAD_USER_INPUT on input.category, on create and on update, not an
// INTERNAL from the column's length (found by the gateway's schema fuzz).
func TestATemplatesCategoryIsBounded(t *testing.T) {
	t.Parallel()
	e := setup(t)
	long := strings.Repeat("é", 101)
	r := e.do(t, auth.RoleManager, createTemplate, map[string]any{"in": map[string]any{"name": "Long", "subject": "s", "bodyHtml": "b", "category": long}})
	assert.Equal(t, "BAD_USER_INPUT", r.Code(), "%+v", r.Errors)
	assert.Equal(t, "input.category", r.Field())

	id := e.template(t, map[string]any{"name": "Short", "subject": "s", "bodyHtml": "b", "category": strings.Repeat("é", 100)})
	r = e.do(t, auth.RoleManager, `mutation($id: ID!, $c: String) { updateEmailTemplate(id: $id, input: {category: $c}) { id } }`,
		map[string]any{"id": id, "c": long})
	assert.Equal(t, "BAD_USER_INPUT", r.Code(), "%+v", r.Errors)
	assert.Equal(t, "input.category", r.Field())
	r = e.do(t, auth.RoleManager, `mutation($id: ID!, $c: String) { updateEmailTemplate(id: $id, input: {category: $c}) { category } }`,
		map[string]any{"id": id, "c": "welcome"})
	assert.Empty(t, r.Errors)
}
