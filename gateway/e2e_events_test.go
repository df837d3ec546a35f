package gateway_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs/comms"
	"github.com/opencrm/opencrm/subgraphs/deal"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// TestClosingADealWonLogsItAndCreatesOneFollowUp follows the seed's event
// flow end to end: closeDeal through the gateway writes deal.closed_won to
// the outbox in the deal's transaction, the relay publishes it to
// JetStream, the comms consumer logs the activity and creates the owner's
// follow-up task, and the deal's timeline shows both through the gateway.
// Published again, the event changes nothing.
func TestClosingADealWonLogsItAndCreatesOneFollowUp(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	admin := e.signUp(t, "flow-"+strings.ToLower(tenancy.NewID()[20:]))

	var created struct{ CreateDeal struct{ ID, Value string } }
	e.do(t, admin.AccessToken, `mutation { createDeal(input: {title: "Big one", value: "12000", currency: "EUR"}) { id value } }`, nil).Decode(t, &created)
	dealID := created.CreateDeal.ID
	require.Equal(t, "12000.00", created.CreateDeal.Value, "money is an exact Decimal string with its two decimals")
	e.do(t, admin.AccessToken, `mutation($id: ID!) { closeDeal(id: $id, input: {won: true}) { id } }`, map[string]any{"id": dealID}).Decode(t, &struct{}{})

	e.backbone(t)

	timeline := `query($id: ID!) { deal(id: $id) { title
		activities { totalCount edges { node { subject type } } }
		tasks { totalCount edges { node { type dueDate assignedTo { id email } } } } } }`
	type out struct {
		Deal struct {
			Title      string
			Activities struct {
				TotalCount int
				Edges      []struct {
					Node struct{ Subject, Type string }
				}
			}
			Tasks struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Type, DueDate string
						AssignedTo    struct{ ID, Email string }
					}
				}
			}
		}
	}
	var got out
	require.Eventually(t, func() bool {
		got = out{}
		r := e.do(t, admin.AccessToken, timeline, map[string]any{"id": dealID})
		if len(r.Errors) > 0 {
			t.Logf("timeline: %+v", r.Errors)
			return false
		}
		r.Decode(t, &got)
		return got.Deal.Tasks.TotalCount > 0
	}, 30*time.Second, 200*time.Millisecond, "the follow-up task appears")
	assert.Equal(t, 1, got.Deal.Tasks.TotalCount)
	task := got.Deal.Tasks.Edges[0].Node
	assert.Equal(t, "FOLLOW_UP", task.Type)
	assert.Equal(t, admin.User.ID, task.AssignedTo.ID, "the deal's owner follows up")
	assert.Equal(t, admin.User.Email, task.AssignedTo.Email, "the assignee's e-mail comes from the identity subgraph")
	due, err := time.Parse(time.RFC3339, task.DueDate)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(72*time.Hour), due, time.Hour)
	won := 0
	for _, a := range got.Deal.Activities.Edges {
		if a.Node.Subject == "Deal closed won" {
			won++
		}
	}
	assert.Equal(t, 1, won, "one closed-won activity: %+v", got.Deal.Activities.Edges)

	// The outbox row published again, under another message id: applied once.
	_, err = e.cluster.DB.Pool.Exec(context.Background(),
		`INSERT INTO platform.outbox (id, subject, tenant_id, payload)
		 SELECT id || '-again', subject, tenant_id, payload FROM platform.outbox
		 WHERE tenant_id = (SELECT tenant_id FROM platform.outbox WHERE payload->'data'->>'deal_id' = $1 LIMIT 1)
		   AND subject = 'crm.deal.closed_won'`, dealID)
	require.NoError(t, err)
	time.Sleep(2 * time.Second)
	got = out{}
	e.do(t, admin.AccessToken, timeline, map[string]any{"id": dealID}).Decode(t, &got)
	assert.Equal(t, 1, got.Deal.Tasks.TotalCount, "a redelivered event creates no second task")
}

// TestDealsForgetDeletedCompaniesAndFollowMergedContacts: the contact
// subgraph's deletions and merges reach the deal subgraph as events, so a
// deal never shows (or fails on) a company or contact that is gone.
func TestDealsForgetDeletedCompaniesAndFollowMergedContacts(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	admin := e.signUp(t, "refs-"+strings.ToLower(tenancy.NewID()[20:]))
	tok := admin.AccessToken
	id := func(r subgraphstest.Response, field string) string {
		var out map[string]struct{ ID string }
		r.Decode(t, &out)
		return out[field].ID
	}
	company := id(e.do(t, tok, `mutation { createCompany(input: {name: "Gone Ltd"}) { id } }`, nil), "createCompany")
	kept := id(e.do(t, tok, `mutation { createContact(input: {firstName: "Kim", lastName: "Kept", email: "kim@gone.example.com"}) { id } }`, nil), "createContact")
	merged := id(e.do(t, tok, `mutation { createContact(input: {firstName: "Kim", lastName: "Dup", email: "kim2@gone.example.com"}) { id } }`, nil), "createContact")
	dealID := id(e.do(t, tok, `mutation($c: ID, $p: ID) { createDeal(input: {title: "Refs", companyId: $c, primaryContactId: $p}) { id } }`,
		map[string]any{"c": company, "p": merged}), "createDeal")
	e.do(t, tok, `mutation($d: ID!, $c: ID!) { addDealContact(input: {dealId: $d, contactId: $c, role: CHAMPION}) { id } }`,
		map[string]any{"d": dealID, "c": merged}).Decode(t, &struct{}{})

	e.backbone(t)

	e.do(t, tok, `mutation($id: ID!) { deleteCompany(id: $id) }`, map[string]any{"id": company}).Decode(t, &struct{}{})
	e.do(t, tok, `mutation($k: ID!, $m: ID!) { mergeContacts(input: {keepId: $k, mergeId: $m}) { id } }`,
		map[string]any{"k": kept, "m": merged}).Decode(t, &struct{}{})

	var got struct {
		Deal struct {
			Company        *struct{ ID string }
			PrimaryContact *struct{ ID string }
			Contacts       []struct {
				Contact struct{ ID string }
				Role    string
			}
		}
	}
	require.Eventually(t, func() bool {
		r := e.do(t, tok, `query($id: ID!) { deal(id: $id) { company { id } primaryContact { id } contacts { contact { id } role } } }`, map[string]any{"id": dealID})
		if len(r.Errors) > 0 {
			return false
		}
		got.Deal.Company, got.Deal.PrimaryContact = nil, nil
		r.Decode(t, &got)
		return got.Deal.Company == nil && got.Deal.PrimaryContact != nil && got.Deal.PrimaryContact.ID == kept
	}, 30*time.Second, 200*time.Millisecond, "the deal forgets the deleted company and follows the merge, without errors")
	require.Len(t, got.Deal.Contacts, 1)
	assert.Equal(t, kept, got.Deal.Contacts[0].Contact.ID)
	assert.Equal(t, "CHAMPION", got.Deal.Contacts[0].Role)
}

// backbone runs, for the rest of the test process, what a process runs
// beside its servers: the outbox relay and the comms and deal consumers, on a
// JetStream stream of this package's own. One for the whole package: two
// relays over one database would share out each other's events.
func (e *e2e) backbone(t *testing.T) {
	t.Helper()
	listen := testenv.DirectDatabaseURL(t, "subgraphs") // LISTEN does not cross PgBouncer
	backboneOnce.Do(func() { backboneErr = startBackbone(e.cluster.DB, listen) })
	require.NoError(t, backboneErr)
}

var (
	backboneOnce sync.Once
	backboneErr  error
)

func startBackbone(db *tenancy.DB, listenURL string) error {
	// One stream for this package, made afresh by every run (as its database is).
	stream := events.Stream{Name: "TEST_GATEWAY_E2E", Prefix: "testgatewaye2e", MaxAge: time.Hour}
	_, js, err := events.Connect(testenv.NATSURL(), "gateway e2e")
	if err != nil {
		return err
	}
	_ = js.DeleteStream(context.Background(), stream.Name)
	if err := stream.Ensure(context.Background(), js); err != nil {
		return err
	}
	ctx := context.Background()
	go func() {
		_ = events.NewRelay(db, js, events.RelayConfig{Stream: stream, PollInterval: 100 * time.Millisecond, ListenURL: listenURL}).Run(ctx)
	}()
	for _, consumer := range []func() (*events.Consumer, error){
		func() (*events.Consumer, error) { return comms.New(db, comms.Config{}, nil).Consumer(js, stream) },
		func() (*events.Consumer, error) { return (&deal.Service{DB: db}).Consumer(js, stream) },
	} {
		c, err := consumer()
		if err != nil {
			return err
		}
		go func() { _ = c.Run(ctx) }()
	}
	return nil
}
