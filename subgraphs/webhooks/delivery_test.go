package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/webhooks"
)

func TestAWonDealArrivesSignedAndVerifiable(t *testing.T) {
	t.Parallel()
	e := setup(t, testConfig())
	e.start(t)
	r := newReceiver(t)
	_, secret := e.endpoint(t, map[string]any{"url": r.URL(), "eventTypes": []string{"deal.closed_won"}})
	r.Trust(secret)

	// The deal subgraph creates and wins the deal: its events go through
	// the outbox, the relay and JetStream like any other.
	admin := e.c.Token(t, e.users[auth.RoleAdmin])
	var created struct{ CreateDeal struct{ ID string } }
	doAs(t, e.c.URLs["deal"], admin, `mutation { createDeal(input: {title: "Big deal", value: "12000", currency: "EUR"}) { id } }`, nil).Decode(t, &created)
	dealID := created.CreateDeal.ID
	doAs(t, e.c.URLs["deal"], admin, `mutation($id: ID!) { closeDeal(id: $id, input: {won: true}) { id } }`, map[string]any{"id": dealID}).Decode(t, &struct{}{})
	require.Eventually(t, func() bool { return len(r.Got()) > 0 }, 20*time.Second, 20*time.Millisecond, "the won deal arrives")
	e.idle(t)

	got := r.Got()
	require.Len(t, got, 1, "deal.created is not selected")
	assert.Zero(t, r.bad, "every request verifies")
	assert.Regexp(t, `^v1,[A-Za-z0-9+/]+=*$`, got[0].Signature, "one v1 signature")
	b := got[0].Body
	assert.Equal(t, got[0].ID, b["id"], "webhook-id is the event id, and so is the body's id")
	assert.Equal(t, "deal.closed_won", b["type"])
	assert.Equal(t, e.tenantID, b["tenant_id"])
	assert.Equal(t, e.users[auth.RoleAdmin].UserID, b["actor"])
	assert.Equal(t, "user", b["actor_kind"])
	assert.NotEmpty(t, b["timestamp"])
	data := b["data"].(map[string]any)
	assert.Equal(t, dealID, data["deal_id"])
	assert.Equal(t, "Big deal", data["title"])
	assert.Equal(t, 12000.0, data["value"])
	assert.Equal(t, true, data["won"])
	assert.NotEmpty(t, data["pipeline_id"])
}

func TestPatternsAndFiltersSelectExactlyTheRightEvents(t *testing.T) {
	t.Parallel()
	e := setup(t, testConfig())
	e.start(t)
	pipeline, other := tenancy.NewID(), tenancy.NewID()
	all, deals, created, filtered := newReceiver(t), newReceiver(t), newReceiver(t), newReceiver(t)
	for _, x := range []struct {
		r  *receiver
		in map[string]any
	}{
		{all, map[string]any{"eventTypes": []string{"*"}}},
		{deals, map[string]any{"eventTypes": []string{"deal.*"}}},
		{created, map[string]any{"eventTypes": []string{"contact.created", "company.created"}}},
		{filtered, map[string]any{"eventTypes": []string{"deal.*"}, "filter": map[string]any{"pipeline_id": pipeline, "won": true}}},
	} {
		x.in["url"] = x.r.URL()
		_, secret := e.endpoint(t, x.in)
		x.r.Trust(secret)
	}
	// A disabled endpoint receives nothing.
	off := newReceiver(t)
	_, secret := e.endpoint(t, map[string]any{"url": off.URL(), "eventTypes": []string{"*"}, "enabled": false})
	off.Trust(secret)

	contact := emit(t, e.c.DB, e.tenantID, events.ContactCreated, events.ContactPayload{ContactID: tenancy.NewID()})
	contactUpdated := emit(t, e.c.DB, e.tenantID, events.ContactUpdated, events.ContactPayload{ContactID: tenancy.NewID()})
	company := emit(t, e.c.DB, e.tenantID, events.CompanyCreated, events.CompanyPayload{CompanyID: tenancy.NewID()})
	wonHere := emit(t, e.c.DB, e.tenantID, events.DealClosedWon, events.DealPayload{DealID: tenancy.NewID(), PipelineID: pipeline, Won: true})
	wonThere := emit(t, e.c.DB, e.tenantID, events.DealClosedWon, events.DealPayload{DealID: tenancy.NewID(), PipelineID: other, Won: true})
	lostHere := emit(t, e.c.DB, e.tenantID, events.DealClosedLost, events.DealPayload{DealID: tenancy.NewID(), PipelineID: pipeline})
	task := emit(t, e.c.DB, e.tenantID, events.TaskCreated, events.TaskPayload{TaskID: tenancy.NewID()})
	for _, id := range []string{contact, contactUpdated, company, wonHere, wonThere, lostHere, task} {
		e.handled(t, id)
	}
	e.idle(t)

	assert.ElementsMatch(t, []string{contact, contactUpdated, company, wonHere, wonThere, lostHere, task}, all.ids())
	assert.ElementsMatch(t, []string{wonHere, wonThere, lostHere}, deals.ids())
	assert.ElementsMatch(t, []string{contact, company}, created.ids())
	assert.ElementsMatch(t, []string{wonHere}, filtered.ids(), "deals of the pipeline, and won")
	assert.Empty(t, off.ids())
	assert.Zero(t, off.Requests())
}

func TestAReceiverDownForAWhileGetsTheEventOnceItIsBack(t *testing.T) {
	t.Parallel()
	e := setup(t, testConfig())
	e.start(t)
	r := newReceiver(t)
	endpoint, secret := e.endpoint(t, map[string]any{"url": r.URL(), "eventTypes": []string{"contact.*"}})
	r.Trust(secret)
	r.SetDown(true)

	id := emit(t, e.c.DB, e.tenantID, events.ContactCreated, events.ContactPayload{ContactID: tenancy.NewID()})
	require.Eventually(t, func() bool { return r.Requests() >= 3 }, 20*time.Second, 10*time.Millisecond, "retried while down")
	assert.Empty(t, r.Got())
	r.SetDown(false)
	r.waitFor(t, id)
	e.idle(t)
	assert.Equal(t, []string{id}, r.ids(), "once, after it came back")

	var out struct {
		WebhookDeliveries struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					EventID, Status string
					AttemptCount    int
					Attempts        []struct {
						StatusCode      *int
						ResponseExcerpt string
						LatencyMs       int
					}
				}
			}
		}
	}
	e.do(t, auth.RoleAdmin, `query($id: ID!) { webhookDeliveries(endpointId: $id) { totalCount edges { node {
		eventId status attemptCount attempts { statusCode responseExcerpt latencyMs } } } } }`, map[string]any{"id": endpoint}).Decode(t, &out)
	require.Equal(t, 1, out.WebhookDeliveries.TotalCount)
	d := out.WebhookDeliveries.Edges[0].Node
	assert.Equal(t, id, d.EventID)
	assert.Equal(t, "SUCCEEDED", d.Status)
	assert.GreaterOrEqual(t, d.AttemptCount, 4)
	require.Len(t, d.Attempts, d.AttemptCount)
	assert.Equal(t, 200, *d.Attempts[0].StatusCode, "newest first: the success")
	assert.Equal(t, `{"ok":true}`, d.Attempts[0].ResponseExcerpt)
	assert.Equal(t, 503, *d.Attempts[len(d.Attempts)-1].StatusCode)
	assert.Contains(t, d.Attempts[len(d.Attempts)-1].ResponseExcerpt, "down for maintenance")
}

func TestAPermanentlyFailingEndpointEndsDisabled(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	// Retries every 50 ms; "three days" of failing is 300 ms here.
	cfg.Schedule = slices.Repeat([]time.Duration{50 * time.Millisecond}, 1000)
	cfg.DisableAfter = 300 * time.Millisecond
	e := setup(t, cfg)
	e.start(t)
	r := newReceiver(t)
	endpoint, _ := e.endpoint(t, map[string]any{"url": r.URL(), "eventTypes": []string{"*"}})
	r.SetDown(true)
	first := emit(t, e.c.DB, e.tenantID, events.TaskCreated, events.TaskPayload{TaskID: tenancy.NewID()})
	e.handled(t, first)

	var out struct {
		WebhookEndpoint struct {
			Enabled        bool
			DisabledReason *string
		}
	}
	require.Eventually(t, func() bool {
		e.do(t, auth.RoleAdmin, `query($id: ID!) { webhookEndpoint(id: $id) { enabled disabledReason } }`, map[string]any{"id": endpoint}).Decode(t, &out)
		return !out.WebhookEndpoint.Enabled
	}, 20*time.Second, 20*time.Millisecond)
	require.NotNil(t, out.WebhookEndpoint.DisabledReason)
	assert.Contains(t, *out.WebhookEndpoint.DisabledReason, "HTTP 503")
	e.idle(t)

	// Disabled: later events queue nothing and nothing is sent.
	requests := r.Requests()
	later := emit(t, e.c.DB, e.tenantID, events.TaskCreated, events.TaskPayload{TaskID: tenancy.NewID()})
	e.handled(t, later)
	var pending, failed int
	require.NoError(t, e.c.DB.InTenant(context.Background(), e.tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'failed')
			FROM webhook_deliveries`).Scan(&pending, &failed)
	}))
	assert.Equal(t, 0, pending)
	assert.Equal(t, 1, failed)
	assert.Equal(t, requests, r.Requests())

	// The due-work index is settled: nothing due for the tenant.
	var never bool
	require.NoError(t, e.c.DB.InPlatform(context.Background(), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), "SELECT due_at = 'infinity' FROM platform.due_work WHERE tenant_id = $1 AND queue = 'webhooks'", e.tenantID).Scan(&never)
	}))
	assert.True(t, never, "nothing due")
}

func TestReplayResendsOneDeliveryWithItsIdAndBody(t *testing.T) {
	t.Parallel()
	e := setup(t, testConfig())
	e.start(t)
	r := newReceiver(t)
	endpoint, secret := e.endpoint(t, map[string]any{"url": r.URL(), "eventTypes": []string{"*"}})
	r.Trust(secret)
	a := emit(t, e.c.DB, e.tenantID, events.CompanyCreated, events.CompanyPayload{CompanyID: tenancy.NewID(), Name: "A"})
	b := emit(t, e.c.DB, e.tenantID, events.CompanyCreated, events.CompanyPayload{CompanyID: tenancy.NewID(), Name: "B"})
	r.waitFor(t, a, b)
	e.idle(t)

	var list struct {
		WebhookDeliveries struct {
			Edges []struct{ Node struct{ ID, EventID string } }
		}
	}
	e.do(t, auth.RoleAdmin, `query($id: ID!) { webhookDeliveries(endpointId: $id, status: SUCCEEDED) { edges { node { id eventId } } } }`,
		map[string]any{"id": endpoint}).Decode(t, &list)
	require.Len(t, list.WebhookDeliveries.Edges, 2)
	var delivery string
	for _, ed := range list.WebhookDeliveries.Edges {
		if ed.Node.EventID == a {
			delivery = ed.Node.ID
		}
	}
	var replayed struct{ ReplayWebhookDelivery struct{ Status string } }
	e.do(t, auth.RoleAdmin, `mutation($id: ID!) { replayWebhookDelivery(id: $id) { status } }`, map[string]any{"id": delivery}).Decode(t, &replayed)
	assert.Equal(t, "PENDING", replayed.ReplayWebhookDelivery.Status)
	require.Eventually(t, func() bool { return len(r.Got()) == 3 }, 20*time.Second, 10*time.Millisecond)
	e.idle(t)
	got := r.Got()
	assert.Equal(t, a, got[2].ID, "the replay has the event's webhook-id")
	first := slices.IndexFunc(got[:2], func(g received) bool { return g.ID == a })
	require.GreaterOrEqual(t, first, 0)
	assert.Equal(t, got[first].Body, got[2].Body, "and its body")
	assert.Len(t, r.Got(), 3, "one delivery re-sent, no other")

	// A test webhook goes to the endpoint whatever its patterns.
	var test struct {
		SendTestWebhook struct{ EventID, EventType string }
	}
	e.do(t, auth.RoleAdmin, `mutation($id: ID!) { sendTestWebhook(endpointId: $id) { eventId eventType } }`, map[string]any{"id": endpoint}).Decode(t, &test)
	assert.Equal(t, webhooks.TestEventType, test.SendTestWebhook.EventType)
	r.waitFor(t, test.SendTestWebhook.EventID)
}

func TestARotatedSecretAndThePreviousOneBothSignForTheOverlap(t *testing.T) {
	t.Parallel()
	e := setup(t, testConfig())
	e.start(t)
	r := newReceiver(t)
	endpoint, old := e.endpoint(t, map[string]any{"url": r.URL(), "eventTypes": []string{"*"}})

	var rotated struct {
		RotateWebhookSecret struct {
			Secret   string
			Endpoint struct{ PreviousSecretExpiresAt time.Time }
		}
	}
	e.do(t, auth.RoleAdmin, `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { previousSecretExpiresAt } } }`,
		map[string]any{"id": endpoint}).Decode(t, &rotated)
	fresh := rotated.RotateWebhookSecret.Secret
	require.NotEqual(t, old, fresh)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), rotated.RotateWebhookSecret.Endpoint.PreviousSecretExpiresAt, time.Second)

	// During the overlap a receiver that knows only the old secret verifies,
	// and so does one that knows only the new.
	r.Trust(old)
	during := emit(t, e.c.DB, e.tenantID, events.TaskCreated, events.TaskPayload{TaskID: tenancy.NewID()})
	r.waitFor(t, during)
	r.Trust(fresh)
	during2 := emit(t, e.c.DB, e.tenantID, events.TaskCreated, events.TaskPayload{TaskID: tenancy.NewID()})
	r.waitFor(t, during2)
	assert.Len(t, r.Got()[0].Signature, 2*len("v1,")+2*44+1, "two signatures")

	// Once the overlap is over, only the new one signs.
	require.NoError(t, e.c.DB.InTenant(context.Background(), e.tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), "UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1", endpoint)
		return err
	}))
	r.Trust(old)
	after := emit(t, e.c.DB, e.tenantID, events.TaskCreated, events.TaskPayload{TaskID: tenancy.NewID()})
	e.handled(t, after)
	require.Eventually(t, func() bool { return r.Requests() >= 3 }, 20*time.Second, 10*time.Millisecond)
	assert.NotContains(t, r.ids(), after)
}

func TestATenantsEndpointNeverReceivesAnotherTenantsEvents(t *testing.T) {
	t.Parallel()
	e := setup(t, testConfig())
	const tenants, perTenant = 10, 8
	type org struct {
		id  string
		r   *receiver
		ids []string
	}
	orgs := make([]*org, tenants)
	for i := range orgs {
		o := &org{id: e.tenantID, r: newReceiver(t)}
		if i > 0 {
			o.id = provision(t, e.c)
		}
		admin := auth.Identity{UserID: tenancy.NewID(), TenantID: o.id, Role: auth.RoleAdmin, Email: "admin@example.com"}
		var out struct {
			CreateWebhookEndpoint struct{ Secret string }
		}
		doAs(t, e.url, e.c.Token(t, admin), createEndpoint, map[string]any{"in": map[string]any{"url": o.r.URL(), "eventTypes": []string{"*"}}}).Decode(t, &out)
		o.r.Trust(out.CreateWebhookEndpoint.Secret)
		orgs[i] = o
	}
	e.svc.Tenants = func(context.Context) ([]string, error) {
		ids := make([]string, len(orgs))
		for i, o := range orgs {
			ids[i] = o.id
		}
		return ids, nil
	}
	e.start(t)

	var wg sync.WaitGroup
	for _, o := range orgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perTenant {
				o.ids = append(o.ids, emit(t, e.c.DB, o.id, events.ContactCreated, events.ContactPayload{ContactID: tenancy.NewID()}))
			}
		}()
	}
	wg.Wait()
	for _, o := range orgs {
		o.r.waitFor(t, o.ids...)
	}
	for _, o := range orgs {
		got := o.r.Got()
		assert.ElementsMatch(t, o.ids, o.r.ids(), "tenant %s receives its own events, once each", o.id)
		for _, g := range got {
			assert.Equal(t, o.id, g.Body["tenant_id"])
		}
	}
}

func TestPrivateTargetsAreRefusedAtRegistrationAndAtConnectTime(t *testing.T) {
	t.Parallel()
	// In production: https only, and no private or loopback address.
	prod := setup(t, webhooks.Config{})
	for _, u := range []string{
		"http://hooks.example.com/x", "https://127.0.0.1/x", "https://10.0.0.8/x", "https://169.254.169.254/latest/meta-data",
		"https://[fd00:ec2::254]/x", "https://100.64.1.1/x", "https://localhost/x", "https://[::1]/x", "https://192.168.0.1/x",
	} {
		resp := prod.do(t, auth.RoleAdmin, createEndpoint, map[string]any{"in": map[string]any{"url": u, "eventTypes": []string{"*"}}})
		assert.Equal(t, "BAD_USER_INPUT", resp.Code(), u)
		assert.Equal(t, "input.url", resp.Field(), u)
	}

	// A name is checked where it resolves, when connecting: an endpoint
	// registered while loopback was allowed is refused by a strict sender.
	e := setup(t, testConfig())
	r := newReceiver(t)
	endpoint, secret := e.endpoint(t, map[string]any{"url": r.URL(), "eventTypes": []string{"*"}})
	r.Trust(secret)
	strictCfg := testConfig()
	strictCfg.Egress.AllowLoopback = false
	strict := webhooks.New(e.c.DB, strictCfg, nil)
	strict.Tenants = e.svc.Tenants
	e.startWith(t, strict)
	id := emit(t, e.c.DB, e.tenantID, events.ContactCreated, events.ContactPayload{ContactID: tenancy.NewID()})
	e.handled(t, id)

	var out struct {
		WebhookDeliveries struct {
			Edges []struct {
				Node struct {
					Attempts []struct {
						StatusCode *int
						Error      *string
					}
				}
			}
		}
	}
	require.Eventually(t, func() bool {
		e.do(t, auth.RoleAdmin, `query($id: ID!) { webhookDeliveries(endpointId: $id) { edges { node { attempts { statusCode error } } } } }`,
			map[string]any{"id": endpoint}).Decode(t, &out)
		return len(out.WebhookDeliveries.Edges) == 1 && len(out.WebhookDeliveries.Edges[0].Node.Attempts) > 0
	}, 20*time.Second, 20*time.Millisecond)
	a := out.WebhookDeliveries.Edges[0].Node.Attempts[0]
	assert.Nil(t, a.StatusCode)
	require.NotNil(t, a.Error)
	assert.Contains(t, *a.Error, "refused")
	assert.Zero(t, r.Requests(), "nothing reached the loopback receiver")
}

func TestBadInputNamesTheField(t *testing.T) {
	t.Parallel()
	e := setup(t, testConfig())
	ok := "https://hooks.example.com/in"
	for _, c := range []struct {
		in    map[string]any
		field string
	}{
		{map[string]any{"url": "not a url", "eventTypes": []string{"*"}}, "input.url"},
		{map[string]any{"url": "ftp://hooks.example.com/x", "eventTypes": []string{"*"}}, "input.url"},
		{map[string]any{"url": "https://user:pw@hooks.example.com/x", "eventTypes": []string{"*"}}, "input.url"},
		{map[string]any{"url": ok, "eventTypes": []string{}}, "input.eventTypes"},
		{map[string]any{"url": ok, "eventTypes": []string{"deal.exploded"}}, "input.eventTypes"},
		{map[string]any{"url": ok, "eventTypes": []string{"nothing.*"}}, "input.eventTypes"},
		{map[string]any{"url": ok, "eventTypes": []string{"deal.>"}}, "input.eventTypes"},
		{map[string]any{"url": ok, "eventTypes": []string{"*"}, "filter": map[string]any{"pipeline_id": map[string]any{"$ne": 1}}}, "input.filter"},
		{map[string]any{"url": ok, "eventTypes": []string{"*"}, "filter": map[string]any{"tags": []any{"a"}}}, "input.filter"},
	} {
		resp := e.do(t, auth.RoleAdmin, createEndpoint, map[string]any{"in": c.in})
		assert.Equal(t, "BAD_USER_INPUT", resp.Code(), "%v", c.in)
		assert.Equal(t, c.field, resp.Field(), "%v", c.in)
	}
	var types struct {
		WebhookEventTypes []struct {
			Type    string
			Example map[string]any
		}
	}
	e.do(t, auth.RoleAdmin, `{ webhookEventTypes { type example } }`, nil).Decode(t, &types)
	require.Len(t, types.WebhookEventTypes, len(events.Catalogue))
	for _, et := range types.WebhookEventTypes {
		assert.Equal(t, et.Type, et.Example["type"])
		assert.NotEmpty(t, et.Example["data"], et.Type)
	}
}

func TestAnotherTenantsIdsAreNotFoundAndOnlyAdminsManageWebhooks(t *testing.T) {
	t.Parallel()
	e := setup(t, testConfig())
	e.start(t)
	r := newReceiver(t)
	endpoint, secret := e.endpoint(t, map[string]any{"url": r.URL(), "eventTypes": []string{"*"}})
	r.Trust(secret)
	id := emit(t, e.c.DB, e.tenantID, events.ContactCreated, events.ContactPayload{ContactID: tenancy.NewID()})
	r.waitFor(t, id)
	var list struct {
		WebhookDeliveries struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	e.do(t, auth.RoleAdmin, `query($id: ID!) { webhookDeliveries(endpointId: $id) { edges { node { id } } } }`, map[string]any{"id": endpoint}).Decode(t, &list)
	delivery := list.WebhookDeliveries.Edges[0].Node.ID

	other := auth.Identity{UserID: tenancy.NewID(), TenantID: provision(t, e.c), Role: auth.RoleAdmin, Email: "admin@other.example.com"}
	tok := e.c.Token(t, other)
	for _, op := range []struct{ query, arg, id string }{
		{`mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {enabled: false}) { id } }`, "id", endpoint},
		{`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, "id", endpoint},
		{`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, "id", endpoint},
		{`mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }`, "id", endpoint},
		{`query($id: ID!) { webhookDeliveries(endpointId: $id) { totalCount } }`, "id", endpoint},
		{`mutation($id: ID!) { replayWebhookDelivery(id: $id) { id } }`, "id", delivery},
		{`mutation($id: ID!) { replayWebhookDelivery(id: $id) { id } }`, "id", "not-an-id"},
	} {
		resp := doAs(t, e.url, tok, op.query, map[string]any{op.arg: op.id})
		assert.Equal(t, "NOT_FOUND", resp.Code(), op.query)
	}
	var one struct{ WebhookEndpoint *struct{ ID string } }
	doAs(t, e.url, tok, `query($id: ID!) { webhookEndpoint(id: $id) { id } }`, map[string]any{"id": endpoint}).Decode(t, &one)
	assert.Nil(t, one.WebhookEndpoint)
	var all struct{ WebhookEndpoints []struct{ ID string } }
	doAs(t, e.url, tok, `{ webhookEndpoints { id } }`, nil).Decode(t, &all)
	assert.Empty(t, all.WebhookEndpoints)

	for _, role := range []auth.Role{auth.RoleManager, auth.RoleSalesRep, auth.RoleViewer} {
		for _, q := range []string{
			`{ webhookEndpoints { id } }`,
			`{ webhookEventTypes { type } }`,
			fmt.Sprintf(`{ webhookDeliveries(endpointId: %q) { totalCount } }`, endpoint),
			`mutation { createWebhookEndpoint(input: {url: "https://x.example.com", eventTypes: ["*"]}) { secret } }`,
			fmt.Sprintf(`mutation { rotateWebhookSecret(id: %q) { secret } }`, endpoint),
			fmt.Sprintf(`mutation { replayWebhookDelivery(id: %q) { id } }`, delivery),
		} {
			assert.Equal(t, "FORBIDDEN", e.do(t, role, q, nil).Code(), "%s: %s", role, q)
		}
	}

	// API keys: the webhooks scope, and an admin key.
	key := e.users[auth.RoleAdmin]
	key.APIKeyID = tenancy.NewID()
	key.Scopes = auth.NewScopeSet(auth.ScopeContactsWrite)
	assert.Equal(t, "FORBIDDEN", doAs(t, e.url, e.c.Token(t, key), `{ webhookEndpoints { id } }`, nil).Code(), "no webhooks scope")
	key.Scopes = auth.NewScopeSet(auth.ScopeWebhooksRead)
	var listed struct{ WebhookEndpoints []struct{ ID string } }
	doAs(t, e.url, e.c.Token(t, key), `{ webhookEndpoints { id } }`, nil).Decode(t, &listed)
	assert.Len(t, listed.WebhookEndpoints, 1)
	assert.Equal(t, "FORBIDDEN", doAs(t, e.url, e.c.Token(t, key), fmt.Sprintf(`mutation { rotateWebhookSecret(id: %q) { secret } }`, endpoint), nil).Code(),
		"reading is not writing")
	key.Scopes = auth.NewScopeSet(auth.ScopeWebhooksWrite)
	var rot struct{ RotateWebhookSecret struct{ Secret string } }
	doAs(t, e.url, e.c.Token(t, key), fmt.Sprintf(`mutation { rotateWebhookSecret(id: %q) { secret } }`, endpoint), nil).Decode(t, &rot)
	assert.NotEmpty(t, rot.RotateWebhookSecret.Secret)
}

func TestASlowEndpointNeverDelaysTheOthers(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Timeout, cfg.PerEndpoint, cfg.Concurrency = 30*time.Second, 2, 8
	e := setup(t, cfg)
	// The slow endpoint answers nothing until the test lets it.
	release := make(chan struct{})
	var mu sync.Mutex
	inFlight, most := 0, 0
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		<-release
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	e.endpoint(t, map[string]any{"url": slow.URL, "eventTypes": []string{"*"}})
	fast := newReceiver(t)
	_, secret := e.endpoint(t, map[string]any{"url": fast.URL(), "eventTypes": []string{"*"}})
	fast.Trust(secret)
	e.start(t)

	var ids []string
	for range 20 {
		ids = append(ids, emit(t, e.c.DB, e.tenantID, events.TaskCreated, events.TaskPayload{TaskID: tenancy.NewID()}))
	}
	fast.waitFor(t, ids...) // while the slow endpoint holds its attempts
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return inFlight == 2 }, 20*time.Second, 10*time.Millisecond)
	mu.Lock()
	assert.Equal(t, 2, most, "the slow endpoint holds at most PerEndpoint attempts, never more")
	mu.Unlock()
	close(release)
}
