package gateway

import (
	"errors"
	"net/http"
	"strings"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/logging"
)

// caller is who a request says it comes from.
type caller struct {
	id       auth.Identity
	verified bool  // a valid access token (or API key) came with the request
	tokenErr error // why a presented token was refused
	// forward is the access token the subgraphs get: the client's own, or
	// the one its API key was exchanged for (the key never goes on).
	forward string
	// keyLimit is an API key's rate limit, its tenant's setting (0: the
	// default, RateLimit.PerAPIKey).
	keyLimit int64
}

// identify verifies the request's bearer token, if it has one: signature,
// claims and revocation, remembered for a few seconds (auth's verified-token
// cache), so a busy client's token is checked once per interval. An API key
// (auth.APIKeyPrefix) is exchanged for an access token (apiKeys).
func (g *Gateway) identify(r *http.Request) caller {
	h := r.Header.Get("Authorization")
	if h == "" {
		return caller{}
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return caller{tokenErr: apperr.E(apperr.Unauthenticated, `the Authorization header must be "Bearer <access token>"`)}
	}
	token = strings.TrimSpace(token)
	if auth.IsAPIKey(token) {
		return g.apiKeys.identify(r.Context(), token)
	}
	id, err := g.verifier.Authenticate(r.Context(), token)
	if err != nil {
		return caller{tokenErr: err}
	}
	return caller{id: id, verified: true, forward: token}
}

// authorize lets an operation through when the caller is signed in or when
// every root field it selects is public. A public operation is let through
// even with a bad token, which is then not forwarded: a client still holding
// an expired access token must be able to call refreshToken or login.
func (g *Gateway) authorize(c caller, op operation) *refusal {
	if c.verified || g.isPublic(op) {
		return nil
	}
	msg := "sign in first: this operation needs an access token (Authorization: Bearer <token>)"
	e, ok := apperr.As(c.tokenErr)
	switch {
	case errors.Is(c.tokenErr, auth.ErrExchangeUnavailable):
		return refuse(http.StatusServiceUnavailable, codeUnavailable, "the API key could not be checked just now: try again")
	case ok && e.Code == apperr.TenantSuspended:
		return refuse(http.StatusForbidden, string(apperr.TenantSuspended), e.Message)
	case ok:
		msg = e.Message
	}
	return refuse(http.StatusUnauthorized, codeUnauthenticated, msg)
}

func (g *Gateway) isPublic(op operation) bool {
	if len(op.rootFields) == 0 {
		return false
	}
	for _, f := range op.rootFields {
		_, name, _ := strings.Cut(f, ".")
		public := g.public[f] || name == "__typename" ||
			(g.cfg.Introspection && (name == "__schema" || name == "__type"))
		if !public {
			return false
		}
	}
	return true
}

// forwardedHeaders are the headers the engine templates into every
// subgraph fetch, and so deduplicates on: the Authorization of a verified
// caller (its access token, or the one its API key was exchanged for),
// nothing else. Two identical query fetches in flight at once for
// the same caller share one subgraph request; two callers never do.
func (g *Gateway) forwardedHeaders(r *http.Request, c caller) http.Header {
	h := make(http.Header, len(ForwardedHeaders))
	if c.verified {
		h.Set("Authorization", "Bearer "+c.forward)
	}
	return h
}

// requestHeaders are the headers that say which request a subgraph fetch
// serves: the request id (logging.Middleware made one when the client sent
// none) and the client's address as the gateway sees it, in
// X-Forwarded-For (subgraphs rate limit logins by it). The fetch transport
// adds them to each fetch it sends, outside the engine's deduplication key
// (a shared fetch carries the ids of the request that sent it), with the
// traceparent of the fetch's span (telemetry.Middleware took the client's,
// when well-formed, as its parent). Nothing else a client sends
// (X-Tenant-ID, its own X-Forwarded-For, hop-by-hop headers) goes on.
func (g *Gateway) requestHeaders(r *http.Request) http.Header {
	h := make(http.Header, 2)
	h.Set("X-Forwarded-For", clientAddr(r, g.cfg.TrustForwardedFor))
	h.Set(logging.RequestIDHeader, logging.RequestID(r.Context()))
	return h
}
