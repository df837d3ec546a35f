package telemetry

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func clearOTel(t *testing.T) {
	for _, k := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
		t.Setenv(k, "")
	}
}

func TestTracingIsOffWithoutAnOTLPEndpoint(t *testing.T) {
	clearOTel(t)
	shutdown, err := Setup(context.Background(), "opencrm-test")
	require.NoError(t, err)
	require.NoError(t, shutdown(context.Background()))
	assert.False(t, Enabled())
	_, span := Tracer().Start(context.Background(), "x")
	assert.False(t, span.IsRecording(), "the no-op provider records nothing")
}

func TestAnOTLPEndpointTurnsTracingOnAndOTELSDKDisabledOff(t *testing.T) {
	clearOTel(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1") // nothing is exported in this test
	t.Setenv("OTEL_SERVICE_NAME", "svc")
	prev := provider.Load()
	t.Cleanup(func() { provider.Store(prev); enabled.Store(false) })
	shutdown, err := Setup(context.Background(), "opencrm-test")
	require.NoError(t, err)
	assert.True(t, Enabled())
	_, span := Tracer().Start(context.Background(), "x")
	assert.True(t, span.IsRecording())
	_ = shutdown(context.Background())

	provider.Store(prev)
	enabled.Store(false)
	t.Setenv("OTEL_SDK_DISABLED", "true")
	_, err = Setup(context.Background(), "opencrm-test")
	require.NoError(t, err)
	assert.False(t, Enabled())
}

func TestUnsupportedOTelSettingsRefuseToStartNamingTheVariable(t *testing.T) {
	for key, value := range map[string]string{
		"OTEL_TRACES_EXPORTER":        "zipkin",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
	} {
		clearOTel(t)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
		t.Setenv(key, value)
		_, err := Setup(context.Background(), "opencrm-test")
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), key)
		assert.False(t, Enabled())
	}
}

func TestTraceparentRoundTrips(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	ctx := WithTraceparent(context.Background(), tp)
	assert.Equal(t, tp, Traceparent(ctx))
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", TraceID(ctx))
	assert.Empty(t, Traceparent(WithTraceparent(context.Background(), "not-a-traceparent")))
	assert.Empty(t, TraceID(context.Background()))
}

func TestStatementSpansAreNamedByTheirVerb(t *testing.T) {
	for sql, want := range map[string]string{
		"-- name: GetUser :one\nSELECT * FROM users": "SELECT",
		"BEGIN; SET LOCAL search_path = x":           "BEGIN",
		"  insert into t values (1)":                 "INSERT",
		"":                                           "statement",
	} {
		assert.Equal(t, want, verb(sql), sql)
	}
}
