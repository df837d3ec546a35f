package gateway

import (
	"bytes"
	"encoding/json"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// hasErrors says whether an engine response carries errors; the engine
// writes them first.
func hasErrors(resp []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(resp, " \n{"), []byte(`"errors"`))
}

// codeErrors gives every error of an engine response that has no
// extensions.code (a subgraph that could not be reached, the nulls that
// follow from it) the code INTERNAL and the request id, so every error a
// client sees is coded. Subgraphs' own codes are kept. Responses without
// errors never come here.
func codeErrors(resp []byte, requestID string) []byte {
	var body struct {
		Errors     []map[string]any `json:"errors"`
		Data       json.RawMessage  `json:"data,omitempty"`
		Extensions json.RawMessage  `json:"extensions,omitempty"`
	}
	if err := json.Unmarshal(resp, &body); err != nil {
		return resp
	}
	for _, e := range body.Errors {
		ext, _ := e["extensions"].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			e["extensions"] = ext
		}
		if _, ok := ext["code"]; !ok {
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
