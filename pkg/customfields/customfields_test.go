package customfields_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/customfields"
)

func TestEncodeChecksKeysAndSize(t *testing.T) {
	raw, err := customfields.Encode("input.customFields", map[string]any{"tier": "gold"})
	require.NoError(t, err)
	require.JSONEq(t, `{"tier":"gold"}`, string(raw))

	raw, err = customfields.Encode("input.customFields", nil)
	require.NoError(t, err)
	require.Equal(t, "{}", string(raw), "nil is stored as the empty object, never null")

	for name, m := range map[string]map[string]any{
		"empty key": {"": 1},
		"long key":  {strings.Repeat("k", customfields.MaxKey+1): 1},
		"too large": {"k": strings.Repeat("x", customfields.MaxBytes)},
	} {
		_, err := customfields.Encode("input.customFields", m)
		var e *apperr.Error
		require.ErrorAs(t, err, &e, name)
		require.Equal(t, apperr.BadUserInput, e.Code, name)
		require.Equal(t, "input.customFields", e.Field, name)
	}
}

func TestDecodeAlwaysGivesAnObject(t *testing.T) {
	require.Equal(t, customfields.Fields{"a": 1.0}, customfields.Decode([]byte(`{"a":1}`)))
	require.Equal(t, customfields.Fields{}, customfields.Decode([]byte(`null`)))
	require.Equal(t, customfields.Fields{}, customfields.Decode(nil))
}

func TestCheckRefusesDeepValuesAndNULs(t *testing.T) {
	deep := any("leaf")
	for range 500 {
		deep = []any{deep}
	}
	for name, v := range map[string]any{
		"500 levels":       map[string]any{"k": deep},
		"NUL in a key":     map[string]any{"a\x00": 1},
		"NUL in a value":   map[string]any{"a": []any{"\x00"}},
		"invalid UTF-8":    map[string]any{"a": "\xff"},
		"nested NUL key":   map[string]any{"a": map[string]any{"b\x00": true}},
		"eleven levels up": map[string]any{"1": []any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{1}}}}}}}}}}},
	} {
		err := customfields.Check("input.customFields", v)
		require.Equal(t, "input.customFields", fieldOf(t, err), name)
		_, err = customfields.Encode("input.customFields", v.(map[string]any))
		require.Equal(t, "input.customFields", fieldOf(t, err), name)
	}
	ten := map[string]any{"1": []any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{1}}}}}}}}}}
	require.NoError(t, customfields.Check("input.customFields", ten), "ten levels are allowed")
}

func fieldOf(t *testing.T, err error) string {
	t.Helper()
	var e *apperr.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, apperr.BadUserInput, e.Code)
	return e.Field
}
