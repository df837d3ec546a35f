package gqlserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// callerSchema answers any operation with what auth.Caller said inside its
// resolvers: the schema stands in for a subgraph whose resolver checks no
// permission of its own.
type callerSchema struct{ schema *ast.Schema }

func (s callerSchema) Schema() *ast.Schema { return s.schema }

func (callerSchema) Complexity(context.Context, string, string, int, map[string]any) (int, bool) {
	return 1, true
}

func (callerSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	return func(ctx context.Context) *graphql.Response {
		_, err := auth.Caller(ctx)
		data, _ := json.Marshal(map[string]any{"f": string(apperr.CodeOf(err))})
		if e, ok := apperr.As(err); ok && e.Scope != "" {
			data, _ = json.Marshal(map[string]any{"f": e.Scope})
		}
		return &graphql.Response{Data: data}
	}
}

// A mutation needs the domain's write scope whatever its resolvers check;
// a query its read scope; the domain is the subgraph's.
func TestAKeyNeedsTheWriteScopeForAnyMutationOfTheSubgraphsDomain(t *testing.T) {
	t.Parallel()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `type Query { f: String } type Mutation { f: String }`})
	ks, err := auth.ParseKeySet(auth.GenerateKeySpec("k1"))
	require.NoError(t, err)
	iss := &auth.Issuer{Keys: ks, Issuer: "i", Audience: "a"}
	sg := gqlserver.Subgraph{
		GraphQL:  gqlserver.NewHandler(callerSchema{schema}, gqlserver.Options{Name: "t"}),
		Verifier: &auth.Verifier{Keys: ks, Issuer: "i", Audience: "a"},
		Domain:   auth.DomainContacts,
	}
	srv := httptest.NewServer(sg.Handler())
	t.Cleanup(srv.Close)
	token := func(scopes ...auth.Scope) string {
		id := auth.Identity{UserID: tenancy.NewID(), TenantID: tenancy.NewID(), Role: auth.RoleAdmin, APIKeyID: tenancy.NewID(), Scopes: auth.NewScopeSet(scopes...)}
		tok, _, err := iss.IssueFor(id, auth.APIKeyTokenTTL)
		require.NoError(t, err)
		return tok
	}
	ask := func(tok, query string) string {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"`+query+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out struct{ Data struct{ F string } }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out.Data.F
	}
	reader, writer, other := token(auth.ScopeContactsRead), token(auth.ScopeContactsWrite), token(auth.ScopeDealsWrite)
	assert.Equal(t, "", ask(reader, "{ f }"))
	assert.Equal(t, "CONTACTS_WRITE", ask(reader, "mutation { f }"), "a read scope never passes a mutation")
	assert.Equal(t, "", ask(writer, "mutation { f }"))
	assert.Equal(t, "", ask(writer, "{ f }"), "write includes read")
	assert.Equal(t, "CONTACTS_READ", ask(other, "{ f }"), "the subgraph's domain, not another")
}
