package deal_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// org is a new organisation on a cluster, with its admin.
type org struct {
	c                 *subgraphstest.Cluster
	tenantID, adminID string
	admin             string // the admin's token
}

func setup(t *testing.T) org {
	t.Helper()
	return signUp(t, subgraphstest.Start(t))
}

func signUp(t *testing.T, c *subgraphstest.Cluster) org {
	t.Helper()
	sub := "d-" + strings.ToLower(tenancy.NewID()[16:])
	var out struct {
		SignUp struct {
			AccessToken string
			User        struct {
				ID     string
				Tenant struct{ ID string }
			}
		}
	}
	subgraphstest.Do(t, c.URLs["identity"], "", `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken user { id tenant { id } } } }`,
		map[string]any{"in": map[string]any{"organizationName": "Org " + sub, "subdomain": sub, "email": "admin@org.example.com",
			"password": "s3cret-enough pass", "firstName": "A", "lastName": "B"}}).Decode(t, &out)
	return org{c: c, tenantID: out.SignUp.User.Tenant.ID, adminID: out.SignUp.User.ID, admin: out.SignUp.AccessToken}
}

// user is a signed-in user of the organisation with a role.
type user struct {
	id, token string
}

func (o org) as(t *testing.T, role auth.Role) user {
	id := tenancy.NewID()
	return user{id: id, token: o.c.Token(t, auth.Identity{UserID: id, TenantID: o.tenantID, Email: "x@org.example.com", Role: role})}
}

func (o org) do(t *testing.T, token, q string, vars map[string]any) subgraphstest.Response {
	t.Helper()
	return subgraphstest.Do(t, o.c.URLs["deal"], token, q, vars)
}

// company creates a company of the organisation in the contact subgraph,
// as its admin, and returns its id.
func (o org) company(t *testing.T) string {
	t.Helper()
	var out struct{ CreateCompany struct{ ID string } }
	subgraphstest.Do(t, o.c.URLs["contact"], o.admin, `mutation($n: String!) { createCompany(input: {name: $n}) { id } }`,
		map[string]any{"n": "Company " + tenancy.NewID()[20:]}).Decode(t, &out)
	return out.CreateCompany.ID
}

// contact creates a contact of the organisation in the contact subgraph,
// as its admin, and returns its id.
func (o org) contact(t *testing.T) string {
	t.Helper()
	var out struct{ CreateContact struct{ ID string } }
	subgraphstest.Do(t, o.c.URLs["contact"], o.admin, `mutation($l: String!) { createContact(input: {firstName: "Cora", lastName: $l}) { id } }`,
		map[string]any{"l": "Contact " + tenancy.NewID()[20:]}).Decode(t, &out)
	return out.CreateContact.ID
}

type stage struct {
	ID, Name, ForecastCategory string
	Position, Probability      int
	IsClosed, IsWon            bool
}

type pipeline struct {
	ID, Name  string
	IsDefault bool
	Stages    []stage
}

const pipelineFields = `id name isDefault stages { id name position probability forecastCategory isClosed isWon }`

func (o org) defaultPipeline(t *testing.T) pipeline {
	t.Helper()
	var out struct{ Pipelines []pipeline }
	o.do(t, o.admin, `{ pipelines { `+pipelineFields+` } }`, nil).Decode(t, &out)
	require.NotEmpty(t, out.Pipelines)
	require.True(t, out.Pipelines[0].IsDefault)
	return out.Pipelines[0]
}

func (p pipeline) stage(t *testing.T, name string) stage {
	t.Helper()
	for _, s := range p.Stages {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no stage %q", name)
	return stage{}
}

type dealOut struct {
	ID, Title, Currency                string
	Description, Source, CloseReason   *string
	Value, WeightedValue               string // Decimal: "1234.50"
	Probability, DealAgeDays           int
	DaysUntilClose                     *int
	ExpectedCloseDate, ActualCloseDate *string
	Stage                              stage
	Pipeline                           struct{ ID string }
	Company, PrimaryContact            *struct{ ID string }
	Owner, CreatedBy                   struct{ ID string }
	CustomFields                       map[string]any
	Contacts                           []struct {
		Role    string
		Contact struct{ ID string }
	}
}

const dealFields = `id title description value currency probability weightedValue dealAgeDays daysUntilClose
	expectedCloseDate actualCloseDate source closeReason customFields
	stage { id name position probability forecastCategory isClosed isWon } pipeline { id }
	company { id } primaryContact { id } owner { id } createdBy { id } contacts { role contact { id } }`

// create creates a deal as token with the input (title defaults), failing the test on errors.
func (o org) create(t *testing.T, token string, in map[string]any) dealOut {
	t.Helper()
	if in["title"] == nil {
		in["title"] = "Deal " + tenancy.NewID()[20:]
	}
	var out struct{ CreateDeal dealOut }
	o.do(t, token, `mutation($in: CreateDealInput!) { createDeal(input: $in) { `+dealFields+` } }`, map[string]any{"in": in}).Decode(t, &out)
	return out.CreateDeal
}

func (o org) move(t *testing.T, token, id, stageID string) subgraphstest.Response {
	t.Helper()
	return o.do(t, token, `mutation($id: ID!, $s: ID!) { moveDeal(id: $id, input: {stageId: $s}) { `+dealFields+` } }`,
		map[string]any{"id": id, "s": stageID})
}

// events returns the payloads of the events of a deal in the outbox, oldest first.
func (o org) events(t *testing.T, dealID string) (types []string, payloads []events.DealPayload) {
	t.Helper()
	rows, err := o.c.DB.Pool.Query(context.Background(),
		`SELECT payload FROM platform.outbox WHERE tenant_id = $1 AND payload->'data'->>'deal_id' = $2 ORDER BY id`, o.tenantID, dealID)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		require.NoError(t, rows.Scan(&raw))
		var e events.Event
		require.NoError(t, json.Unmarshal(raw, &e))
		p, err := events.Decode[events.DealPayload](e)
		require.NoError(t, err)
		types = append(types, string(e.Type))
		payloads = append(payloads, p)
	}
	return types, payloads
}
