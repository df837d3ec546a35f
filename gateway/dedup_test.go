package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// concurrently sends the query n times at once with each token in turn,
// each with its own request id, and waits for every answer.
func concurrently(t *testing.T, b *bundle, n int, query string, tokens ...string) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := b.query(t, query, "Authorization", bearer(tokens[i%len(tokens)]), "X-Request-ID", tenancy.NewID())
			assert.Empty(t, r.Body.Errors, r.Raw)
			assert.NotNil(t, r.Body.Data["me"], r.Raw)
		})
	}
	wg.Wait()
}

func TestIdenticalQueriesInFlightForOneCallerShareASubgraphFetch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.Identity.SetDelay(300 * time.Millisecond) // long enough for all of them to be in flight together
	concurrently(t, b, 8, `{ me { email } }`, b.token(t))
	calls := b.Identity.Requests()
	assert.Len(t, calls, 1, "eight identical queries of one caller in flight at once: one identity fetch")
	require.NotEmpty(t, calls)
	assert.NotEmpty(t, calls[0].Header.Get("X-Request-ID"), "the shared fetch carries the request id of the request that sent it")
}

func TestQueriesOfDifferentCallersNeverShareASubgraphFetch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.Identity.SetDelay(300 * time.Millisecond)
	other := b.User
	other.UserID, other.TenantID = tenancy.NewID(), tenancy.NewID()
	otherToken, _, err := b.Issuer.Issue(other)
	require.NoError(t, err)
	sameUserOtherToken, _, err := b.Issuer.Issue(auth.Identity{UserID: b.User.UserID, TenantID: b.User.TenantID, Email: b.User.Email, Role: auth.RoleViewer})
	require.NoError(t, err)
	concurrently(t, b, 6, `{ me { email } }`, b.token(t), otherToken, sameUserOtherToken)
	assert.Len(t, b.Identity.Requests(), 3, "one fetch per distinct Authorization, never shared across tokens")
}

// A client that gives up does not fail the others: the fetch it led goes on
// for the requests that joined it.
func TestAFetchSharedWithAClientThatGivesUpStillAnswersTheOthers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.Identity.SetDelay(400 * time.Millisecond)
	token := b.token(t)
	body := []byte(`{"query":"{ me { email } }"}`)
	leader, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	gaveUp := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(leader, http.MethodPost, b.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", bearer(token))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		gaveUp <- err
	}()
	for len(b.Identity.Requests()) == 0 { // the leader's fetch is in flight
		time.Sleep(5 * time.Millisecond)
	}
	r := b.query(t, body, "Authorization", bearer(token))
	require.Error(t, <-gaveUp, "the first client gave up before the answer")
	assert.Empty(t, r.Body.Errors, r.Raw)
	assert.NotNil(t, r.Body.Data["me"], r.Raw)
}
