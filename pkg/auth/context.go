// Package auth says who is calling: Ed25519-signed access tokens (issue,
// verify, JWKS, key rotation), the caller's identity in the request context,
// the one permission table of the roles and the scopes of API keys (checked
// together by Caller and Require), API keys and their exchange for access
// tokens, and password hashing.
package auth

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/logging"
)

// Identity is the seed's AuthContext: who the verified token says is calling.
type Identity struct {
	UserID   string
	TenantID string
	Email    string
	Role     Role
	// IssuedAt is when the token was issued (zero for identities not read
	// from a token).
	IssuedAt time.Time
	// APIKeyID is the API key the caller acts with ("" for a person): the
	// identity is then the key's creator (UserID, Email), with the key's
	// role (never above the creator's), limited to Scopes.
	APIKeyID string
	// Scopes are what an API key may do (docs/integrators.md); ignored for
	// a person, whom only the role limits.
	Scopes ScopeSet
}

// IsAPIKey reports whether the caller acts with an API key.
func (id Identity) IsAPIKey() bool { return id.APIKeyID != "" }

type ctxKey struct{}

type callState struct {
	id   Identity
	err  error // why a presented token was refused
	ok   bool
	addr string
	// token is the bearer token as presented, verified or not, so that a
	// call to another subgraph made for this request can carry it.
	token string
}

// WithIdentity returns ctx carrying a verified identity.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, callState{id: id, ok: true})
}

// Middleware verifies the bearer token (Verifier.Authenticate: signature,
// claims, revocation, remembered for a few seconds), if the request has
// one, and puts the result in the request context. A request without a
// token goes on anonymously (public operations need none); a bad token is
// remembered, so every operation that needs a caller answers
// UNAUTHENTICATED with the reason.
func Middleware(v *Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := callState{addr: clientAddr(r)}
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)))
			return
		}
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			st.err = apperr.E(apperr.Unauthenticated, "the Authorization header must be \"Bearer <token>\"")
		} else if token = strings.TrimSpace(token); IsAPIKey(token) {
			// Only the gateway takes API keys (and forwards a short-lived
			// access token instead): a key sent here is refused, and never
			// forwarded to another subgraph.
			st.err = apperr.E(apperr.Unauthenticated, "API keys are accepted by the gateway only")
		} else {
			st.token = token
			st.id, st.err = v.Authenticate(r.Context(), st.token)
			st.ok = st.err == nil
		}
		ctx := context.WithValue(r.Context(), ctxKey{}, st)
		if st.ok {
			ctx = logging.WithTenant(ctx, st.id.TenantID) // the request's log lines name its tenant
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Caller returns the verified identity of the request, or UNAUTHENTICATED.
// An API key must also hold the scope of the request's domain (WithDomain)
// for the operation's access (WithAccess: write in a mutation, read
// otherwise), or the answer is FORBIDDEN naming the missing scope.
func Caller(ctx context.Context) (Identity, error) {
	return caller(ctx, Read)
}

func caller(ctx context.Context, need Access) (Identity, error) {
	st, _ := ctx.Value(ctxKey{}).(callState)
	switch {
	case st.ok:
		if err := st.id.allowed(ctx, need); err != nil {
			return Identity{}, err
		}
		return st.id, nil
	case st.err != nil:
		return Identity{}, st.err
	}
	return Identity{}, apperr.E(apperr.Unauthenticated, "sign in first: this operation needs an access token")
}

// Require returns the caller if its role has the permission and, for an API
// key, its scopes allow the permission's access (read or write) to the
// request's domain: UNAUTHENTICATED without a valid token, FORBIDDEN
// without the permission or the scope (extensions.scope names it). API keys
// never manage API keys.
func Require(ctx context.Context, p Permission) (Identity, error) {
	id, err := caller(ctx, p.access())
	if err != nil {
		return id, err
	}
	if !id.Role.Can(p) {
		return id, apperr.E(apperr.Forbidden, "the %s role may not do this (%s)", id.Role, p)
	}
	if p == ManageAPIKeys && id.IsAPIKey() {
		return id, apperr.E(apperr.Forbidden, "API keys cannot create, list or revoke API keys: sign in as an admin")
	}
	return id, nil
}

// Person returns the caller when it is a person, not an API key: for what
// only people have (a password, sessions).
func Person(ctx context.Context) (Identity, error) {
	id, err := Caller(ctx)
	if err == nil && id.IsAPIKey() {
		return id, apperr.E(apperr.Forbidden, "API keys have no password or sessions: sign in as a person for this")
	}
	return id, err
}

// BearerToken returns the bearer token the request presented, "" when it
// had none. It is what a typed client forwards to another subgraph, so that
// subgraph verifies the same caller and tenant itself; use Caller to know
// whether it was valid.
func BearerToken(ctx context.Context) string {
	st, _ := ctx.Value(ctxKey{}).(callState)
	return st.token
}

// ClientAddr returns the address of the client that made the request: the
// first X-Forwarded-For entry (set by the gateway, the only client subgraphs
// are exposed to) or the peer address.
func ClientAddr(ctx context.Context) string {
	st, _ := ctx.Value(ctxKey{}).(callState)
	if st.addr == "" {
		return "unknown"
	}
	return st.addr
}

func clientAddr(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		first, _, _ := strings.Cut(xff, ",")
		return strings.TrimSpace(first)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
