// Package scalars implements the custom GraphQL scalars every subgraph
// shares (DateTime, Date, JSON, Decimal). Bad values are BAD_USER_INPUT errors that
// say what was expected.
package scalars

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/customfields"
)

// MarshalDateTime writes an RFC 3339 timestamp in UTC.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalDateTime reads an RFC 3339 timestamp.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, apperr.E(apperr.BadUserInput, "%v is not a DateTime: want RFC 3339, like 2026-01-31T09:30:00Z", v)
}

// Date is a calendar date without a time zone, written YYYY-MM-DD.
type Date = time.Time

// MarshalDate writes YYYY-MM-DD.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.Format(time.DateOnly)))
	})
}

// UnmarshalDate reads YYYY-MM-DD.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if ok {
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, apperr.E(apperr.BadUserInput, "%v is not a Date: want YYYY-MM-DD, like 2026-01-31", v)
}

// MarshalDecimal writes an exact decimal as a JSON string with the scale it
// has ("1234.50" for a NUMERIC(15,2) amount), so no client parses money
// through a binary float.
func MarshalDecimal(d decimal.Decimal) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(d.StringFixed(max(-d.Exponent(), 0))))
	})
}

// UnmarshalDecimal reads a decimal written as a string ("1234.50", the form
// to send) or, for convenience, as a JSON number. A decimal whose exponent
// is far outside any amount (1e999999, 1e-999999) is refused before any
// arithmetic is done on it, which could take very long.
func UnmarshalDecimal(v any) (decimal.Decimal, error) {
	var s string
	switch n := v.(type) {
	case string:
		s = n
	case json.Number:
		s = n.String()
	case int:
		return decimal.NewFromInt(int64(n)), nil
	case int64:
		return decimal.NewFromInt(n), nil
	case float64:
		s = strconv.FormatFloat(n, 'f', -1, 64)
	}
	if d, err := decimal.NewFromString(s); err == nil && s != "" && len(s) <= 40 && d.Exponent() <= 20 && d.Exponent() >= -40 {
		return d, nil
	}
	got := describe(v)
	if _, ok := v.(string); ok {
		got = strconv.Quote(s)
	}
	return decimal.Decimal{}, apperr.E(apperr.BadUserInput, "%s is not a Decimal: want a decimal number as a string, like \"1234.50\"", got)
}

// MarshalJSON writes a JSON object.
func MarshalJSON(m map[string]any) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if m == nil {
			_, _ = io.WriteString(w, "null")
			return
		}
		_ = json.NewEncoder(w).Encode(m)
	})
}

// UnmarshalJSON reads a JSON object (custom fields are always objects),
// refusing one customfields.Check refuses (too deep, NUL characters) before
// anything else sees it.
func UnmarshalJSON(v any) (map[string]any, error) {
	switch m := v.(type) {
	case map[string]any:
		return checked(m)
	case string:
		var out map[string]any
		if err := json.Unmarshal([]byte(m), &out); err == nil && out != nil {
			return checked(out)
		}
	}
	return nil, apperr.E(apperr.BadUserInput, "want a JSON object, got %s", describe(v))
}

// checked passes on a JSON object customfields.Check accepts; the error
// names no field, so the error presenter names the argument path.
func checked(m map[string]any) (map[string]any, error) {
	if err := customfields.Check("", m); err != nil {
		return nil, err
	}
	return m, nil
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}
