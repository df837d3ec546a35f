package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opencrm/opencrm/pkg/gqlserver"
)

// healthTimeout bounds one subgraph's health check.
const healthTimeout = 2 * time.Second

// health asks every subgraph's /health (its GraphQL URL with /graphql
// replaced) at once and reports each as a dependency, Redis too. The
// gateway is degraded (200: it still serves what it can) when any of them
// is not healthy, a subgraph that says it is degraded included; it is
// unhealthy (503) when a required subgraph (Config.RequiredSubgraphs) is
// unhealthy or does not answer, or when no subgraph does.
func (g *Gateway) health(ctx context.Context) gqlserver.HealthReport {
	rep := gqlserver.HealthReport{
		Status: "healthy", Timestamp: time.Now().UTC(), Version: gqlserver.Version,
		Dependencies: map[string]gqlserver.DependencyHealth{},
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	down := map[string]bool{} // unhealthy or unreachable, not merely degraded
	for name, u := range g.subgraphURLs {
		wg.Go(func() {
			degraded, err := g.checkSubgraph(ctx, healthURL(u))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				down[name] = true
				rep.Dependencies["subgraph:"+name] = dependencyHealth(err)
			case degraded != "":
				rep.Dependencies["subgraph:"+name] = gqlserver.DependencyHealth{Error: degraded}
			default:
				rep.Dependencies["subgraph:"+name] = gqlserver.DependencyHealth{Healthy: true}
			}
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
	for _, d := range rep.Dependencies {
		if !d.Healthy {
			rep.Status = "degraded"
		}
	}
	for _, name := range g.cfg.RequiredSubgraphs {
		if down[name] {
			rep.Status = "unhealthy"
		}
	}
	if len(down) > 0 && len(down) == len(g.subgraphURLs) {
		rep.Status = "unhealthy"
	}
	return rep
}

// healthURL is where a subgraph serving GraphQL at u reports its health.
func healthURL(u string) string {
	return strings.TrimSuffix(strings.TrimSuffix(u, "/"), "/graphql") + "/health"
}

// checkSubgraph asks a subgraph's /health. It returns an error when the
// subgraph does not answer or is unhealthy, and why when it is degraded
// (the dependencies it says fail).
func (g *Gateway) checkSubgraph(ctx context.Context, u string) (degraded string, err error) {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := g.healthClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body gqlserver.HealthReport
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	if resp.StatusCode != http.StatusOK || (body.Status != "healthy" && body.Status != "degraded") {
		return "", fmt.Errorf("%s answered %s, status %q", u, resp.Status, body.Status)
	}
	if body.Status == "degraded" {
		var failing []string
		for name, d := range body.Dependencies {
			if !d.Healthy {
				failing = append(failing, name)
			}
		}
		if len(failing) == 0 {
			return "degraded", nil
		}
		slices.Sort(failing)
		return "degraded: " + strings.Join(failing, ", ") + " not answering", nil
	}
	return "", nil
}

func dependencyHealth(err error) gqlserver.DependencyHealth {
	if err != nil {
		return gqlserver.DependencyHealth{Error: err.Error()}
	}
	return gqlserver.DependencyHealth{Healthy: true}
}
