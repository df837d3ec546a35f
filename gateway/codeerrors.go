package gateway

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// hasErrors says whether an engine response carries errors; the engine
// writes them first.
func hasErrors(resp []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(resp, " \n{"), []byte(`"errors"`))
}

// codeErrors gives every error of an engine response that has no
// extensions.code a code, so every error a client sees is coded:
// SERVICE_UNAVAILABLE (retryable) for a subgraph that could not be reached,
// did not answer within its deadline or answered 5xx, and for the nulls of
// non-null fields that follow from it; INTERNAL with the request id for
// anything else (our own bug). Subgraphs' own codes are kept. Responses
// without errors never come here.
func codeErrors(resp []byte, requestID string) []byte {
	var body struct {
		Errors     []map[string]any `json:"errors"`
		Data       json.RawMessage  `json:"data,omitempty"`
		Extensions json.RawMessage  `json:"extensions,omitempty"`
	}
	if err := json.Unmarshal(resp, &body); err != nil {
		return resp
	}
	unavailable := false
	for _, e := range body.Errors {
		ext, _ := e["extensions"].(map[string]any)
		if _, coded := ext["code"]; !coded && fetchFailed(e) {
			unavailable = true
		}
	}
	for _, e := range body.Errors {
		ext, _ := e["extensions"].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			e["extensions"] = ext
		}
		if _, ok := ext["code"]; ok {
			continue
		}
		msg, _ := e["message"].(string)
		switch {
		case fetchFailed(e), unavailable && strings.HasPrefix(msg, "Cannot return null for non-nullable field"):
			ext["code"] = codeUnavailable
			ext["retryable"] = true
		default:
			ext["code"] = string(apperr.Internal)
			ext["requestId"] = requestID
		}
	}
	out, err := json.Marshal(body)
	if err != nil {
		return resp
	}
	return out
}

// subgraphStatus is the engine's message for a subgraph that answered an
// HTTP error without a GraphQL body ("503: Service Unavailable").
var subgraphStatus = regexp.MustCompile(`^5\d\d(: |$)`)

// fetchFailed says whether an uncoded engine error is a subgraph fetch that
// failed: no connection, its deadline passed, a 5xx answer.
func fetchFailed(e map[string]any) bool {
	msg, _ := e["message"].(string)
	return strings.HasPrefix(msg, "Failed to fetch from Subgraph") || subgraphStatus.MatchString(msg)
}
