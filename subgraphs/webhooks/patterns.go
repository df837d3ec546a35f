package webhooks

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/events"
)

// Limits of an endpoint's patterns and filter.
const (
	maxPatterns    = 50
	maxFilterKeys  = 20
	maxFilterValue = 256
)

// checkPatterns validates event type patterns against the catalogue: "*",
// "<domain>.*" of a domain the catalogue has, or a type of it. Duplicates
// are dropped; the result is sorted.
func checkPatterns(field string, ps []string) ([]string, error) {
	if len(ps) == 0 {
		return nil, apperr.Field(field, "give at least one event type (\"*\" for every event)")
	}
	if len(ps) > maxPatterns {
		return nil, apperr.Field(field, "at most %d event types", maxPatterns)
	}
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		p = strings.TrimSpace(p)
		if !validPattern(p) {
			return nil, apperr.Field(field, "%q is not an event type of webhookEventTypes, a domain's \"<domain>.*\" or \"*\"", p)
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func validPattern(p string) bool {
	if p == "*" {
		return true
	}
	if domain, ok := strings.CutSuffix(p, ".*"); ok {
		for t := range events.Catalogue {
			if strings.HasPrefix(string(t), domain+".") {
				return true
			}
		}
		return false
	}
	_, ok := events.Catalogue[events.Type(p)]
	return ok
}

// matches reports whether an event type is selected by any pattern.
func matches(patterns []string, t events.Type) bool {
	for _, p := range patterns {
		switch {
		case p == "*", p == string(t):
			return true
		case strings.HasSuffix(p, ".*") && strings.HasPrefix(string(t), strings.TrimSuffix(p, "*")):
			return true
		}
	}
	return false
}

// checkFilter validates a filter: an object of at most 20 payload fields
// (the JSON names of the event's data, "pipeline_id") to a string, number,
// boolean or null each must equal. An empty object is no filter (nil).
func checkFilter(field string, f map[string]any) (map[string]any, error) {
	if len(f) == 0 {
		return nil, nil
	}
	if len(f) > maxFilterKeys {
		return nil, apperr.Field(field, "a filter has at most %d fields", maxFilterKeys)
	}
	for k, v := range f {
		if k == "" || len(k) > 64 {
			return nil, apperr.Field(field, "filter fields are payload field names of 1 to 64 characters")
		}
		switch x := v.(type) {
		case nil, bool, float64, int, int64, json.Number:
		case string:
			if len(x) > maxFilterValue {
				return nil, apperr.Field(field, "filter value of %q is longer than %d bytes", k, maxFilterValue)
			}
		default:
			return nil, apperr.Field(field, "the filter value of %q must be a string, number, boolean or null, not %T", k, v)
		}
	}
	return f, nil
}

// selects reports whether the event's data passes the filter: every field
// equal to its value (a missing field is null).
func selects(filter map[string]any, data map[string]any) bool {
	for k, want := range filter {
		if !equalJSON(want, data[k]) {
			return false
		}
	}
	return true
}

// equalJSON compares two decoded JSON scalars (numbers by value).
func equalJSON(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return fmt.Sprint(normal(a)) == fmt.Sprint(normal(b)) && kind(a) == kind(b)
}

func normal(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return v
}

func kind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "bool"
	}
	return "number"
}
