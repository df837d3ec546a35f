package gateway

import (
	"encoding/json"
	"net/http"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/gqlserver"
)

// The extensions.code values of the gateway's own refusals, besides those
// of pkg/apperr.
const (
	codeBadRequest          = "BAD_REQUEST"
	codeParse               = "GRAPHQL_PARSE_FAILED"
	codeValidation          = "GRAPHQL_VALIDATION_FAILED"
	codeBatching            = "BATCHING_NOT_SUPPORTED"
	codeDepth               = "DEPTH_LIMIT_EXCEEDED"
	codeComplexity          = "COMPLEXITY_LIMIT_EXCEEDED"
	codeAliases             = "TOO_MANY_ALIASES"
	codeIntrospection       = "INTROSPECTION_DISABLED"
	codeTimeout             = "TIMEOUT"
	codeUnavailable         = "SERVICE_UNAVAILABLE" // a subgraph down or too slow: retry
	codePQNotFound          = "PERSISTED_QUERY_NOT_FOUND"
	codePQNotSupported      = "PERSISTED_QUERY_NOT_SUPPORTED"
	codeUnauthenticated     = string(apperr.Unauthenticated)
	codeTooManyRequests     = string(apperr.TooManyRequests)
	codeMethodNotAllowed    = "METHOD_NOT_ALLOWED"
	messagePQNotFound       = "PersistedQueryNotFound" // what Apollo clients look for
	messagePQHashMismatch   = "provided sha does not match query"
	messagePQNotSupportedV1 = "only version 1 of persisted queries is supported"
)

// refusal is a request the gateway answers itself, with an HTTP status and
// one coded GraphQL error per message, without calling any subgraph.
type refusal struct {
	status   int
	code     string
	messages []string
}

func refuse(status int, code, message string) *refusal {
	return &refusal{status: status, code: code, messages: []string{message}}
}

func (r *refusal) Error() string { return r.code + ": " + r.messages[0] }

// write renders the refusal as a GraphQL response.
func (r *refusal) write(w http.ResponseWriter) {
	if len(r.messages) == 1 {
		gqlserver.WriteError(w, r.status, r.code, r.messages[0])
		return
	}
	errs := make([]map[string]any, 0, len(r.messages))
	for _, m := range r.messages {
		errs = append(errs, map[string]any{"message": m, "extensions": map[string]any{"code": r.code}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": errs})
}
