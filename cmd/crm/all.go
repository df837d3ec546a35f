package main

import (
	"context"
	"net/http"

	"github.com/opencrm/opencrm/subgraphs"
)

// runAll serves every subgraph on its port and the gateway, in one process,
// sharing one pool and one key set: the development set-up of `make run`.
func runAll(ctx context.Context) error {
	a, err := newApp(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	served, err := build(subgraphs.All, a.deps)
	if err != nil {
		return err
	}
	servers := []*http.Server{}
	for _, sg := range served {
		// Only the gateway faces clients: in one process the subgraphs listen
		// on loopback, so nobody reaches them around the gateway's checks.
		servers = append(servers, server("127.0.0.1", sg.Port, sg.handler()))
	}
	gw, err := a.gateway(ctx, a.deps.Keys)
	if err != nil {
		return err
	}
	servers = append(servers, server("", a.cfg.GatewayPort, gw))
	defer a.relay(ctx)()
	defer a.workers(ctx, served)()
	return serve(ctx, a.log, a.cfg.ShutdownTimeout, servers...)
}

func runGateway(ctx context.Context) error {
	a, err := newApp(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	gw, err := a.gateway(ctx, a.remoteVerifier().Keys)
	if err != nil {
		return err
	}
	port := a.cfg.GatewayPort
	if a.cfg.Port != 0 {
		port = a.cfg.Port
	}
	return serve(ctx, a.log, a.cfg.ShutdownTimeout, server("", port, gw))
}
