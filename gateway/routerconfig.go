package gateway

import (
	_ "embed"
	"fmt"

	nodev1 "github.com/wundergraph/cosmo/router/gen/proto/wg/cosmo/node/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// embeddedRouterConfig is the router configuration `make compose` wrote.
//
//go:embed compose/config.json
var embeddedRouterConfig []byte

// ForwardedHeaders are the client headers the engine templates into every
// subgraph fetch, so they are part of what it deduplicates identical
// in-flight query fetches on: two callers with different tokens never share
// a subgraph response. The request's own ids (X-Request-ID, traceparent,
// X-Forwarded-For) are added by the fetch transport, outside that key
// (Gateway.requestHeaders).
var ForwardedHeaders = []string{"Authorization"}

// loadRouterConfig parses a router configuration and prepares it for this
// process: datasources are named after their subgraph (errors then say
// which), URLs come from urls where given, and ForwardedHeaders are
// templated into every subgraph fetch. It returns the configuration and the
// URL of every subgraph in it; urls of subgraphs it does not have are left
// to the caller.
func loadRouterConfig(data []byte, urls map[string]string) (*nodev1.RouterConfig, map[string]string, error) {
	var rc nodev1.RouterConfig
	if err := protojson.Unmarshal(data, &rc); err != nil {
		return nil, nil, fmt.Errorf("gateway: router config: %w", err)
	}
	nameByID := map[string]string{}
	for _, sg := range rc.GetSubgraphs() {
		nameByID[sg.GetId()] = sg.GetName()
	}
	final := map[string]string{}
	for _, ds := range rc.GetEngineConfig().GetDatasourceConfigurations() {
		name, fetch := nameByID[ds.GetId()], ds.GetCustomGraphql().GetFetch()
		if name == "" || fetch == nil {
			return nil, nil, fmt.Errorf("gateway: router config: datasource %q has no subgraph or fetch", ds.GetId())
		}
		ds.Id = name
		if u, ok := urls[name]; ok {
			fetch.Url = staticVariable(u)
			if sub := ds.GetCustomGraphql().GetSubscription(); sub != nil {
				sub.Url = staticVariable(u)
			}
		}
		final[name] = fetch.GetUrl().GetStaticVariableContent()
		if fetch.Header == nil {
			fetch.Header = map[string]*nodev1.HTTPHeader{}
		}
		for _, h := range ForwardedHeaders {
			// "headers" (plural) is the engine's view of graphql.Request.SetHeader.
			fetch.Header[h] = &nodev1.HTTPHeader{Values: []*nodev1.ConfigurationVariable{
				staticVariable("{{ .request.headers." + h + " }}"),
			}}
		}
	}
	return &rc, final, nil
}

func staticVariable(s string) *nodev1.ConfigurationVariable {
	return &nodev1.ConfigurationVariable{
		Kind:                  nodev1.ConfigurationVariableKind_STATIC_CONFIGURATION_VARIABLE,
		StaticVariableContent: s,
	}
}
