package refs_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/logging"
	"github.com/opencrm/opencrm/pkg/refs"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// callerContext is the context of a request that presented a valid token,
// as auth.Middleware makes it, with a request id.
func callerContext(t *testing.T) (ctx context.Context, token string) {
	t.Helper()
	ks, err := auth.ParseKeySet(auth.GenerateKeySpec("k1"))
	require.NoError(t, err)
	iss := &auth.Issuer{Keys: ks, Issuer: "opencrm", Audience: "opencrm-api"}
	ver := &auth.Verifier{Keys: ks, Issuer: "opencrm", Audience: "opencrm-api"}
	token, _, err = iss.Issue(auth.Identity{UserID: tenancy.NewID(), TenantID: tenancy.NewID(), Role: auth.RoleSalesRep})
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	auth.Middleware(ver, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { ctx = r.Context() })).
		ServeHTTP(httptest.NewRecorder(), r)
	return logging.WithRequestID(ctx, "req-42"), token
}

type rep struct {
	Typename string `json:"__typename"`
	ID       string `json:"id"`
}

type request struct {
	Query     string
	Variables struct{ R []rep }
	Header    http.Header
}

// fakeOwner answers _entities like an owning subgraph: the ids in
// exist resolve, those in notFound are NOT_FOUND errors, others are null.
func fakeOwner(t *testing.T, exist, notFound map[string]bool, got *[]request) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req.Header = r.Header.Clone()
		*got = append(*got, req)
		entities := make([]any, len(req.Variables.R))
		var errs []any
		for i, rp := range req.Variables.R {
			switch {
			case exist[rp.ID]:
				entities[i] = map[string]any{"id": rp.ID}
			case notFound[rp.ID]:
				errs = append(errs, map[string]any{"message": "not found", "path": []any{"_entities", i},
					"extensions": map[string]any{"code": "NOT_FOUND"}})
			}
		}
		out := map[string]any{"data": map[string]any{"_entities": entities}}
		if errs != nil {
			out["errors"] = errs
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestMissingAsksEachOwnerOnceWithTheCallersTokenAndReportsWhatIsMissing(t *testing.T) {
	t.Parallel()
	ctx, token := callerContext(t)
	co1, co2, ct1, ct2, ct3, u1, u2 := tenancy.NewID(), tenancy.NewID(), tenancy.NewID(), tenancy.NewID(), tenancy.NewID(), tenancy.NewID(), tenancy.NewID()
	var gotContact, gotIdentity []request
	contact := fakeOwner(t, map[string]bool{co1: true, ct1: true}, map[string]bool{ct3: true}, &gotContact)
	identity := fakeOwner(t, map[string]bool{u1: true}, nil, &gotIdentity)
	c := &refs.Client{URLs: map[string]string{"contact": contact.URL, "identity": identity.URL}}

	in := []refs.Ref{
		{Field: "input.companyId", Type: refs.Company, ID: co1}, {Field: "input.companyId", Type: refs.Company, ID: co2},
		{Field: "input.parentId", Type: refs.Company, ID: co2}, {Field: "input.contactId", Type: refs.Contact, ID: ct1},
		{Field: "input.contactId", Type: refs.Contact, ID: ct2}, {Field: "input.c3", Type: refs.Contact, ID: ct3},
		{Field: "input.ownerId", Type: refs.User, ID: u1}, {Field: "input.assignedTo", Type: refs.User, ID: u2},
		refs.To("input.dealId", refs.Deal, nil),
	}
	missing, err := c.Missing(ctx, in...)
	require.NoError(t, err)
	assert.Equal(t, []refs.Ref{in[1], in[2], in[4], in[5], in[7]}, missing, "null or NOT_FOUND: missing, in the order given")

	require.Len(t, gotContact, 1, "one request for companies and contacts")
	assert.Contains(t, gotContact[0].Query, "_entities(representations: $r) { ... on Company { id } ... on Contact { id } }")
	assert.Equal(t, []rep{{"Company", co1}, {"Company", co2}, {"Contact", ct1}, {"Contact", ct2}, {"Contact", ct3}},
		gotContact[0].Variables.R, "each id once")
	require.Len(t, gotIdentity, 1, "one request for users")
	assert.Contains(t, gotIdentity[0].Query, "... on User { id }")
	assert.Equal(t, []rep{{"User", u1}, {"User", u2}}, gotIdentity[0].Variables.R)
	for _, got := range [][]request{gotContact, gotIdentity} {
		assert.Equal(t, "Bearer "+token, got[0].Header.Get("Authorization"), "the caller's own token")
		assert.Equal(t, "req-42", got[0].Header.Get(logging.RequestIDHeader))
		assert.Equal(t, "application/json", got[0].Header.Get("Content-Type"))
	}

	err = c.Check(ctx, in...)
	var ae *apperr.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, apperr.NotFound, ae.Code)
	assert.Equal(t, "input.companyId", ae.Field, "the first missing one names its field")
	assert.Equal(t, "no company with this id in your organisation", ae.Message)
	require.NoError(t, c.Check(ctx, in[0], in[3], in[6]))
}

func TestMissingSendsNothingForNoIDs(t *testing.T) {
	t.Parallel()
	var got []request
	srv := fakeOwner(t, nil, nil, &got)
	c := &refs.Client{URLs: map[string]string{"contact": srv.URL}}
	missing, err := c.Missing(context.Background(), refs.To("input.companyId", refs.Company, nil), refs.Ref{Field: "x", Type: refs.Contact})
	require.NoError(t, err)
	assert.Empty(t, missing)
	assert.Empty(t, got)
	var nilClient *refs.Client
	assert.NoError(t, nilClient.Check(context.Background(), refs.Ref{Field: "x", Type: refs.User, ID: tenancy.NewID()}), "nil checks nothing")
}

func TestMissingFailsRatherThanGuess(t *testing.T) {
	t.Parallel()
	ctx, _ := callerContext(t)
	id := tenancy.NewID()
	answer := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for name, url := range map[string]string{
		"unreachable":      closed.URL,
		"no URL":           "",
		"non-200":          answer(http.StatusServiceUnavailable, `{"errors":[{"message":"database down"}]}`),
		"unauthenticated":  answer(http.StatusOK, `{"data":{"_entities":[null]},"errors":[{"message":"sign in","path":["_entities"],"extensions":{"code":"UNAUTHENTICATED"}}]}`),
		"internal":         answer(http.StatusOK, `{"data":{"_entities":[null]},"errors":[{"message":"internal","path":["_entities",0],"extensions":{"code":"INTERNAL"}}]}`),
		"no data":          answer(http.StatusOK, `{"data":null}`),
		"wrong count":      answer(http.StatusOK, `{"data":{"_entities":[]}}`),
		"another entity":   answer(http.StatusOK, `{"data":{"_entities":[{"id":"01HZZZZZZZZZZZZZZZZZZZZZZZ"}]}}`),
		"not JSON":         answer(http.StatusOK, `<html>`),
		"NOT_FOUND of all": answer(http.StatusOK, `{"data":null,"errors":[{"message":"nope","path":["_entities"],"extensions":{"code":"NOT_FOUND"}}]}`),
	} {
		missing, err := (&refs.Client{URLs: map[string]string{"contact": url}}).Missing(ctx, refs.Ref{Field: "f", Type: refs.Company, ID: id})
		assert.Error(t, err, name)
		assert.Nil(t, missing, name)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestMissingGivesUpAfterTheTimeout(t *testing.T) {
	t.Parallel()
	var deadline atomic.Value
	hc := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		d, _ := r.Context().Deadline()
		deadline.Store(d)
		<-r.Context().Done()
		return nil, r.Context().Err()
	})}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := (&refs.Client{URLs: map[string]string{"contact": "http://contact.invalid/graphql"}, HTTP: hc}).Check(ctx, refs.Ref{Field: "f", Type: refs.Contact, ID: tenancy.NewID()})
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// Without a deadline of the caller, the client's own applies.
	hc.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		d, _ := r.Context().Deadline()
		deadline.Store(d)
		return nil, context.Canceled
	})
	start := time.Now()
	err = (&refs.Client{URLs: map[string]string{"contact": "http://contact.invalid/graphql"}, HTTP: hc}).Check(context.Background(), refs.Ref{Field: "f", Type: refs.Contact, ID: tenancy.NewID()})
	require.Error(t, err)
	d, _ := deadline.Load().(time.Time)
	assert.WithinDuration(t, start.Add(refs.Timeout), d, time.Second)
}
