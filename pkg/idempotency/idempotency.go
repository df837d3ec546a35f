// Package idempotency makes a request carrying an Idempotency-Key run at
// most once per (tenant, caller, key) within a TTL (24 h by default): a
// retry with the same key and the same request gets the first response
// again, marked Idempotent-Replayed: true; the same key with another
// request is refused (IDEMPOTENCY_KEY_REUSED, 422); a retry while the first
// is still running is refused (CONFLICT, 409, Retry-After).
//
// State lives in Redis, so a restarted process or another replica keeps the
// promise. One Redis hash per key, written by Lua scripts so that claiming,
// completing and releasing are atomic:
//
//	crm:idem:<tenant>:<caller>:<sha256(key)>
//	  state  running | done | toolarge
//	  fp     the request's fingerprint (see Fingerprint)
//	  owner  a random token of the request that claimed it
//	  status, ctype, body   the stored response (done)
//
// A claim is an in-flight marker with InFlightTTL (cover the request
// timeout); the finished response replaces it with TTL. Redis unreachable:
// the request is refused with SERVICE_UNAVAILABLE (503, retryable), since
// running it unprotected would break the promise.
package idempotency

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// The headers of the protocol.
const (
	Header         = "Idempotency-Key"
	ReplayedHeader = "Idempotent-Replayed"
)

// The extensions.code values of this package's refusals, besides those of
// pkg/apperr.
const (
	CodeKeyReused   = "IDEMPOTENCY_KEY_REUSED"
	CodeUnavailable = "SERVICE_UNAVAILABLE"
)

// Defaults of Store.
const (
	DefaultTTL              = 24 * time.Hour
	DefaultInFlightTTL      = time.Minute
	DefaultMaxResponseBytes = 1 << 20
	DefaultPrefix           = "crm:idem:"
	DefaultCallTimeout      = 250 * time.Millisecond
	MaxKeyLength            = 255
)

// Store keeps the idempotency records in Redis. Its Middleware applies them
// to the requests whose context carries a Request (WithRequest); others
// pass through untouched.
type Store struct {
	Redis *redis.Client // nil: every keyed request is refused (SERVICE_UNAVAILABLE)
	// Prefix of the Redis keys (DefaultPrefix).
	Prefix string
	// TTL is how long a finished response is kept (DefaultTTL).
	TTL time.Duration
	// InFlightTTL is how long a claim lasts without an answer: longer than
	// the request can take (DefaultInFlightTTL). If the process dies while
	// the request runs, the key is free again after it.
	InFlightTTL time.Duration
	// MaxResponseBytes bounds a stored response (DefaultMaxResponseBytes):
	// a larger one is answered to the first caller and remembered as run
	// but not kept, and a retry gets CONFLICT saying so.
	MaxResponseBytes int
	// CallTimeout bounds each Redis call (DefaultCallTimeout).
	CallTimeout time.Duration
	// Final says whether a response is the outcome of the request (kept and
	// replayed) or a failure where nothing ran (the key is released, so a
	// retry runs). Nil: every response is final.
	Final func(status int, body []byte) bool
	// Usable, when set, says whether Redis should be asked now (a circuit
	// breaker); Failed is told of every Redis failure.
	Usable func() bool
	Failed func(error)
	Logger *slog.Logger
}

// Request is what makes a request idempotent: the scope of its key and the
// fingerprint of what it asks.
type Request struct {
	Tenant      string // the caller's tenant id
	Caller      string // the caller within the tenant ("user:<id>", "key:<id>")
	Key         string // the Idempotency-Key, valid (ValidateKey)
	Fingerprint string // Fingerprint of the request
}

type ctxKey struct{}

// WithRequest returns ctx carrying req, which Store.Middleware applies.
func WithRequest(ctx context.Context, req Request) context.Context {
	return context.WithValue(ctx, ctxKey{}, req)
}

// FromContext returns the Request of ctx, if any.
func FromContext(ctx context.Context) (Request, bool) {
	req, ok := ctx.Value(ctxKey{}).(Request)
	return req, ok
}

// ValidateKey checks an Idempotency-Key: 1 to 255 printable ASCII
// characters (space to tilde). The error is BAD_USER_INPUT naming the
// header.
func ValidateKey(key string) error {
	if key == "" {
		return apperr.Field(Header, "the Idempotency-Key header is empty: send 1 to 255 printable ASCII characters (a UUID, say)")
	}
	if len(key) > MaxKeyLength {
		return apperr.Field(Header, "the Idempotency-Key header is %d characters long, more than the limit of %d", len(key), MaxKeyLength)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c > 0x7e {
			return apperr.Field(Header, "the Idempotency-Key header may hold only printable ASCII characters")
		}
	}
	return nil
}

// redisKey is the record's Redis key: prefixed, scoped by tenant and
// caller, the client's key hashed so its length and characters do not
// matter.
func (s *Store) redisKey(req Request) string {
	sum := sha256.Sum256([]byte(req.Key))
	prefix := s.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return prefix + req.Tenant + ":" + req.Caller + ":" + hex.EncodeToString(sum[:])
}

// claimScript returns the record when there is one, else writes the
// in-flight marker and returns nil.
var claimScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HGETALL', KEYS[1])
end
redis.call('HSET', KEYS[1], 'state', 'running', 'fp', ARGV[1], 'owner', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return false
`)

// completeScript replaces the marker of its owner with the response.
var completeScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'status', ARGV[3], 'ctype', ARGV[4], 'body', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1
`)

// releaseScript deletes the marker of its owner.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// record is a stored record.
type record struct {
	state, fp, ctype string
	status           int
	body             []byte
}

// errUnavailable is a Redis failure.
var errUnavailable = errors.New("idempotency: Redis unavailable")

// claim writes the in-flight marker of req, owned by owner, or returns the
// record already there.
func (s *Store) claim(ctx context.Context, key string, req Request, owner string) (*record, error) {
	if s.Redis == nil || (s.Usable != nil && !s.Usable()) {
		return nil, errUnavailable
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	ttl := orDefault(s.InFlightTTL, DefaultInFlightTTL)
	res, err := claimScript.Run(ctx, s.Redis, []string{key}, req.Fingerprint, owner, ttl.Milliseconds()).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		s.failed(err)
		return nil, errUnavailable
	}
	rec := &record{}
	for i := 0; i+1 < len(res); i += 2 {
		name, _ := res[i].(string)
		value, _ := res[i+1].(string)
		switch name {
		case "state":
			rec.state = value
		case "fp":
			rec.fp = value
		case "ctype":
			rec.ctype = value
		case "status":
			rec.status, _ = strconv.Atoi(value)
		case "body":
			rec.body = []byte(value)
		}
	}
	return rec, nil
}

func (s *Store) callCtx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(parent), orDefault(s.CallTimeout, DefaultCallTimeout))
}

func (s *Store) failed(err error) {
	if s.Failed != nil {
		s.Failed(err)
	}
}

func (s *Store) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// Middleware applies the Request of each request's context, if any: it
// claims the key and runs next once, keeping its response (Final), or
// answers a retry from the record. next runs on a context that is not
// cancelled when the client goes away, so a request whose client gave up
// still finishes and its retry gets its response; next's response is kept
// before it is written to the client.
func (s *Store) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, ok := FromContext(r.Context())
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		key := s.redisKey(req)
		owner := newOwner()
		rec, err := s.claim(r.Context(), key, req, owner)
		switch {
		case err != nil:
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "",
				"idempotent requests are unavailable for a moment (their store does not answer): the request was not run; retry with the same Idempotency-Key", true)
			return
		case rec != nil:
			s.answer(w, rec, req)
			return
		}
		s.run(w, r, next, key, owner)
	})
}

// answer answers a retry from the record found for its key.
func (s *Store) answer(w http.ResponseWriter, rec *record, req Request) {
	switch {
	case rec.fp != req.Fingerprint:
		writeError(w, http.StatusUnprocessableEntity, CodeKeyReused, Header,
			"this Idempotency-Key was used with another request (another operation or other variables) in the last 24 hours: use a new key for a new request", false)
	case rec.state == "running":
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusConflict, string(apperr.Conflict), Header,
			"a request with this Idempotency-Key is still running: retry in a moment to get its response", true)
	case rec.state == "toolarge":
		w.Header().Set(ReplayedHeader, "true")
		writeError(w, http.StatusConflict, string(apperr.Conflict), Header,
			"the request with this Idempotency-Key ran, but its response was too large to keep: read the result with a query", false)
	default:
		if rec.ctype != "" {
			w.Header().Set("Content-Type", rec.ctype)
		}
		w.Header().Set(ReplayedHeader, "true")
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body)
	}
}

// run runs next for the claimed key, keeps or releases the key, then
// writes the response.
func (s *Store) run(w http.ResponseWriter, r *http.Request, next http.Handler, key, owner string) {
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	done := false
	defer func() {
		if !done { // next panicked: nothing known ran to its end
			s.release(r.Context(), key, owner)
		}
	}()
	next.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
	done = true
	body := rec.body.Bytes()
	if s.Final == nil || s.Final(rec.status, body) {
		s.complete(r.Context(), key, owner, rec)
	} else {
		s.release(r.Context(), key, owner)
	}
	for name, values := range rec.header {
		w.Header()[name] = values
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(body)
}

// complete keeps the response of the owner's request.
func (s *Store) complete(parent context.Context, key, owner string, rec *recorder) {
	ctx, cancel := s.callCtx(parent)
	defer cancel()
	state, body := "done", rec.body.Bytes()
	if len(body) > orDefault(s.MaxResponseBytes, DefaultMaxResponseBytes) {
		state, body = "toolarge", nil
	}
	ttl := orDefault(s.TTL, DefaultTTL)
	err := completeScript.Run(ctx, s.Redis, []string{key}, owner, state, rec.status, rec.header.Get("Content-Type"), body, ttl.Milliseconds()).Err()
	if err != nil {
		// The client still gets its response; a retry after the marker
		// expires runs the request again.
		s.failed(err)
		s.logger().WarnContext(parent, "idempotency: the response could not be kept", "err", err)
	}
}

// release frees the key of the owner's request, so its retry runs.
func (s *Store) release(parent context.Context, key, owner string) {
	ctx, cancel := s.callCtx(parent)
	defer cancel()
	if err := releaseScript.Run(ctx, s.Redis, []string{key}, owner).Err(); err != nil {
		s.failed(err)
		s.logger().WarnContext(parent, "idempotency: the key could not be released", "err", err)
	}
}

// recorder buffers a response.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}

func newOwner() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// writeError writes a GraphQL error response with one coded error, the
// shape of every refusal of the gateway.
func writeError(w http.ResponseWriter, status int, code, field, message string, retryable bool) {
	ext := map[string]any{"code": code}
	if field != "" {
		ext["field"] = field
	}
	if retryable {
		ext["retryable"] = true
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": message, "extensions": ext}}})
}
