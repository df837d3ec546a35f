package events

import (
	"bytes"
	"encoding/json"
	"slices"
)

// Change is a field's value before and after an update, as JSON (null when
// unset). The *.updated events of deals, activities and tasks carry one per
// changed field in Changes, keyed by the field's JSON name.
type Change struct {
	Old json.RawMessage `json:"old"`
	New json.RawMessage `json:"new"`
}

// Fields is a view of a record for Diff: its fields by JSON name, each a
// value that marshals to JSON (nil pointers marshal to null).
type Fields map[string]any

// Diff compares two views of one record with the same keys: the names of
// the fields whose JSON differs, sorted, and their old and new values.
// Nothing changed is (nil, nil).
func Diff(before, after Fields) ([]string, map[string]Change) {
	var changed []string
	var changes map[string]Change
	for name, a := range after {
		old, _ := json.Marshal(before[name])
		now, _ := json.Marshal(a)
		if bytes.Equal(old, now) {
			continue
		}
		if changes == nil {
			changes = map[string]Change{}
		}
		changed = append(changed, name)
		changes[name] = Change{Old: old, New: now}
	}
	slices.Sort(changed)
	return changed, changes
}
