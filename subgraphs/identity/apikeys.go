package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/identity/store"
)

// APIKey is a key an integration calls the API with (the schema's ApiKey,
// docs/integrators.md). Its secret is never kept: only its hash.
type APIKey struct {
	ID         string
	Name       string
	Prefix     string
	Role       auth.Role
	Scopes     []auth.Scope
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	creator    User // read with the key, in the same statement or transaction
}

// CreatedBy is the admin who created the key, in whose name it acts.
func (k APIKey) CreatedBy() *User { u := k.creator; return &u }

// cursor is the key's position in the list, newest first.
func (k APIKey) cursor() string { return page.Cursor(k.CreatedAt, k.ID) }

// APIKeyConnection is a page of API keys, newest first.
type APIKeyConnection = page.Connection[APIKey]

// APIKeyEdge is a key of a page and its cursor.
type APIKeyEdge = page.Edge[APIKey]

// CreateAPIKeyInput describes a new key.
type CreateAPIKeyInput struct {
	Name      string
	Role      auth.Role
	Scopes    []auth.Scope
	ExpiresAt *time.Time
}

// CreateAPIKeyPayload is a new key and its secret, shown this once.
type CreateAPIKeyPayload struct {
	APIKey APIKey
	Secret string
}

// exchangeTouchInterval is how stale lastUsedAt may be: the exchange writes
// it at most this often per key.
const exchangeTouchInterval = time.Minute

// CreateAPIKey creates a key of the caller's organisation (admins, signed
// in as people) with a role no higher than the caller's.
func (s *Service) CreateAPIKey(ctx context.Context, in CreateAPIKeyInput) (*CreateAPIKeyPayload, error) {
	caller, err := auth.Require(ctx, auth.ManageAPIKeys)
	if err != nil {
		return nil, err
	}
	name, err := validate.Text("input.name", in.Name, 100)
	if err != nil {
		return nil, err
	}
	if !in.Role.Valid() {
		return nil, apperr.Field("input.role", "unknown role %q", in.Role)
	}
	if !in.Role.AtMost(caller.Role) {
		return nil, &apperr.Error{Code: apperr.Forbidden, Field: "input.role",
			Message: fmt.Sprintf("a key's role cannot be above yours (%s)", caller.Role)}
	}
	if len(in.Scopes) == 0 {
		return nil, apperr.Field("input.scopes", "give the key at least one scope")
	}
	for i, sc := range in.Scopes {
		if !sc.Valid() {
			return nil, apperr.Field(fmt.Sprintf("input.scopes.%d", i), "unknown scope %q", sc)
		}
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(time.Now()) {
		return nil, apperr.Field("input.expiresAt", "the expiry must be in the future")
	}
	scopes := auth.NewScopeSet(in.Scopes...).List() // in order, each once
	secret, shown, hash := auth.NewAPIKey(caller.TenantID)
	var k APIKey
	err = s.queries().As(ctx, auth.ManageAPIKeys, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) error {
		row, err := q.InsertAPIKey(ctx, store.InsertAPIKeyParams{
			ID: tenancy.NewID(), Name: name, Prefix: shown, SecretHash: hash, Role: string(in.Role),
			Scopes: scopeStrings(scopes), CreatedBy: caller.UserID, ExpiresAt: in.ExpiresAt,
		})
		if err != nil {
			return err
		}
		creator, err := q.GetUser(ctx, caller.UserID)
		if err != nil {
			return err
		}
		k = apiKeyOf(row, userOf(caller.TenantID, creator))
		return events.Emit(ctx, tx, events.APIKeyCreated, caller.TenantID, caller.UserID, apiKeyPayload(k))
	})
	if err != nil {
		return nil, err
	}
	return &CreateAPIKeyPayload{APIKey: k, Secret: secret}, nil
}

// ListAPIKeys returns a page of the organisation's keys, newest first
// (admins, signed in as people).
func (s *Service) ListAPIKeys(ctx context.Context, first *int, after *string) (*APIKeyConnection, error) {
	var conn *APIKeyConnection
	err := s.queries().As(ctx, auth.ManageAPIKeys, func(q *store.Queries, _ pgx.Tx, caller auth.Identity) error {
		size, err := page.Size(first)
		if err != nil {
			return err
		}
		p := store.ListAPIKeysParams{MaxRows: int32(size + 1)}
		var afterID string
		if ok, err := page.Decode(after, &p.AfterCreated, &afterID); err != nil {
			return err
		} else if ok {
			p.AfterID = &afterID
		}
		rows, err := q.ListAPIKeys(ctx, p)
		if err != nil {
			return err
		}
		total, err := q.CountAPIKeys(ctx)
		keys := make([]APIKey, len(rows))
		for i, r := range rows {
			keys[i] = apiKeyOf(r.ApiKey, userOf(caller.TenantID, r.User))
		}
		conn = page.NewConnection(keys, size, after, APIKey.cursor, total)
		return err
	})
	return conn, err
}

// RevokeAPIKey revokes a key of the organisation (admins, signed in as
// people): the exchange refuses it from the commit on, and the access
// tokens it was exchanged for are refused at once in this process and
// within auth.DefaultCacheTTL in every other (a revocation mark). A key
// revoked already is answered as it is.
func (s *Service) RevokeAPIKey(ctx context.Context, id string) (*APIKey, error) {
	var k APIKey
	var tenantID string
	err := s.queries().As(ctx, auth.ManageAPIKeys, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) error {
		tenantID = caller.TenantID
		before, err := q.GetAPIKey(ctx, id)
		if noRow(err) {
			return apperr.E(apperr.NotFound, "API key not found")
		}
		if err != nil {
			return err
		}
		row, err := q.RevokeAPIKey(ctx, store.RevokeAPIKeyParams{ID: id, RevokedBy: &caller.UserID})
		if err != nil {
			return err
		}
		creator, err := q.GetUser(ctx, row.CreatedBy)
		if err != nil {
			return err
		}
		k = apiKeyOf(row, userOf(caller.TenantID, creator))
		if before.RevokedAt != nil {
			return nil
		}
		return events.Emit(ctx, tx, events.APIKeyRevoked, caller.TenantID, caller.UserID, apiKeyPayload(k))
	})
	if err != nil {
		return nil, err
	}
	if err := s.Revocations.RevokeAPIKey(ctx, tenantID, id); err != nil {
		s.Log.WarnContext(ctx, "API key tokens not revoked early", "api_key_id", id, "err", err)
	}
	return &k, nil
}

// ExchangeAPIKey trades a working API key for an access token of its
// creator with the key's id, scopes and role (at most the creator's current
// role), valid auth.APIKeyTokenTTL and never past the key's expiry, and
// notes the key's use (at most once a minute). A key that is unknown,
// revoked or expired, or whose creator was deactivated, gets the one answer
// auth.InvalidAPIKey; a suspended organisation's, TENANT_SUSPENDED.
func (s *Service) ExchangeAPIKey(ctx context.Context, key string) (auth.APIKeyToken, error) {
	tenantID, hash, ok := auth.ParseAPIKey(key)
	if !ok {
		return auth.APIKeyToken{}, auth.InvalidAPIKey()
	}
	t, err := s.DB.Lookup(ctx, tenantID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return auth.APIKeyToken{}, auth.InvalidAPIKey()
	}
	if _, err := active(t, err); err != nil {
		return auth.APIKeyToken{}, err
	}
	now := time.Now()
	var id auth.Identity
	ttl := auth.APIKeyTokenTTL
	err = s.queries().In(ctx, tenantID, func(q *store.Queries, _ pgx.Tx) error {
		row, err := q.GetAPIKeyByHash(ctx, hash)
		if noRow(err) {
			return auth.InvalidAPIKey()
		}
		if err != nil {
			return err
		}
		k, u := row.ApiKey, row.User
		if k.RevokedAt != nil || (k.ExpiresAt != nil && !k.ExpiresAt.After(now)) || UserStatus(u.Status) == UserInactive {
			return auth.InvalidAPIKey()
		}
		if k.ExpiresAt != nil && k.ExpiresAt.Sub(now) < ttl {
			ttl = k.ExpiresAt.Sub(now)
		}
		id = auth.Identity{
			UserID: u.ID, TenantID: tenantID, Email: u.Email,
			Role:     auth.Role(k.Role).Lesser(auth.Role(u.Role)),
			APIKeyID: k.ID, Scopes: auth.NewScopeSet(scopesOf(k.Scopes)...),
		}
		if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= exchangeTouchInterval {
			return q.TouchAPIKey(ctx, k.ID)
		}
		return nil
	})
	if err != nil {
		return auth.APIKeyToken{}, err
	}
	tok, exp, err := s.Issuer.IssueFor(id, ttl)
	if err != nil {
		return auth.APIKeyToken{}, err
	}
	out := auth.APIKeyToken{AccessToken: tok, ExpiresAt: exp}
	if t.ApiKeyRateLimit != nil {
		out.RateLimit = int64(*t.ApiKeyRateLimit)
	}
	return out, nil
}

// apiKeyOf turns an api_keys row and its creator into an APIKey.
func apiKeyOf(r store.ApiKey, creator User) APIKey {
	return APIKey{
		ID: r.ID, Name: r.Name, Prefix: r.Prefix, Role: auth.Role(r.Role), Scopes: scopesOf(r.Scopes),
		CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt,
		creator: creator,
	}
}

func apiKeyPayload(k APIKey) events.APIKeyPayload {
	return events.APIKeyPayload{APIKeyID: k.ID, Name: k.Name, Prefix: k.Prefix, Role: string(k.Role),
		Scopes: scopeStrings(k.Scopes), CreatedBy: k.creator.ID}
}

func scopesOf(ss []string) []auth.Scope {
	out := make([]auth.Scope, len(ss))
	for i, s := range ss {
		out[i] = auth.Scope(s)
	}
	return out
}

func scopeStrings(ss []auth.Scope) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}
