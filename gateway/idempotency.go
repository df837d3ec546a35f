package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/idempotency"
)

// newIdempotency is the store of Idempotency-Key records: in the gateway's
// Redis, behind its circuit breaker, a claim lasting a little longer than
// the request timeout.
func (g *Gateway) newIdempotency() *idempotency.Store {
	return &idempotency.Store{
		Redis:       g.cfg.Redis,
		InFlightTTL: g.cfg.Limits.Timeout + idempotencyMargin,
		Final:       idempotentFinal,
		Usable:      g.redis.usable,
		Failed:      func(err error) { g.redis.failed("idempotency", err) },
		Logger:      g.cfg.Logger,
	}
}

// idempotencyMargin is how much longer than the request timeout a claim
// lasts: the time to keep its response.
const idempotencyMargin = 10 * time.Second

// executeOnce runs a mutation that came with an Idempotency-Key at most
// once per (tenant, caller, key): see pkg/idempotency. Only a signed-in
// caller's mutations are made idempotent; a public mutation (signUp,
// login...) with the header is refused, since its response carries
// credentials that must not be kept, and a client address is no identity.
func (g *Gateway) executeOnce(w http.ResponseWriter, r *http.Request, req *gqlRequest, a admission) string {
	values := r.Header.Values(idempotency.Header)
	key := values[0]
	var err error
	switch {
	case len(values) > 1:
		err = apperr.Field(idempotency.Header, "send one Idempotency-Key header, not %d", len(values))
	case !a.caller.verified:
		err = apperr.Field(idempotency.Header, "the Idempotency-Key header needs a signed-in caller (an access token): public mutations are not made idempotent")
	default:
		err = idempotency.ValidateKey(key)
	}
	if err != nil {
		e, _ := apperr.As(err)
		writeFieldError(w, e)
		return string(apperr.BadUserInput)
	}
	fp, err := idempotency.Fingerprint(req.Query, req.OperationName, req.Variables)
	if err != nil { // readRequest checked the variables
		ref := refuse(http.StatusBadRequest, codeBadRequest, "variables must be a JSON object")
		ref.write(w)
		return ref.code
	}
	ctx := idempotency.WithRequest(r.Context(), idempotency.Request{
		Tenant:      a.caller.id.TenantID,
		Caller:      idempotencyCaller(a.caller.id),
		Key:         key,
		Fingerprint: fp,
	})
	outcome := ""
	sw := &statusWriter{ResponseWriter: w}
	g.idempotency.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outcome = g.execute(w, r, a.run, a.caller)
	})).ServeHTTP(sw, r.WithContext(ctx))
	if outcome != "" {
		return outcome
	}
	switch sw.status { // answered from the record, or refused
	case http.StatusUnprocessableEntity:
		return idempotency.CodeKeyReused
	case http.StatusConflict:
		return string(apperr.Conflict)
	case http.StatusServiceUnavailable:
		return codeUnavailable
	}
	return "replayed"
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// idempotencyCaller is who owns a key within the tenant: the API key a
// caller acts with, or else its user. A key acts as its creator, so keying
// keys by user would let a key's retry replay its creator's response (and
// the other way round) for the same Idempotency-Key.
func idempotencyCaller(id auth.Identity) string {
	if id.IsAPIKey() {
		return "key:" + id.APIKeyID
	}
	return "user:" + id.UserID
}

// idempotentFinal says which responses of a keyed mutation are kept and
// replayed: every response the engine produced once the mutation may have
// run, its own errors included, and TIMEOUT (504: it may have run). Not
// kept, the key released so that the retry runs: an engine error before
// execution (INTERNAL 500, variables that do not fit 400), and a response
// without any data whose every error is SERVICE_UNAVAILABLE (the subgraph
// could not be reached or answered 5xx).
func idempotentFinal(status int, body []byte) bool {
	switch {
	case status == http.StatusGatewayTimeout:
		return true
	case status != http.StatusOK:
		return false
	case !hasErrors(body):
		return true
	}
	var resp struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
		Data map[string]json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &resp) != nil {
		return true
	}
	for _, e := range resp.Errors {
		if e.Extensions.Code != codeUnavailable {
			return true
		}
	}
	for _, v := range resp.Data {
		if !bytes.Equal(v, []byte("null")) {
			return true
		}
	}
	return false
}

// writeFieldError writes a BAD_USER_INPUT refusal naming its field.
func writeFieldError(w http.ResponseWriter, e *apperr.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
		"message":    e.Message,
		"extensions": map[string]any{"code": string(e.Code), "field": e.Field},
	}}})
}
