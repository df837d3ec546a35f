package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/opencrm/opencrm/pkg/gqlserver"
)

// healthTimeout bounds one subgraph's health check.
const healthTimeout = 2 * time.Second

// health asks every subgraph's /health (its GraphQL URL with /graphql
// replaced) at once and reports each as a dependency, Redis too. Some
// subgraphs down make the gateway degraded (200: it still serves the rest
// of the graph); all of them down make it unhealthy (503).
func (g *Gateway) health(ctx context.Context) gqlserver.HealthReport {
	rep := gqlserver.HealthReport{
		Status: "healthy", Timestamp: time.Now().UTC(), Version: gqlserver.Version,
		Dependencies: map[string]gqlserver.DependencyHealth{},
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, u := range g.subgraphURLs {
		wg.Go(func() {
			err := g.checkSubgraph(ctx, healthURL(u))
			mu.Lock()
			defer mu.Unlock()
			rep.Dependencies["subgraph:"+name] = dependencyHealth(err)
		})
	}
	if g.redis.client != nil {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, healthTimeout)
			defer cancel()
			err := g.redis.client.Ping(cctx).Err()
			mu.Lock()
			defer mu.Unlock()
			rep.Dependencies["redis"] = dependencyHealth(err)
		})
	}
	wg.Wait()
	down := 0
	for name, d := range rep.Dependencies {
		if !d.Healthy {
			rep.Status = "degraded"
			if strings.HasPrefix(name, "subgraph:") {
				down++
			}
		}
	}
	if down > 0 && down == len(g.subgraphURLs) {
		rep.Status = "unhealthy"
	}
	return rep
}

// healthURL is where a subgraph serving GraphQL at u reports its health.
func healthURL(u string) string {
	return strings.TrimSuffix(strings.TrimSuffix(u, "/"), "/graphql") + "/health"
}

func (g *Gateway) checkSubgraph(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := g.healthClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusOK || body.Status == "unhealthy" {
		return fmt.Errorf("%s answered %s, status %q", u, resp.Status, body.Status)
	}
	return nil
}

func dependencyHealth(err error) gqlserver.DependencyHealth {
	if err != nil {
		return gqlserver.DependencyHealth{Error: err.Error()}
	}
	return gqlserver.DependencyHealth{Healthy: true}
}
