package scalars_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/scalars"
)

func TestDecimalsAreReadExactlyAndWrittenWithTheirScale(t *testing.T) {
	for in, want := range map[any]string{
		"1234.50": "1234.50", "0.1": "0.1", json.Number("12000"): "12000", 7: "7", int64(8): "8", 0.25: "0.25",
	} {
		d, err := scalars.UnmarshalDecimal(in)
		require.NoError(t, err, "%v", in)
		var buf bytes.Buffer
		scalars.MarshalDecimal(d).MarshalGQL(&buf)
		require.Equal(t, `"`+want+`"`, buf.String(), "%v", in)
	}
}

func TestBadDecimalsAreBadUserInput(t *testing.T) {
	for _, in := range []any{"abc", "", "1e999999", "1e-999999", "NaN", []any{1}, map[string]any{}, true, nil} {
		_, err := scalars.UnmarshalDecimal(in)
		var e *apperr.Error
		require.True(t, errors.As(err, &e), "%v", in)
		require.Equal(t, apperr.BadUserInput, e.Code, "%v", in)
	}
}

// FuzzUnmarshalDecimal: whatever a client sends, the scalar answers quickly
// with a decimal it can write back, or with BAD_USER_INPUT; never a panic.
func FuzzUnmarshalDecimal(f *testing.F) {
	for _, s := range []string{"1234.50", "-0", "1e10", "1e999999", ".5", "5.", "+1", "0x10", "１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := scalars.UnmarshalDecimal(s)
		if err != nil {
			var e *apperr.Error
			require.True(t, errors.As(err, &e))
			require.Equal(t, apperr.BadUserInput, e.Code)
			return
		}
		var buf bytes.Buffer
		scalars.MarshalDecimal(d).MarshalGQL(&buf)
		var back string
		require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
		again, err := decimal.NewFromString(back)
		require.NoError(t, err)
		require.True(t, again.Equal(d), "%s wrote %s", s, back)
	})
}
