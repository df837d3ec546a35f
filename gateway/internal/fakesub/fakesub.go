// Package fakesub has canned identity and tenant subgraphs, shaped like the
// real ones, that record every request they get: the gateway's tests count
// subgraph calls, read forwarded headers and entity batches with them.
package fakesub

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Request is one request a subgraph received.
type Request struct {
	Query     string
	Variables map[string]any
	Header    http.Header
}

// Representations are the entity representations of an _entities request.
func (r Request) Representations() []map[string]any {
	reps, _ := r.Variables["representations"].([]any)
	out := make([]map[string]any, 0, len(reps))
	for _, rep := range reps {
		m, _ := rep.(map[string]any)
		out = append(out, m)
	}
	return out
}

// Subgraph is a fake subgraph serving GraphQL at URL and /health.
type Subgraph struct {
	Server *httptest.Server
	// URL is the GraphQL endpoint, as the gateway's Config.Subgraphs wants.
	URL string

	delay   atomic.Int64
	health  atomic.Pointer[health]
	mu      sync.Mutex
	reqs    []Request
	resolve func(root string, r Request) any
}

func start(t testing.TB, resolve func(root string, r Request) any) *Subgraph {
	s := &Subgraph{resolve: resolve}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /graphql", s.serveGraphQL)
	s.health.Store(&health{http.StatusOK, `{"status":"healthy"}`})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		h := s.health.Load()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(h.status)
		_, _ = w.Write([]byte(h.body))
	})
	s.Server = httptest.NewServer(mux)
	s.URL = s.Server.URL + "/graphql"
	t.Cleanup(s.Server.Close)
	return s
}

type health struct {
	status int
	body   string
}

// SetHealth makes /health answer status with body (a gqlserver.HealthReport).
func (s *Subgraph) SetHealth(status int, body string) { s.health.Store(&health{status, body}) }

// SetDelay makes every answer wait d.
func (s *Subgraph) SetDelay(d time.Duration) { s.delay.Store(int64(d)) }

// Requests returns the requests received so far.
func (s *Subgraph) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// rootField finds the first field of the operation the gateway sent.
var rootField = regexp.MustCompile(`^[^{]*\{\s*(\w+)`)

func (s *Subgraph) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := Request{Query: body.Query, Variables: body.Variables, Header: r.Header.Clone()}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	select {
	case <-time.After(time.Duration(s.delay.Load())):
	case <-r.Context().Done():
		return
	}
	root := ""
	if m := rootField.FindStringSubmatch(body.Query); m != nil {
		root = m[1]
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.resolve(root, req))
}

func data(v map[string]any) map[string]any { return map[string]any{"data": v} }

func fail(path, code, msg string) map[string]any {
	return map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": msg, "path": []any{path},
		"extensions": map[string]any{"code": code, "internalDetail": "must not reach the client"},
	}}}
}
