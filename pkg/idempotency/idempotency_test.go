package idempotency_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/idempotency"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
)

func testRedis(t testing.TB) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(testenv.RedisURL())
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	require.NoError(t, rdb.Ping(context.Background()).Err(), "Redis at %s", testenv.RedisURL())
	return rdb
}

// counting is a handler that counts its runs and answers a body naming the
// run.
type counting struct {
	runs    atomic.Int64
	status  int
	body    string
	release chan struct{} // when set, each run waits for it
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := c.runs.Add(1)
	if c.release != nil {
		<-c.release
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Run", "run")
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	body := c.body
	if body == "" {
		body = `{"data":{"run":` + string(rune('0'+n)) + `}}`
	}
	_, _ = w.Write([]byte(body))
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) code() string {
	var resp struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	_ = json.Unmarshal([]byte(a.body), &resp)
	if len(resp.Errors) == 0 {
		return ""
	}
	c, _ := resp.Errors[0].Extensions["code"].(string)
	return c
}

func serve(h http.Handler, req *idempotency.Request) answer {
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("{}"))
	if req != nil {
		r = r.WithContext(idempotency.WithRequest(r.Context(), *req))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return answer{status: w.Code, header: w.Header(), body: w.Body.String()}
}

func newRequest(fp string) *idempotency.Request {
	return &idempotency.Request{Tenant: tenancy.NewID(), Caller: "user:" + tenancy.NewID(), Key: "k-" + tenancy.NewID(), Fingerprint: fp}
}

func TestARetryGetsTheFirstResponseAndTheHandlerRunsOnce(t *testing.T) {
	store := &idempotency.Store{Redis: testRedis(t)}
	h := &counting{status: http.StatusCreated}
	mw := store.Middleware(h)
	req := newRequest("fp1")

	first := serve(mw, req)
	second := serve(mw, req)

	assert.Equal(t, int64(1), h.runs.Load())
	assert.Equal(t, http.StatusCreated, first.status)
	assert.Empty(t, first.header.Get(idempotency.ReplayedHeader), "the first answer is no replay")
	assert.Equal(t, "run", first.header.Get("X-Run"), "the first answer has the handler's headers")
	assert.Equal(t, first.status, second.status)
	assert.Equal(t, first.body, second.body)
	assert.Equal(t, "application/json", second.header.Get("Content-Type"))
	assert.Equal(t, "true", second.header.Get(idempotency.ReplayedHeader))
}

func TestTheRecordIsScopedByTenantAndCallerAndExpiresAfterItsTTL(t *testing.T) {
	rdb := testRedis(t)
	store := &idempotency.Store{Redis: rdb, TTL: time.Hour}
	h := &counting{}
	mw := store.Middleware(h)
	req := newRequest("fp")
	serve(mw, req)

	keys, err := rdb.Keys(context.Background(), "crm:idem:"+req.Tenant+":"+req.Caller+":*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 1, "one record, under the tenant and the caller")
	assert.NotContains(t, keys[0], req.Key, "the client's key is hashed")
	ttl, err := rdb.PTTL(context.Background(), keys[0]).Result()
	require.NoError(t, err)
	assert.InDelta(t, time.Hour, ttl, float64(time.Minute))

	otherCaller, otherTenant := *req, *req
	otherCaller.Caller = "user:" + tenancy.NewID()
	otherTenant.Tenant = tenancy.NewID()
	serve(mw, &otherCaller)
	serve(mw, &otherTenant)
	assert.Equal(t, int64(3), h.runs.Load(), "the same key of another caller or tenant is another key")
}

func TestAnotherRequestWithTheSameKeyIsRefused(t *testing.T) {
	store := &idempotency.Store{Redis: testRedis(t)}
	h := &counting{}
	mw := store.Middleware(h)
	req := newRequest("fp1")
	serve(mw, req)
	other := *req
	other.Fingerprint = "fp2"

	a := serve(mw, &other)

	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, idempotency.CodeKeyReused, a.code())
	assert.Equal(t, int64(1), h.runs.Load())
}

func TestARetryWhileTheFirstRunsIsAConflict(t *testing.T) {
	store := &idempotency.Store{Redis: testRedis(t)}
	h := &counting{release: make(chan struct{})}
	mw := store.Middleware(h)
	req := newRequest("fp")
	var first answer
	var wg sync.WaitGroup
	wg.Go(func() { first = serve(mw, req) })
	require.Eventually(t, func() bool { return h.runs.Load() == 1 }, 5*time.Second, time.Millisecond)

	a := serve(mw, req)
	close(h.release)
	wg.Wait()

	assert.Equal(t, http.StatusConflict, a.status)
	assert.Equal(t, string(apperr.Conflict), a.code())
	assert.Equal(t, "1", a.header.Get("Retry-After"))
	assert.Equal(t, http.StatusOK, first.status)
	assert.Equal(t, first.body, serve(mw, req).body, "once it ran, the retry gets its response")
}

func TestAResponseThatIsNotFinalReleasesTheKey(t *testing.T) {
	store := &idempotency.Store{Redis: testRedis(t), Final: func(status int, _ []byte) bool { return status < 500 }}
	h := &counting{status: http.StatusServiceUnavailable}
	mw := store.Middleware(h)
	req := newRequest("fp")

	first := serve(mw, req)
	second := serve(mw, req)

	assert.Equal(t, int64(2), h.runs.Load(), "the retry runs again")
	assert.Equal(t, http.StatusServiceUnavailable, first.status, "the client still gets the answer")
	assert.Empty(t, second.header.Get(idempotency.ReplayedHeader))
}

func TestATooLargeResponseIsAnsweredOnceAndRemembered(t *testing.T) {
	store := &idempotency.Store{Redis: testRedis(t), MaxResponseBytes: 10}
	h := &counting{body: `{"data":{"big":"` + strings.Repeat("x", 100) + `"}}`}
	mw := store.Middleware(h)
	req := newRequest("fp")

	first := serve(mw, req)
	second := serve(mw, req)

	assert.Equal(t, h.body, first.body)
	assert.Equal(t, int64(1), h.runs.Load(), "it ran: it does not run again")
	assert.Equal(t, http.StatusConflict, second.status)
	assert.Equal(t, string(apperr.Conflict), second.code())
	assert.Equal(t, "true", second.header.Get(idempotency.ReplayedHeader))
}

func TestWithoutRedisKeyedRequestsAreRefusedAndOthersPass(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = dead.Close() })
	var failures atomic.Int64
	for name, store := range map[string]*idempotency.Store{
		"unreachable":    {Redis: dead, Failed: func(error) { failures.Add(1) }},
		"not configured": {},
	} {
		h := &counting{}
		mw := store.Middleware(h)

		a := serve(mw, newRequest("fp"))
		plain := serve(mw, nil)

		assert.Equal(t, http.StatusServiceUnavailable, a.status, name)
		assert.Equal(t, idempotency.CodeUnavailable, a.code(), name)
		assert.Contains(t, a.body, `"retryable":true`, name)
		assert.Equal(t, "1", a.header.Get("Retry-After"), name)
		assert.Equal(t, http.StatusOK, plain.status, "%s: a request without a key passes", name)
		assert.Equal(t, int64(1), h.runs.Load(), "%s: only the request without a key ran", name)
	}
	assert.Equal(t, int64(1), failures.Load(), "the failure is reported")
}

func TestTheHandlerRunsOnAContextTheClientCannotCancel(t *testing.T) {
	store := &idempotency.Store{Redis: testRedis(t)}
	var handlerErr error
	mw := store.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlerErr = r.Context().Err()
		_, _ = w.Write([]byte(`{"data":{}}`))
	}))
	ctx, cancel := context.WithCancel(idempotency.WithRequest(context.Background(), *newRequest("fp")))
	cancel()
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil).WithContext(ctx)
	mw.ServeHTTP(httptest.NewRecorder(), r)
	assert.NoError(t, handlerErr)
}

func TestValidateKey(t *testing.T) {
	for _, ok := range []string{"a", strings.Repeat("k", 255), "550e8400-e29b-41d4-a716-446655440000", "with space ~!"} {
		assert.NoError(t, idempotency.ValidateKey(ok), ok)
	}
	for _, bad := range []string{"", strings.Repeat("k", 256), "tab\there", "é", "nl\n"} {
		err := idempotency.ValidateKey(bad)
		e, ok := apperr.As(err)
		require.True(t, ok, "%q", bad)
		assert.Equal(t, apperr.BadUserInput, e.Code)
		assert.Equal(t, "Idempotency-Key", e.Field)
	}
}

func TestFingerprint(t *testing.T) {
	fp := func(q, op, vars string) string {
		var v json.RawMessage
		if vars != "" {
			v = json.RawMessage(vars)
		}
		s, err := idempotency.Fingerprint(q, op, v)
		require.NoError(t, err)
		return s
	}
	base := fp(`mutation M($n: String!) { createContact(input: {firstName: $n}) { id } }`, "M", `{"n":"Ada","x":[1,2]}`)
	same := map[string]string{
		"re-indented": fp("mutation M($n: String!) {\n  createContact(input: {firstName: $n}) {\n    id\n  }\n}\n", "M", `{"n":"Ada","x":[1,2]}`),
		"commented":   fp("# retry\nmutation M($n: String!) { createContact(input: {firstName: $n}) { id } } # end", "M", `{"n":"Ada","x":[1,2]}`),
		"commas":      fp(`mutation M($n: String!) { createContact(input: {firstName: $n},) { id, } }`, "M", `{"n":"Ada","x":[1,2]}`),
		"key order":   fp(`mutation M($n: String!) { createContact(input: {firstName: $n}) { id } }`, "M", `{ "x": [1, 2], "n": "Ada" }`),
	}
	for name, s := range same {
		assert.Equal(t, base, s, name)
	}
	different := map[string]string{
		"variable": fp(`mutation M($n: String!) { createContact(input: {firstName: $n}) { id } }`, "M", `{"n":"Bob","x":[1,2]}`),
		"number":   fp(`mutation M($n: String!) { createContact(input: {firstName: $n}) { id } }`, "M", `{"n":"Ada","x":[1,2.0]}`),
		"order":    fp(`mutation M($n: String!) { createContact(input: {firstName: $n}) { id } }`, "M", `{"n":"Ada","x":[2,1]}`),
		"name":     fp(`mutation M($n: String!) { createContact(input: {firstName: $n}) { id } }`, "N", `{"n":"Ada","x":[1,2]}`),
		"field":    fp(`mutation M($n: String!) { createContact(input: {firstName: $n}) { id name } }`, "M", `{"n":"Ada","x":[1,2]}`),
		"string":   fp(`mutation M($n: String!) { createContact(input: {firstName: "a  b"}) { id } }`, "M", `{"n":"Ada","x":[1,2]}`),
	}
	strSpaces := fp(`mutation M($n: String!) { createContact(input: {firstName: "a b"}) { id } }`, "M", `{"n":"Ada","x":[1,2]}`)
	assert.NotEqual(t, strSpaces, different["string"], "white space inside a string matters")
	for name, s := range different {
		assert.NotEqual(t, base, s, name)
	}
	_, err := idempotency.Fingerprint("{ a }", "", json.RawMessage(`{`))
	assert.Error(t, err)
}
