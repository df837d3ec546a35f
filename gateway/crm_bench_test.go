package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/tenancy"
)

// BenchmarkCRMPipelineView is the board of 500 deals (100 companies, 250
// contacts, 3 users, filled through the gateway) three ways:
//
//   - gateway: pipelineView with every deal's company name, primary
//     contact's full name and owner's full name, through the gateway (deal,
//     then one _entities request each for Company, Contact and User);
//   - deal-subgraph-ids-only: the same query sent straight to the deal
//     subgraph, asking only the ids of the company, contact and owner;
//   - one-sql-statement: one hand-written statement joining deals, stages,
//     pipelines, companies, contacts and users in the tenant schema, rows
//     read and scanned: the floor any design can reach.
//
// Requests are sent one at a time; p50-ms and p99-ms are of those requests.
// Run:
//
//	go test ./gateway -run '^$' -bench CRM -benchtime 20x
func BenchmarkCRMPipelineView(b *testing.B) {
	c := startCRM(b)
	o := c.newOrg(b, "bench", crmSize{Companies: 100, Contacts: 250, Deals: 500})
	const idsOnly = `{ pipelineView(dealsPerStage: 500) { stages { stage { name } dealCount
		deals { title company { id } primaryContact { id } owner { id } } } } }`
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

	// Both GraphQL answers list the 500 deals before anything is timed.
	for _, q := range []struct{ url, query string }{{c.url, pipelineViewQuery}, {c.subs["deal"].url, idsOnly}} {
		var view pipelineViewResult
		require.NoError(b, json.Unmarshal(mustData(b, postGraphQL(b, client, q.url, o.Token, q.query)), &view))
		n := 0
		for _, st := range view.PipelineView.Stages {
			n += len(st.Deals)
		}
		require.Equal(b, 500, n, q.url)
	}

	b.Run("gateway", func(b *testing.B) {
		timed(b, func() { postGraphQL(b, client, c.url, o.Token, pipelineViewQuery); c.reset() })
	})
	b.Run("deal-subgraph-ids-only", func(b *testing.B) {
		timed(b, func() { postGraphQL(b, client, c.subs["deal"].url, o.Token, idsOnly); c.reset() })
	})

	schema, err := tenancy.SchemaName(o.TenantID)
	require.NoError(b, err)
	floor := fmt.Sprintf(`
		SELECT s.name, count(*) OVER (PARTITION BY d.stage_id), d.title,
		       co.name, ct.first_name || ' ' || ct.last_name, u.first_name || ' ' || u.last_name
		FROM %[1]s.deals d
		JOIN %[1]s.stages s ON s.id = d.stage_id
		JOIN %[1]s.pipelines p ON p.id = d.pipeline_id AND p.is_default
		LEFT JOIN %[1]s.companies co ON co.id = d.company_id
		LEFT JOIN %[1]s.contacts ct ON ct.id = d.primary_contact_id
		LEFT JOIN %[1]s.users u ON u.id = d.owner_id
		ORDER BY s.position, d.created_at DESC, d.id`, pgx.Identifier{schema}.Sanitize())
	pool := c.cluster.DB.Pool
	b.Run("one-sql-statement", func(b *testing.B) {
		ctx := context.Background()
		timed(b, func() {
			rows, err := pool.Query(ctx, floor)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var stage, title string
				var count int64
				var company, contact, owner *string
				if err := rows.Scan(&stage, &count, &title, &company, &contact, &owner); err != nil {
					b.Fatal(err)
				}
				if company == nil || contact == nil || owner == nil {
					b.Fatalf("%s: a name is missing", title)
				}
				n++
			}
			if rows.Err() != nil || n != 500 {
				b.Fatal(rows.Err(), n)
			}
		})
	})
}

// timed runs f b.N times, one at a time, and reports the latency
// percentiles next to ns/op.
func timed(b *testing.B, f func()) {
	var all []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		f()
		all = append(all, time.Since(t0))
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}

// postGraphQL posts a query and returns the whole answer, failing on a
// status other than 200 or on errors.
func postGraphQL(b testing.TB, client *http.Client, url, token, query string) []byte {
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) {
		b.Fatalf("%s: %d %.500s", url, resp.StatusCode, raw)
	}
	return raw
}

// mustData is the data of a GraphQL answer.
func mustData(b testing.TB, raw []byte) []byte {
	var r struct{ Data json.RawMessage }
	require.NoError(b, json.Unmarshal(raw, &r))
	return r.Data
}
