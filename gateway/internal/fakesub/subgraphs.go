package fakesub

import (
	"fmt"
	"testing"
)

// Identity starts a fake identity subgraph with users u1..uN, user ui in
// tenant ti. `user` answers NOT_FOUND, to show subgraph error codes.
func Identity(t testing.TB, users int) *Subgraph {
	return start(t, func(root string, r Request) any {
		switch root {
		case "_entities":
			return entities(r, func(id string) any { return user(id, id) })
		case "users":
			edges := make([]any, 0, users)
			for i := 1; i <= users; i++ {
				edges = append(edges, map[string]any{"cursor": fmt.Sprint(i), "node": user(fmt.Sprintf("u%d", i), fmt.Sprintf("t%d", i))})
			}
			return data(map[string]any{"users": map[string]any{
				"edges": edges, "totalCount": users,
				"pageInfo": map[string]any{"hasNextPage": false, "hasPreviousPage": false},
			}})
		case "me":
			return data(map[string]any{"me": user("u1", "t1")})
		case "user":
			return fail("user", "NOT_FOUND", "no such user")
		case "signUp", "login", "refreshToken", "acceptInvitation":
			return data(map[string]any{root: map[string]any{
				"accessToken": "access", "refreshToken": "refresh", "expiresAt": "2030-01-01T00:00:00Z",
				"tokenType": "Bearer", "user": user("u1", "t1"),
			}})
		case "logout", "requestPasswordReset", "resetPassword", "verifyEmail", "changePassword":
			return data(map[string]any{root: true})
		}
		return fail(root, "INTERNAL", "the fake identity subgraph does not know "+root)
	})
}

func user(id, tenant string) map[string]any {
	return map[string]any{
		"__typename": "User", "id": id, "email": id + "@example.com", "firstName": "First " + id,
		"lastName": "Last", "fullName": "First " + id + " Last", "role": "ADMIN", "status": "ACTIVE",
		"emailVerified": true, "createdAt": "2026-01-01T00:00:00Z",
		"tenant": map[string]any{"__typename": "Tenant", "id": tenant},
	}
}

// Tenant starts a fake tenant subgraph: tenant ti is named "Tenant ti" at
// subdomain ti.
func Tenant(t testing.TB) *Subgraph {
	return start(t, func(root string, r Request) any {
		switch root {
		case "_entities":
			return entities(r, func(id string) any { return tenant(id) })
		case "tenant":
			return data(map[string]any{"tenant": tenant("t1")})
		case "tenantBySubdomain":
			return data(map[string]any{"tenantBySubdomain": map[string]any{
				"__typename": "TenantPublic", "id": "t1", "name": "Tenant t1", "subdomain": "t1",
			}})
		}
		return fail(root, "INTERNAL", "the fake tenant subgraph does not know "+root)
	})
}

func tenant(id string) map[string]any {
	return map[string]any{
		"__typename": "Tenant", "id": id, "name": "Tenant " + id, "subdomain": id,
		"schemaName": "tenant_" + id, "status": "ACTIVE",
		"createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
	}
}

// entities answers an _entities request with one entity per representation.
func entities(r Request, entity func(id string) any) any {
	var out []any
	for _, rep := range r.Representations() {
		id, _ := rep["id"].(string)
		out = append(out, entity(id))
	}
	return data(map[string]any{"_entities": out})
}

// Other starts a fake of any other subgraph: it is healthy and answers
// every operation with an error.
func Other(t testing.TB) *Subgraph {
	return start(t, func(root string, _ Request) any {
		return fail(root, "INTERNAL", "this fake subgraph serves nothing")
	})
}
