package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/telemetry"
)

func TestLogLinesCarryTheRequestTheTraceAndTheTenant(t *testing.T) {
	var buf bytes.Buffer
	prevOut, prevLog := output, slog.Default()
	output = &buf
	t.Cleanup(func() { output = prevOut; slog.SetDefault(prevLog) })
	log := New("info")
	ctx := WithTenant(WithRequestID(context.Background(), "req-1"), "01tenant")
	ctx = telemetry.WithTraceparent(ctx, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	log.InfoContext(ctx, "hello")
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	require.Equal(t, "req-1", line["request_id"])
	require.Equal(t, "01tenant", line["tenant_id"])
	require.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", line["trace_id"])
}
