package contactclient_test

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

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/contactclient"
	"github.com/opencrm/opencrm/pkg/logging"
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

// fakeContact answers _entities like the contact subgraph: the ids in
// exist resolve, those in notFound are NOT_FOUND errors, others are null.
func fakeContact(t *testing.T, exist, notFound map[string]bool, got *[]request) *httptest.Server {
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

func TestMissingAsksOnceWithTheCallersTokenAndReportsWhatIsMissing(t *testing.T) {
	t.Parallel()
	ctx, token := callerContext(t)
	co1, co2, ct1, ct2, ct3 := tenancy.NewID(), tenancy.NewID(), tenancy.NewID(), tenancy.NewID(), tenancy.NewID()
	var got []request
	srv := fakeContact(t, map[string]bool{co1: true, ct1: true}, map[string]bool{ct3: true}, &got)
	c := &contactclient.Client{URL: srv.URL}

	companies, contacts, err := c.Missing(ctx, []string{co1, co2, co2}, []string{ct1, ct2, ct3, ct1})
	require.NoError(t, err)
	assert.Equal(t, []string{co2}, companies, "a null entity is missing")
	assert.Equal(t, []string{ct2, ct3}, contacts, "null or NOT_FOUND: missing, in the order given")

	require.Len(t, got, 1, "one request for companies and contacts")
	assert.Contains(t, got[0].Query, "_entities(representations: $r)")
	assert.Equal(t, []rep{{"Company", co1}, {"Company", co2}, {"Contact", ct1}, {"Contact", ct2}, {"Contact", ct3}},
		got[0].Variables.R, "each id once")
	assert.Equal(t, "Bearer "+token, got[0].Header.Get("Authorization"), "the caller's own token")
	assert.Equal(t, "req-42", got[0].Header.Get(logging.RequestIDHeader))
	assert.Equal(t, "application/json", got[0].Header.Get("Content-Type"))

	companies, contacts, err = c.Missing(ctx, []string{co1}, nil)
	require.NoError(t, err)
	assert.Empty(t, companies)
	assert.Empty(t, contacts)
}

func TestMissingSendsNothingForNoIDs(t *testing.T) {
	t.Parallel()
	var got []request
	srv := fakeContact(t, nil, nil, &got)
	companies, contacts, err := (&contactclient.Client{URL: srv.URL}).Missing(context.Background(), nil, []string{})
	require.NoError(t, err)
	assert.Empty(t, companies)
	assert.Empty(t, contacts)
	assert.Empty(t, got)
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
		companies, contacts, err := (&contactclient.Client{URL: url}).Missing(ctx, []string{id}, nil)
		assert.Error(t, err, name)
		assert.Nil(t, companies, name)
		assert.Nil(t, contacts, name)
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
	_, _, err := (&contactclient.Client{URL: "http://contact.invalid/graphql", HTTP: hc}).Missing(ctx, nil, []string{tenancy.NewID()})
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// Without a deadline of the caller, the client's own applies.
	hc.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		d, _ := r.Context().Deadline()
		deadline.Store(d)
		return nil, context.Canceled
	})
	start := time.Now()
	_, _, err = (&contactclient.Client{URL: "http://contact.invalid/graphql", HTTP: hc}).Missing(context.Background(), nil, []string{tenancy.NewID()})
	require.Error(t, err)
	d, _ := deadline.Load().(time.Time)
	assert.WithinDuration(t, start.Add(contactclient.Timeout), d, time.Second)
}
