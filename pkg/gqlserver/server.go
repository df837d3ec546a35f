package gqlserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/logging"
	"github.com/opencrm/opencrm/pkg/telemetry"
)

// Subgraph is everything needed to serve one subgraph over HTTP.
type Subgraph struct {
	// Name is the subgraph's name (its requests' spans carry it).
	Name     string
	GraphQL  http.Handler
	Verifier *auth.Verifier
	// Domain is what the subgraph serves, in the terms of API key scopes:
	// every permission check of its requests checks a key's scope of it
	// (auth.Caller). Empty: API keys can do nothing here.
	Domain  auth.Domain
	Pool    *pgxpool.Pool
	Deps    []Dependency
	Metrics *Metrics
	Limits  Limits
	// Routes are extra routes (the identity subgraph's JWKS, say).
	Routes map[string]http.Handler
}

// GraphQLPath is where every subgraph serves GraphQL.
const GraphQLPath = "/graphql"

// Handler returns the subgraph's HTTP routes: GraphQL at /graphql (GET and
// POST), /health (readiness), /health/live (liveness), /metrics and the
// extra routes.
func (s Subgraph) Handler() http.Handler {
	mux := http.NewServeMux()
	limit := s.Limits.MaxBodyBytes
	if limit == 0 {
		limit = DefaultLimits.MaxBodyBytes
	}
	graphQL := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.GraphQL.ServeHTTP(w, r.WithContext(auth.WithDomain(r.Context(), s.Domain)))
	})
	mux.Handle(GraphQLPath, LimitBody(limit, auth.Middleware(s.Verifier, graphQL)))
	mux.Handle("GET /health", HealthHandler(func(ctx context.Context) HealthReport { return Health(ctx, s.Pool, s.Deps) }))
	mux.Handle("GET "+LivePath, LiveHandler())
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics.Handler())
	}
	for path, h := range s.Routes {
		mux.Handle(path, h)
	}
	return logging.Middleware(telemetry.Middleware(s.Name, mux))
}

// LimitBody refuses request bodies over limit bytes with 413 and a coded
// GraphQL error, before anything parses them.
func LimitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			WriteError(w, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE",
				fmt.Sprintf("the request body is larger than the limit of %d bytes", limit))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
			if err != nil {
				WriteError(w, http.StatusBadRequest, "BAD_REQUEST", "the request body could not be read")
				return
			}
			if int64(len(body)) > limit {
				WriteError(w, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE",
					fmt.Sprintf("the request body is larger than the limit of %d bytes", limit))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// WriteError writes a GraphQL response holding one coded error.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": map[string]any{"code": code}}},
	})
}
