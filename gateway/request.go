package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/opencrm/opencrm/pkg/customfields"
)

// gqlRequest is one GraphQL request as the client sent it (GraphQL over
// HTTP, with Apollo's persisted query extension).
type gqlRequest struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    struct {
		PersistedQuery *persistedQuery `json:"persistedQuery"`
	} `json:"extensions"`
}

// persistedQuery is Apollo's automatic persisted query extension.
type persistedQuery struct {
	Version    int    `json:"version"`
	SHA256Hash string `json:"sha256Hash"`
}

// readRequest reads a GraphQL request from a POST body (already bounded by
// gqlserver.LimitBody) or from GET parameters.
func readRequest(r *http.Request) (gqlRequest, *refusal) {
	var req gqlRequest
	switch r.Method {
	case http.MethodPost:
		// A JSON content type needs a CORS preflight, so no other site's
		// form can post here (a login CSRF, say).
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" && mt != "application/graphql-response+json" {
			return req, refuse(http.StatusUnsupportedMediaType, codeBadRequest, "send the request as Content-Type: application/json")
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return req, refuse(http.StatusBadRequest, codeBadRequest, "the request body could not be read")
		}
		body = bytes.TrimSpace(body)
		if len(body) > 0 && body[0] == '[' {
			return req, refuse(http.StatusBadRequest, codeBatching, "batched requests (a JSON array) are not supported: send one operation per request")
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return req, refuse(http.StatusBadRequest, codeBadRequest, "the body must be a JSON object {query, operationName, variables, extensions}")
		}
	case http.MethodGet:
		q := r.URL.Query()
		req.Query, req.OperationName = q.Get("query"), q.Get("operationName")
		if v := q.Get("variables"); v != "" {
			req.Variables = json.RawMessage(v)
		}
		if e := q.Get("extensions"); e != "" {
			if err := json.Unmarshal([]byte(e), &req.Extensions); err != nil {
				return req, refuse(http.StatusBadRequest, codeBadRequest, "the extensions parameter must be a JSON object")
			}
		}
	default:
		return req, refuse(http.StatusMethodNotAllowed, codeMethodNotAllowed, "use POST (or GET for queries)")
	}
	if v := bytes.TrimSpace(req.Variables); len(v) == 0 || bytes.Equal(v, []byte("null")) {
		req.Variables = nil
	} else if v[0] != '{' || !json.Valid(v) {
		return req, refuse(http.StatusBadRequest, codeBadRequest, "variables must be a JSON object")
	} else if jsonDepth(v, maxVariablesDepth) > maxVariablesDepth {
		return req, refuse(http.StatusBadRequest, codeDepth,
			fmt.Sprintf("variables nest deeper than %d levels (custom fields allow %d)", maxVariablesDepth, customfields.MaxDepth))
	}
	return req, nil
}

// maxVariablesDepth bounds how deep variables nest: far above what any
// input needs (custom fields allow customfields.MaxDepth inside a few input
// objects), far below what makes the engine's JSON parser give up.
const maxVariablesDepth = 32

// jsonDepth is how deep objects and arrays nest in valid JSON, counting at
// most stop+1 levels.
func jsonDepth(v []byte, stop int) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range v {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > deepest {
				deepest = depth
				if deepest > stop {
					return deepest
				}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}
