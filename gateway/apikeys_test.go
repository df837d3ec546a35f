package gateway_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// fakeExchange answers the API key exchange for one key with tokens of the
// bundle's issuer, counting the exchanges; down makes it fail as a broken
// identity subgraph would.
type fakeExchange struct {
	key   string
	id    auth.Identity
	calls atomic.Int64
	down  atomic.Bool
}

func (f *fakeExchange) exchange(b *bundle) func(context.Context, string) (auth.APIKeyToken, error) {
	return func(_ context.Context, key string) (auth.APIKeyToken, error) {
		f.calls.Add(1)
		if f.down.Load() {
			return auth.APIKeyToken{}, context.DeadlineExceeded
		}
		if key != f.key {
			return auth.APIKeyToken{}, auth.InvalidAPIKey()
		}
		tok, exp, err := b.Issuer.IssueFor(f.id, auth.APIKeyTokenTTL)
		return auth.APIKeyToken{AccessToken: tok, ExpiresAt: exp}, err
	}
}

// keyBundle is the fake-subgraph gateway with a fake exchange for one key.
func keyBundle(t *testing.T) (*bundle, *fakeExchange) {
	t.Helper()
	key, _, _ := auth.NewAPIKey(tenancy.NewID())
	f := &fakeExchange{key: key}
	var b *bundle
	url := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.APIKeyTokenHandler(f.exchange(b), nil).ServeHTTP(w, r)
	}))
	b = setup(t, func(c *gateway.Config) { c.APIKeyExchangeURL = url })
	f.id = b.User
	f.id.APIKeyID = tenancy.NewID()
	f.id.Scopes = auth.NewScopeSet(auth.ScopeUsersRead)
	return b, f
}

func TestAKeyIsExchangedOnceAndOnlyItsTokenReachesTheSubgraphs(t *testing.T) {
	t.Parallel()
	b, f := keyBundle(t)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			r := b.query(t, `{ me { email tenant { name } } }`, "Authorization", bearer(f.key))
			assert.Empty(t, r.Body.Errors, r.Raw)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, f.calls.Load(), "20 concurrent requests, one exchange; then remembered")
	calls := append(b.Identity.Requests(), b.Tenant.Requests()...)
	require.NotEmpty(t, calls)
	for _, c := range calls {
		tok := c.Header.Get("Authorization")
		assert.NotContains(t, tok, auth.APIKeyPrefix, "the key never reaches a subgraph")
		id, err := (&auth.Verifier{Keys: b.Issuer.Keys, Issuer: b.Issuer.Issuer, Audience: b.Issuer.Audience}).Verify(tok[len("Bearer "):])
		require.NoError(t, err)
		assert.Equal(t, f.id.APIKeyID, id.APIKeyID, "the token the key was exchanged for")
	}
}

func TestAKeyTheExchangeRefusesOrCannotCheckNeverReachesASubgraph(t *testing.T) {
	t.Parallel()
	b, f := keyBundle(t)
	other, _, _ := auth.NewAPIKey(tenancy.NewID())
	r := b.query(t, `{ me { email } }`, "Authorization", bearer(other))
	assert.Equal(t, http.StatusUnauthorized, r.Status)
	assert.Equal(t, "UNAUTHENTICATED", r.code())
	assert.Equal(t, auth.InvalidAPIKey().Message, r.Body.Errors[0].Message)

	f.down.Store(true)
	r = b.query(t, `{ me { email } }`, "Authorization", bearer(f.key))
	assert.Equal(t, http.StatusServiceUnavailable, r.Status, "the key may be fine: try again")
	assert.Equal(t, "SERVICE_UNAVAILABLE", r.code())
	assert.Zero(t, b.subgraphCalls())

	f.down.Store(false)
	r = b.query(t, `{ me { email } }`, "Authorization", bearer(f.key))
	assert.Empty(t, r.Body.Errors, "a failed exchange is not remembered: %s", r.Raw)
}
