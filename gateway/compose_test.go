package gateway_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/subgraphs"
)

// The composed router config is only as current as the SDL it was composed
// from; `make compose` refreshes both (and CI's compose.sh --check fails on
// a stale config).
func TestComposedSDLIsWhatEverySubgraphServes(t *testing.T) {
	t.Parallel()
	for _, sg := range subgraphs.All {
		sdl, err := sg.SDL()
		require.NoError(t, err, sg.Name)
		composed, err := os.ReadFile(filepath.Join("compose", "subgraphs", sg.Name+".graphql"))
		require.NoError(t, err, "%s is not in the composed router config: run make compose", sg.Name)
		assert.Equal(t, sdl, string(composed), "%s: run make compose", sg.Name)
	}
}
