// Package scalars implements the custom GraphQL scalars every subgraph
// shares (DateTime, Date, JSON). Bad values are BAD_USER_INPUT errors that
// say what was expected.
package scalars

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/opencrm/opencrm/pkg/apperr"
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

// UnmarshalJSON reads a JSON object (custom fields are always objects).
func UnmarshalJSON(v any) (map[string]any, error) {
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case string:
		var out map[string]any
		if err := json.Unmarshal([]byte(m), &out); err == nil && out != nil {
			return out, nil
		}
	}
	return nil, apperr.E(apperr.BadUserInput, "want a JSON object, got %s", describe(v))
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
