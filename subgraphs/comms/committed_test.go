package comms_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs/comms"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// sendEmail answers with the template its transaction read and the activity
// it recorded: with every read after the commit failing (the database
// restarting), the queued message still comes back whole, not INTERNAL for
// a message that will be sent.
func TestSendEmailAnswersWhatItsTransactionReadWhenReadsFailAfterTheCommit(t *testing.T) {
	t.Parallel()
	e := setup(t)
	contactID := tenancy.NewID()
	e.apply(t, events.ContactCreated, "", events.ContactPayload{ContactID: contactID, FirstName: "Ann", LastName: "Lee", Email: "ann@client.example.com"})
	tpl := e.template(t, map[string]any{"name": "Hello", "subject": "Hi {{first_name}}", "bodyHtml": "<p>Hi</p>"})

	breaker := testenv.NewCommitBreaker(t, "subgraphs")
	svc := comms.New(&tenancy.DB{Pool: breaker.Pool, Platform: e.c.DB.Platform, Tenant: e.c.DB.Tenant}, e.svc.Config, nil)
	srv := httptest.NewServer(serve(svc, e.c.Deps))
	t.Cleanup(srv.Close)

	disarm := breaker.Arm()
	r := subgraphstest.Do(t, srv.URL+"/graphql", e.token(t, auth.RoleSalesRep), sendEmail,
		map[string]any{"in": map[string]any{"templateId": tpl, "contactId": contactID}})
	disarm()
	require.Empty(t, r.Errors, "%+v", r.Errors)
	require.True(t, breaker.Committed(), "the message was queued")
	var out struct {
		SendEmail struct {
			messageOut
			Template struct{ Name string }
		}
	}
	r.Decode(t, &out)
	assert.Equal(t, "Hello", out.SendEmail.Template.Name)
	assert.Equal(t, "EMAIL", out.SendEmail.Activity.Type)
	assert.Equal(t, "Hi Ann", out.SendEmail.Subject)

	// Reads fail as they should: the pool is down for them.
	up := breaker.Down()
	r = subgraphstest.Do(t, srv.URL+"/graphql", e.token(t, auth.RoleSalesRep), `{ emailTemplates { id } }`, nil)
	up()
	assert.Equal(t, "INTERNAL", r.Code(), "a read after the commit fails (the test's failure is real)")
}
