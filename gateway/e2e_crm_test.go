package gateway_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pipelineViewQuery is the board of the default pipeline with every deal
// enriched by the subgraphs that own its company, contact and owner.
const pipelineViewQuery = `{ pipelineView(dealsPerStage: 500) { stages { stage { name } dealCount
	deals { title company { name } primaryContact { fullName } owner { fullName } } } } }`

type pipelineViewResult struct {
	PipelineView struct {
		Stages []struct {
			Stage     struct{ Name string }
			DealCount int
			Deals     []struct {
				Title          string
				Company        *struct{ Name string }
				PrimaryContact *struct{ FullName string }
				Owner          *struct{ FullName string }
			}
		}
	}
}

// The pipeline view of 500 deals, through the gateway only: every deal shows
// its company, primary contact and owner by name, and the gateway fetches
// them with one _entities request per type (Company and Contact from the
// contact subgraph, User from identity), each answered with one data SQL
// statement (BEGIN; SET LOCAL search_path and COMMIT counted apart).
func TestCRMPipelineViewBatchesEntitiesPerType(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	start := time.Now()
	o := c.newOrg(t, "pv", crmSize{Companies: 20, Contacts: 40, Deals: 500})
	t.Logf("filled through the gateway (%d workers): 3 users, %d companies, %d contacts, %d deals in %s",
		workers, len(o.Companies), len(o.Contacts), len(o.Deals), time.Since(start).Round(time.Millisecond))

	c.reset()
	var view pipelineViewResult
	require.NoError(t, c.gql(o.Token, pipelineViewQuery, nil, &view))
	rec := c.recorded()
	t.Logf("subgraph requests of the pipeline view:\n%s", describe(rec))

	// Names.
	want := map[string]crmDeal{}
	for _, d := range o.Deals {
		want[d.Title] = d
	}
	names := o.names()
	seen := 0
	for _, st := range view.PipelineView.Stages {
		assert.Equal(t, len(st.Deals), st.DealCount, st.Stage.Name)
		for _, d := range st.Deals {
			w, ok := want[d.Title]
			if !assert.True(t, ok, "unknown deal %q", d.Title) {
				continue
			}
			seen++
			assert.Equal(t, w.Stage, st.Stage.Name, d.Title)
			if assert.NotNil(t, d.Company, d.Title) {
				assert.Equal(t, names[w.CompanyID], d.Company.Name, d.Title)
			}
			if assert.NotNil(t, d.PrimaryContact, d.Title) {
				assert.Equal(t, names[w.ContactID], d.PrimaryContact.FullName, d.Title)
			}
			if assert.NotNil(t, d.Owner, d.Title) {
				assert.Equal(t, names[w.OwnerID], d.Owner.FullName, d.Title)
			}
		}
	}
	assert.Equal(t, 500, seen, "every deal listed once")

	// Requests: the root field from deal, then one _entities request per
	// referenced type, each carrying representations of that type only.
	require.Len(t, rec["deal"], 1, describe(rec))
	assert.False(t, rec["deal"][0].isEntities())
	assert.Contains(t, rec["deal"][0].Query, "pipelineView")
	assert.Empty(t, rec["tenant"], "the tenant subgraph is not asked")
	entitiesByType := map[string][]subgraphRequest{}
	for _, sub := range []string{"contact", "identity"} {
		for _, r := range rec[sub] {
			require.True(t, r.isEntities(), "%s got a request that is not _entities: %s", sub, r)
			types := r.typeCounts()
			require.Len(t, types, 1, "%s: one type per _entities request: %s", sub, r)
			for typ := range types {
				entitiesByType[sub+"/"+typ] = append(entitiesByType[sub+"/"+typ], r)
			}
		}
	}
	assert.Len(t, entitiesByType, 3, "Company and Contact from contact, User from identity: %s", describe(rec))
	distinct := map[string]int{"contact/Company": len(o.Companies), "contact/Contact": len(o.Contacts), "identity/User": len(o.Users)}
	for key, reqs := range entitiesByType {
		if !assert.Len(t, reqs, 1, "one _entities request for %s over 500 deals", key) {
			continue
		}
		r := reqs[0]
		t.Logf("%s: %d representations for %d distinct ids over 500 deals; statements: %q", key, len(r.Types), distinct[key], r.SQL)
		assert.GreaterOrEqual(t, len(r.Types), distinct[key], key)
		assert.LessOrEqual(t, len(r.Types), 500, key)
		assert.Len(t, r.dataSQL(), 1, "%s answered with one data statement: %q", key, r.SQL)
	}
	assert.Empty(t, c.unattributed(), "every statement belongs to a request")
}
