package events_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opencrm/opencrm/pkg/events"
)

func TestDiffNamesTheFieldsWhoseJSONChangedWithOldAndNewValues(t *testing.T) {
	was, now := "x", "y"
	changed, changes := events.Diff(
		events.Fields{"title": "A", "note": &was, "due": nil, "n": 1, "same": map[string]any{"k": 1}},
		events.Fields{"title": "B", "note": (*string)(nil), "due": &now, "n": 1, "same": map[string]any{"k": 1.0}})
	assert.Equal(t, []string{"due", "note", "title"}, changed, "sorted; equal JSON is no change")
	assert.Equal(t, map[string]events.Change{
		"title": {Old: json.RawMessage(`"A"`), New: json.RawMessage(`"B"`)},
		"note":  {Old: json.RawMessage(`"x"`), New: json.RawMessage(`null`)},
		"due":   {Old: json.RawMessage(`null`), New: json.RawMessage(`"y"`)},
	}, changes)

	changed, changes = events.Diff(events.Fields{"a": "same"}, events.Fields{"a": "same"})
	assert.Nil(t, changed)
	assert.Nil(t, changes)
}
