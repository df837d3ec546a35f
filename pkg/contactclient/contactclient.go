// Package contactclient is the typed client of the contact subgraph, for the
// writes of other domains that need its decision (docs/architecture.md section 1):
// whether company and contact ids name records of the caller's organisation.
//
// It asks the contact subgraph's own GraphQL endpoint with the caller's
// bearer token, so that subgraph verifies the caller and picks the tenant
// from the token itself: an id of another organisation is missing, like one
// that does not exist. Failures (transport, non-200, errors other than
// NOT_FOUND of one entity) are errors, never "exists" or "missing".
package contactclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/logging"
)

// Timeout bounds one call, whatever the caller's context allows.
const Timeout = 5 * time.Second

// maxResponse bounds the response read: ids only, so a few MiB is plenty.
const maxResponse = 4 << 20

// entitiesQuery resolves companies and contacts by id in one request (the
// contact subgraph answers each type with one SQL statement).
const entitiesQuery = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Company { id } ... on Contact { id } } }`

// Client calls the contact subgraph.
type Client struct {
	// URL is the contact subgraph's GraphQL endpoint.
	URL string
	// HTTP sends the requests; nil is http.DefaultClient.
	HTTP *http.Client
}

type representation struct {
	Typename string `json:"__typename"`
	ID       string `json:"id"`
}

type response struct {
	Data *struct {
		Entities []*struct {
			ID string `json:"id"`
		} `json:"_entities"`
	} `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// Missing returns the company ids and the contact ids that name no record
// of the caller's organisation (the tenant of the request's bearer token),
// each once, in the order given. It sends one request, none when both lists
// are empty.
func (c *Client) Missing(ctx context.Context, companyIDs, contactIDs []string) (missingCompanies, missingContacts []string, err error) {
	companies, contacts := dedupe(companyIDs), dedupe(contactIDs)
	if len(companies)+len(contacts) == 0 {
		return nil, nil, nil
	}
	if c.URL == "" {
		return nil, nil, errors.New("contact subgraph: no URL configured")
	}
	reps := make([]representation, 0, len(companies)+len(contacts))
	for _, id := range companies {
		reps = append(reps, representation{"Company", id})
	}
	for _, id := range contacts {
		reps = append(reps, representation{"Contact", id})
	}
	found, err := c.entities(ctx, reps)
	if err != nil {
		return nil, nil, fmt.Errorf("contact subgraph: %w", err)
	}
	for i, rep := range reps {
		if found[i] {
			continue
		}
		if i < len(companies) {
			missingCompanies = append(missingCompanies, rep.ID)
		} else {
			missingContacts = append(missingContacts, rep.ID)
		}
	}
	return missingCompanies, missingContacts, nil
}

// entities resolves the representations and reports which exist.
func (c *Client) entities(ctx context.Context, reps []representation) ([]bool, error) {
	body, err := json.Marshal(map[string]any{"query": entitiesQuery, "variables": map[string]any{"r": reps}})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if tok := auth.BearerToken(ctx); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if id := logging.RequestID(ctx); id != "" {
		req.Header.Set(logging.RequestIDHeader, id)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("read the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, snippet(raw))
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode the response: %w", err)
	}
	notFound := map[int]bool{}
	for _, e := range r.Errors {
		i, ok := entityIndex(e.Path)
		if code, _ := e.Extensions["code"].(string); ok && code == "NOT_FOUND" && i < len(reps) {
			notFound[i] = true
			continue
		}
		return nil, fmt.Errorf("%s (code %v, path %v)", e.Message, e.Extensions["code"], e.Path)
	}
	if r.Data == nil || len(r.Data.Entities) != len(reps) {
		return nil, fmt.Errorf("asked for %d entities, got an answer without them: %s", len(reps), snippet(raw))
	}
	found := make([]bool, len(reps))
	for i, e := range r.Data.Entities {
		switch {
		case e == nil || notFound[i]:
		case !strings.EqualFold(e.ID, reps[i].ID):
			return nil, fmt.Errorf("asked for %s %s, got id %q", reps[i].Typename, reps[i].ID, e.ID)
		default:
			found[i] = true
		}
	}
	return found, nil
}

// entityIndex returns i of an error at path ["_entities", i].
func entityIndex(path []any) (int, bool) {
	if len(path) != 2 || path[0] != "_entities" {
		return 0, false
	}
	f, ok := path[1].(float64)
	if !ok || f < 0 || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// snippet is the start of a body, for an error message.
func snippet(b []byte) string {
	const n = 200
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
