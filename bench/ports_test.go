package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/subgraphs"
)

func TestTheHarnessRunsEverySubgraphOfTheRegistryOnAPortOfItsOwn(t *testing.T) {
	const base = 9180
	svcs := services(base)
	require.Len(t, svcs, len(subgraphs.All))
	taken := map[int]string{base: "gateway"}
	for i, sg := range subgraphs.All {
		s := svcs[i]
		require.Equal(t, sg.Name, s.name, "registry order")
		require.Equal(t, sg.URLVar, s.urlVar)
		require.Equal(t, base+1+i, s.port)
		require.NotContains(t, taken, s.port, "%s's port", s.name)
		taken[s.port] = s.name
	}
	for _, p := range peers(base) {
		require.NotContains(t, taken, p.port, "%s's port is %s's", p.name, taken[p.port])
		taken[p.port] = p.name
	}
}
