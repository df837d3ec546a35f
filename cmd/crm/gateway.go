package main

import (
	"context"
	"net/http"

	"github.com/opencrm/opencrm/gateway"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/subgraphs"
)

// gateway builds the federation gateway in front of the subgraphs at their
// configured URLs; keys verify access tokens (the identity subgraph's JWKS
// when it runs elsewhere).
func (a *app) gateway(ctx context.Context, keys auth.KeySource) (http.Handler, error) {
	urls := map[string]string{}
	for _, sg := range subgraphs.All {
		urls[sg.Name] = a.cfg.SubgraphURLs[sg.Name] + gqlserver.GraphQLPath
	}
	return gateway.New(ctx, gateway.Config{
		Subgraphs: urls, Keys: keys, Issuer: a.cfg.JWTIssuer, Audience: a.cfg.JWTAudience,
		Redis: a.redis, Revocations: a.revocations(), Introspection: a.cfg.Introspection, Logger: a.log,
		MetricsToken: a.cfg.MetricsToken, SubgraphTimeout: a.cfg.SubgraphTimeout,
		RateLimit: gateway.RateLimit{PerAPIKey: int64(a.cfg.APIKeyRateLimit)},
	})
}
