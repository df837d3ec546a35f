package subgraphs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/opencrm/opencrm/subgraphs"
)

// The registry is the one list of subgraphs: the files that cannot be
// derived from it (sqlc.yaml, schema/) and the one composition writes from
// it (graph.yaml) must agree with it.
func TestEverySubgraphOfTheRegistryIsGeneratedAndComposed(t *testing.T) {
	root := filepath.Join("..")
	var sqlc struct {
		SQL []struct {
			Name    string   `yaml:"name"`
			Schema  []string `yaml:"schema"`
			Queries string   `yaml:"queries"`
			Gen     struct {
				Go struct {
					Out string `yaml:"out"`
				} `yaml:"go"`
			} `yaml:"gen"`
		} `yaml:"sql"`
	}
	raw, err := os.ReadFile(filepath.Join(root, "sqlc.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(raw, &sqlc))
	sqlcByName := map[string]int{}
	for i, e := range sqlc.SQL {
		sqlcByName[e.Name] = i
	}

	var graph struct {
		Subgraphs []struct {
			Name       string `yaml:"name"`
			RoutingURL string `yaml:"routing_url"`
		} `yaml:"subgraphs"`
	}
	raw, err = os.ReadFile(filepath.Join(root, "gateway", "compose", "graph.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(raw, &graph))
	require.Len(t, graph.Subgraphs, len(subgraphs.All), "graph.yaml is stale: run make compose")

	ports := map[int]string{}
	for i, sg := range subgraphs.All {
		require.NotEmpty(t, sg.URLVar, sg.Name)
		require.NotContains(t, ports, sg.Port, "%s and %s share a port", sg.Name, ports[sg.Port])
		ports[sg.Port] = sg.Name

		require.DirExists(t, filepath.Join(root, "schema", sg.Name), "schema/%s/ holds its SDL", sg.Name)
		require.Equal(t, sg.Name, graph.Subgraphs[i].Name, "graph.yaml is stale: run make compose")

		if sg.Migrations == nil {
			continue
		}
		i, ok := sqlcByName[sg.Name]
		require.True(t, ok, "sqlc.yaml has no entry %q", sg.Name)
		e := sqlc.SQL[i]
		require.Equal(t, "subgraphs/"+sg.Name+"/queries", e.Queries, sg.Name)
		require.Equal(t, "subgraphs/"+sg.Name+"/store", e.Gen.Go.Out, sg.Name)
		require.Contains(t, e.Schema, "subgraphs/"+sg.Name+"/migrations", sg.Name)
	}

	dirs, err := filepath.Glob(filepath.Join(root, "schema", "*"))
	require.NoError(t, err)
	for _, d := range dirs {
		name := filepath.Base(d)
		if name == "shared" {
			continue
		}
		_, err := subgraphs.Find(name)
		require.NoError(t, err, "schema/%s/ is generated but no subgraph of the registry serves it", name)
	}
}
