// Package database opens the PostgreSQL connection pool every process uses,
// with the seed's pool settings, and reports its health.
package database

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opencrm/opencrm/pkg/telemetry"
)

// The seed's connection pool settings.
const (
	MaxConns        = 20
	MinConns        = 5
	MaxConnLifetime = 60 * time.Minute
	MaxConnIdleTime = 5 * time.Minute
	ConnectTimeout  = 30 * time.Second
	QueryTimeout    = 30 * time.Second
)

// Options tune a pool; the zero value gives the seed's settings.
type Options struct {
	MaxConns int32
	MinConns int32
	// Tracer, when set, sees every statement (tests count statements with it).
	Tracer pgx.QueryTracer
}

// NewPool opens a pool on url. Sessions start with an empty search_path, so
// a query that names no schema and runs outside a tenant transaction fails
// instead of reading some tenant's rows (docs/architecture.md section 2).
func NewPool(ctx context.Context, url string, opts Options) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database: parse DATABASE_URL: %w", err)
	}
	// pgx's pool_max_conns and pool_min_conns in the URL win over the
	// seed's sizes (an operator fits the pools of every process under
	// PostgreSQL's max_connections), Options over both.
	if !strings.Contains(url, "pool_max_conns=") {
		cfg.MaxConns = MaxConns
	}
	if !strings.Contains(url, "pool_min_conns=") {
		cfg.MinConns = min(MinConns, cfg.MaxConns)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.MinConns > 0 || opts.MaxConns > 0 {
		cfg.MinConns = min(opts.MinConns, cfg.MaxConns)
	}
	cfg.MaxConnLifetime = MaxConnLifetime
	cfg.MaxConnIdleTime = MaxConnIdleTime
	cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.Itoa(int(QueryTimeout.Milliseconds()))
	cfg.ConnConfig.RuntimeParams["search_path"] = ""
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "opencrm"
	}
	switch {
	case telemetry.Enabled() && opts.Tracer != nil:
		cfg.ConnConfig.Tracer = multitracer.New(opts.Tracer, telemetry.PGXTracer{})
	case telemetry.Enabled():
		cfg.ConnConfig.Tracer = telemetry.PGXTracer{} // a span per statement, only when tracing is on
	case opts.Tracer != nil:
		cfg.ConnConfig.Tracer = opts.Tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: open pool: %w", err)
	}
	return pool, nil
}

// Health is the seed's database health report.
type Health struct {
	Healthy      bool          `json:"healthy"`
	ResponseTime time.Duration `json:"-"`
	Stats        Stats         `json:"stats"`
	Error        string        `json:"error,omitempty"`
}

// Stats are the pool statistics the seed's health check shows.
type Stats struct {
	MaxConns      int32 `json:"max_conns"`
	TotalConns    int32 `json:"total_conns"`
	IdleConns     int32 `json:"idle_conns"`
	AcquiredConns int32 `json:"acquired_conns"`
}

// HealthCheck pings the database (at most 2 s) and reports pool statistics.
func HealthCheck(ctx context.Context, pool *pgxpool.Pool) Health {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	err := pool.Ping(ctx)
	s := pool.Stat()
	h := Health{
		Healthy:      err == nil,
		ResponseTime: time.Since(start),
		Stats: Stats{
			MaxConns:      s.MaxConns(),
			TotalConns:    s.TotalConns(),
			IdleConns:     s.IdleConns(),
			AcquiredConns: s.AcquiredConns(),
		},
	}
	if err != nil {
		h.Error = "database unreachable"
	}
	return h
}

// EnsureDatabase creates the database url names when it does not exist yet
// (connecting to the server's postgres database to do so): what a first
// `make run` on a fresh machine needs.
func EnsureDatabase(ctx context.Context, url string) error {
	pcfg, err := pgxpool.ParseConfig(url) // takes the pool's own parameters (pool_max_conns) out
	if err != nil {
		return fmt.Errorf("database: parse DATABASE_URL: %w", err)
	}
	cfg := pcfg.ConnConfig
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn.Close(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		return fmt.Errorf("database: connect: %w", err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("database: connect to create %q: %w", name, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created meanwhile
			return nil
		}
		return fmt.Errorf("database: create %q: %w", name, err)
	}
	return nil
}
