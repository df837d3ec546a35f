package gqlserver

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

// A field whose request ended (the gateway's deadline, the client gone) is
// TIMEOUT and a warning, not an INTERNAL error in the logs; the same error
// while the request lives is INTERNAL.
func TestAFieldCutShortByItsRequestsEndIsATimeoutNotAnInternalError(t *testing.T) {
	var logs bytes.Buffer
	present := errorPresenter(slog.New(slog.NewJSONHandler(&logs, nil)))
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	err := fmt.Errorf("pipelineView begin: %w", context.Canceled)

	got := present(ended, err)
	require.Equal(t, "TIMEOUT", got.Extensions["code"])
	require.NotContains(t, got.Message, "begin", "no internal detail")
	require.Contains(t, logs.String(), `"level":"WARN"`)
	require.NotContains(t, logs.String(), "internal error")

	logs.Reset()
	got = present(context.Background(), err)
	require.Equal(t, "INTERNAL", got.Extensions["code"])
	require.Contains(t, logs.String(), `"level":"ERROR"`)
}
