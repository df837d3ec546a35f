package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
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
	}
	return req, nil
}
