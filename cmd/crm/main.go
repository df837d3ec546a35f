// Command crm is the whole product in one binary:
//
//	crm all               every subgraph and the gateway in one process (development)
//	crm subgraph NAME     one subgraph (identity, tenant, ...)
//	crm gateway           the federation gateway
//	crm migrate           set up the platform schema and upgrade every tenant schema
//	crm demo              create the demo organisation and print its admin's credentials
//	crm seed [FLAGS]      create organisations full of generated data (--size small|board|large|tiny, --tenants N)
//	crm sdl DIR           write each subgraph's federation SDL to DIR/<name>.graphql
//	crm keygen [KID]      print a new JWT signing key for JWT_SIGNING_KEYS
//	crm probe URL         exit 0 when URL answers 200 (health checks of images without a shell)
//	crm version           print the version (set at build time, see gqlserver.Version)
//	crm help              print this usage (also -h, --help)
//
// Configuration comes from the environment (pkg/config; docs/operations.md
// lists every variable). A bad value stops the process with exit code 1.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/telemetry"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdown, err := telemetry.Setup(ctx, serviceName(os.Args[1:]))
	if err != nil {
		fmt.Fprintln(os.Stderr, "crm "+os.Args[1]+": configuration:", err)
		os.Exit(1)
	}
	err = run(ctx, os.Args[1], os.Args[2:])
	flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	_ = shutdown(flush) // the spans still buffered
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "crm "+os.Args[1]+":", err)
		os.Exit(1)
	}
}

// serviceName is the OpenTelemetry service name of the process (its
// default; OTEL_SERVICE_NAME overrides it): opencrm-gateway,
// opencrm-contact, opencrm-all, ...
func serviceName(args []string) string {
	if args[0] == "subgraph" && len(args) > 1 {
		return "opencrm-" + args[1]
	}
	return "opencrm-" + args[0]
}

func run(ctx context.Context, cmd string, args []string) (err error) {
	switch cmd {
	case "all":
		err = runAll(ctx)
	case "subgraph":
		if len(args) != 1 {
			usage()
		}
		err = runSubgraph(ctx, args[0])
	case "gateway":
		err = runGateway(ctx)
	case "migrate":
		err = runMigrate(ctx)
	case "demo":
		err = runDemo(ctx)
	case "seed":
		err = runSeed(ctx, args)
	case "sdl":
		if len(args) != 1 {
			usage()
		}
		err = writeSDL(args[0])
	case "probe":
		if len(args) != 1 {
			usage()
		}
		err = probe(ctx, args[0])
	case "version":
		fmt.Println(gqlserver.Version)
	case "help", "-h", "--help":
		fmt.Println(usageText)
	case "keygen":
		kid := "k1"
		if len(args) == 1 {
			kid = args[0]
		}
		err = keygen(kid)
	default:
		usage()
	}
	return err
}

const usageText = `usage: crm all | subgraph NAME | gateway | migrate | demo | seed [--size S] [--tenants N] | sdl DIR | keygen [KID] | probe URL | version | help
Configuration comes from the environment: docs/operations.md lists every variable.`

// usage refuses a command line it does not understand (exit code 2).
func usage() {
	fmt.Fprintln(os.Stderr, usageText)
	os.Exit(2)
}

// defaultGCPercent is the garbage collector's target when GOGC is not set:
// a GraphQL request allocates many small short-lived objects (a field
// context per resolved field), and with Go's default of 100 the collector
// takes a large share of the CPU for processes whose live heap is small
// (tens of MB). 400 trades some memory for that CPU; set GOGC (and
// GOMEMLIMIT) to choose otherwise. Measured with the board benchmark
// (docs/performance.md).
const defaultGCPercent = 400

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// probe asks url once and fails unless it answers 200: the health check
// of a container that has no shell or curl (deploy/compose.yaml).
func probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}
