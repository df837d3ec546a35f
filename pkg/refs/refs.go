// Package refs is the one way a subgraph checks the ids of records another
// subgraph owns (docs/architecture.md section 1, "Synchronous calls between subgraphs"): users
// (identity), companies and contacts (contact), deals (deal). A write that
// sets such ids asks, before its transaction opens, whether they name
// records of the caller's organisation: one `_entities` request per owning
// subgraph (concurrently, each type answered there with one SQL statement),
// carrying the caller's own bearer token, so the owner verifies the caller
// and picks the tenant from the token itself: an id of another organisation
// is missing, like one that does not exist. A missing id is NOT_FOUND naming
// the input field. Failures (transport, non-200, errors other than NOT_FOUND
// of one entity) are errors, never "exists" or "missing".
//
// A reference inside one subgraph (a contact's company) needs no call: the
// subgraph checks it in its own transaction, with the same NOT_FOUND.
package refs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/logging"
	"github.com/opencrm/opencrm/pkg/telemetry"
)

// Timeout bounds one call, whatever the caller's context allows.
const Timeout = 5 * time.Second

// maxResponse bounds the response read: ids only, so a few MiB is plenty.
const maxResponse = 4 << 20

// Type is a kind of record another subgraph owns: its entity type name.
type Type string

// The types a reference may name.
const (
	User    Type = "User"
	Company Type = "Company"
	Contact Type = "Contact"
	Deal    Type = "Deal"
)

// owners are the subgraphs that own each type (their names in
// subgraphs.All), which alone can say whether a record exists.
var owners = map[Type]string{User: "identity", Company: "contact", Contact: "contact", Deal: "deal"}

// Owner is the name of the subgraph that owns the type.
func (t Type) Owner() string { return owners[t] }

// noun is how a message names a record of the type.
func (t Type) noun() string { return strings.ToLower(string(t)) }

// Ref is an id an input sets, naming a record of Type; an empty ID is
// not set (nothing to check).
type Ref struct {
	// Field is the input field, as extensions.field names it: "input.ownerId".
	Field string
	Type  Type
	ID    string
}

// To is a Ref from an optional input id: nil or "" sets nothing.
func To(field string, t Type, id *string) Ref {
	if id == nil {
		return Ref{Field: field, Type: t}
	}
	return Ref{Field: field, Type: t, ID: *id}
}

// Checker is what a domain asks of the owners of its references; *Client is
// the real one, tests may give their own.
type Checker interface {
	// Check returns nil when every set ref names a record of the caller's
	// organisation, and otherwise the NOT_FOUND of the first that does not.
	Check(ctx context.Context, refs ...Ref) error
}

// Client checks references through the owning subgraphs' GraphQL endpoints.
type Client struct {
	// URLs are the subgraphs' GraphQL endpoints by name ("identity",
	// "contact", "deal"). A reference to a type whose owner has no URL
	// fails the check (an error, not "missing").
	URLs map[string]string
	// HTTP sends the requests; nil is http.DefaultClient.
	HTTP *http.Client
}

// NotFound is the error of a reference that names no record of the
// caller's organisation.
func NotFound(r Ref) error {
	return &apperr.Error{Code: apperr.NotFound, Field: r.Field, Message: "no " + r.Type.noun() + " with this id in your organisation"}
}

// Check implements Checker: one request per owning subgraph, none when no
// ref is set. A nil *Client checks nothing.
func (c *Client) Check(ctx context.Context, refs ...Ref) error {
	if c == nil {
		return nil
	}
	missing, err := c.Missing(ctx, refs...)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return NotFound(missing[0])
	}
	return nil
}

type representation struct {
	Typename string `json:"__typename"`
	ID       string `json:"id"`
}

// Missing returns the set refs that name no record of the caller's
// organisation, in the order given.
func (c *Client) Missing(ctx context.Context, refs ...Ref) ([]Ref, error) {
	// Each owner is asked for each (type, id) once.
	byOwner := map[string][]representation{}
	seen := map[representation]bool{}
	for _, r := range refs {
		if r.ID == "" {
			continue
		}
		owner := r.Type.Owner()
		if owner == "" {
			return nil, fmt.Errorf("refs: %s is not a type another subgraph owns", r.Type)
		}
		rep := representation{string(r.Type), r.ID}
		if !seen[rep] {
			seen[rep] = true
			byOwner[owner] = append(byOwner[owner], rep)
		}
	}
	if len(byOwner) == 0 {
		return nil, nil
	}
	var (
		mu    sync.Mutex
		found = map[representation]bool{}
		errs  []error
		wg    sync.WaitGroup
	)
	for owner, reps := range byOwner {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := c.entities(ctx, owner, reps)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("check references with the %s subgraph: %w", owner, err))
				return
			}
			for i, rep := range reps {
				found[rep] = ok[i]
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var missing []Ref
	for _, r := range refs {
		if r.ID != "" && !found[representation{string(r.Type), r.ID}] {
			missing = append(missing, r)
		}
	}
	return missing, nil
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

// query resolves the representations' types by id in one request.
func query(reps []representation) string {
	var b strings.Builder
	b.WriteString(`query($r: [_Any!]!) { _entities(representations: $r) {`)
	done := map[string]bool{}
	for _, rep := range reps {
		if !done[rep.Typename] {
			done[rep.Typename] = true
			fmt.Fprintf(&b, " ... on %s { id }", rep.Typename)
		}
	}
	b.WriteString(" } }")
	return b.String()
}

// entities asks the owner to resolve the representations and reports which exist.
func (c *Client) entities(ctx context.Context, owner string, reps []representation) ([]bool, error) {
	url := c.URLs[owner]
	if url == "" {
		return nil, errors.New("no URL configured")
	}
	body, err := json.Marshal(map[string]any{"query": query(reps), "variables": map[string]any{"r": reps}})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
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
	telemetry.Inject(ctx, req.Header) // the caller's trace goes on
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

// snippet is the start of a body, for an error message.
func snippet(b []byte) string {
	const n = 200
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
