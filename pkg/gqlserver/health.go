package gqlserver

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opencrm/opencrm/pkg/database"
)

// Version is the product version reported by /health.
var Version = "dev"

// Dependency is a service a process can work without, in a degraded way
// (Redis, NATS): Check returns why it is unusable.
type Dependency struct {
	Name  string
	Check func(context.Context) error
}

// HealthReport is the seed's health response, with the dependencies added.
type HealthReport struct {
	Status       string                      `json:"status"` // healthy, degraded, unhealthy
	Timestamp    time.Time                   `json:"timestamp"`
	Version      string                      `json:"version"`
	Database     *DatabaseHealth             `json:"database,omitempty"`
	Dependencies map[string]DependencyHealth `json:"dependencies,omitempty"`
}

// DatabaseHealth is the seed's database section.
type DatabaseHealth struct {
	database.Health
	ResponseTime string `json:"response_time"`
}

// DependencyHealth says whether a dependency answers.
type DependencyHealth struct {
	Healthy bool   `json:"healthy"`
	Error   string `json:"error,omitempty"`
}

// Health checks the database and dependencies. A database that does not
// answer makes the process unhealthy (503); a failing dependency makes it
// degraded (200: it still serves).
func Health(ctx context.Context, pool *pgxpool.Pool, deps []Dependency) HealthReport {
	r := HealthReport{Status: "healthy", Timestamp: time.Now().UTC(), Version: Version}
	if pool != nil {
		h := database.HealthCheck(ctx, pool)
		r.Database = &DatabaseHealth{Health: h, ResponseTime: h.ResponseTime.String()}
		if !h.Healthy {
			r.Status = "unhealthy"
		}
	}
	for _, d := range deps {
		if r.Dependencies == nil {
			r.Dependencies = map[string]DependencyHealth{}
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := d.Check(cctx)
		cancel()
		dh := DependencyHealth{Healthy: err == nil}
		if err != nil {
			dh.Error = err.Error()
			if r.Status == "healthy" {
				r.Status = "degraded"
			}
		}
		r.Dependencies[d.Name] = dh
	}
	return r
}

// HealthHandler serves a health report built by check.
func HealthHandler(check func(context.Context) HealthReport) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := check(r.Context())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if rep.Status == "unhealthy" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(rep)
	})
}

// LivePath answers liveness probes (LiveHandler); /health answers readiness.
const LivePath = "/health/live"

// LiveHandler says the process is alive: it serves HTTP. It checks no
// dependency, since restarting a process does not bring back a database or
// Redis that is down; /health, which does check them, is what says whether
// the process should get traffic (Kubernetes' readiness, deploy/k8s).
func LiveHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "alive", "version": Version})
	})
}
