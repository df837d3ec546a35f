package comms_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// updateActivity emits activity.updated in its transaction with the fields
// it changed and their old and new values; one that changes nothing emits
// nothing. deleteActivity emits activity.deleted describing the activity.
func TestChangingAnActivityEmitsActivityUpdatedAndDeleted(t *testing.T) {
	t.Parallel()
	e := setup(t)
	dealID := tenancy.NewID()
	a := e.logActivity(t, auth.RoleSalesRep, map[string]any{"type": "CALL", "subject": "Intro call", "durationMinutes": 10, "dealId": dealID})
	update := `mutation($id: ID!, $in: UpdateActivityInput!) { updateActivity(id: $id, input: $in) { id } }`

	e.do(t, auth.RoleSalesRep, update, map[string]any{"id": a.ID, "in": map[string]any{"subject": "Pricing call", "durationMinutes": 25}}).Decode(t, &struct{}{})
	updated := e.outbox(t, events.ActivityUpdated)
	require.Len(t, updated, 1)
	p := updated[0]
	assert.Equal(t, a.ID, p["activity_id"])
	assert.Equal(t, "call", p["type"])
	assert.Equal(t, "Pricing call", p["subject"])
	assert.Equal(t, dealID, p["deal_id"])
	assert.Equal(t, e.users[auth.RoleSalesRep].UserID, p["owner_id"])
	assert.Equal(t, []any{"duration_minutes", "subject"}, p["changed"])
	assert.Equal(t, map[string]any{
		"subject":          map[string]any{"old": "Intro call", "new": "Pricing call"},
		"duration_minutes": map[string]any{"old": 10.0, "new": 25.0},
	}, p["changes"])

	e.do(t, auth.RoleSalesRep, update, map[string]any{"id": a.ID, "in": map[string]any{"subject": "Pricing call"}}).Decode(t, &struct{}{})
	assert.Len(t, e.outbox(t, events.ActivityUpdated), 1, "an update that changes nothing is no event")

	e.do(t, auth.RoleSalesRep, `mutation($id: ID!) { deleteActivity(id: $id) { id } }`, map[string]any{"id": a.ID}).Decode(t, &struct{}{})
	deleted := e.outbox(t, events.ActivityDeleted)
	require.Len(t, deleted, 1)
	assert.Equal(t, a.ID, deleted[0]["activity_id"])
	assert.Equal(t, "Pricing call", deleted[0]["subject"])
	assert.Equal(t, dealID, deleted[0]["deal_id"])
	assert.NotContains(t, deleted[0], "changed")

	r := e.do(t, auth.RoleSalesRep, `mutation($id: ID!) { deleteActivity(id: $id) { id } }`, map[string]any{"id": a.ID})
	assert.Equal(t, "NOT_FOUND", r.Code())
	assert.Len(t, e.outbox(t, events.ActivityDeleted), 1)
}

// updateTask emits task.updated with the fields it changed and their old
// and new values (and task.completed as well when it completes the task);
// completeTask emits task.completed only.
func TestUpdatingATaskEmitsTaskUpdated(t *testing.T) {
	t.Parallel()
	e := setup(t)
	rep := e.users[auth.RoleSalesRep]
	var c struct{ CreateTask struct{ ID string } }
	e.do(t, auth.RoleSalesRep, createTask, map[string]any{"in": map[string]any{"title": "Send quote", "priority": "LOW"}}).Decode(t, &c)
	id := c.CreateTask.ID
	update := `mutation($id: ID!, $in: UpdateTaskInput!) { updateTask(id: $id, input: $in) { id } }`

	e.do(t, auth.RoleSalesRep, update, map[string]any{"id": id, "in": map[string]any{"priority": "URGENT", "dueDate": "2031-03-01T12:00:00Z"}}).Decode(t, &struct{}{})
	updated := e.outbox(t, events.TaskUpdated)
	require.Len(t, updated, 1)
	p := updated[0]
	assert.Equal(t, id, p["task_id"])
	assert.Equal(t, "Send quote", p["title"])
	assert.Equal(t, "urgent", p["priority"])
	assert.Equal(t, rep.UserID, p["assigned_to"])
	assert.Equal(t, []any{"due_date", "priority"}, p["changed"])
	assert.Equal(t, map[string]any{
		"priority": map[string]any{"old": "low", "new": "urgent"},
		"due_date": map[string]any{"old": nil, "new": "2031-03-01T12:00:00Z"},
	}, p["changes"])

	e.do(t, auth.RoleSalesRep, update, map[string]any{"id": id, "in": map[string]any{"priority": "URGENT"}}).Decode(t, &struct{}{})
	assert.Len(t, e.outbox(t, events.TaskUpdated), 1, "an update that changes nothing is no event")

	e.do(t, auth.RoleSalesRep, update, map[string]any{"id": id, "in": map[string]any{"status": "COMPLETED"}}).Decode(t, &struct{}{})
	updated = e.outbox(t, events.TaskUpdated)
	require.Len(t, updated, 2)
	assert.Equal(t, map[string]any{"status": map[string]any{"old": "pending", "new": "completed"}}, updated[1]["changes"])
	assert.Len(t, e.outbox(t, events.TaskCompleted), 1, "completing by updateTask is task.completed too")

	e.do(t, auth.RoleSalesRep, createTask, map[string]any{"in": map[string]any{"title": "Other"}}).Decode(t, &c)
	e.do(t, auth.RoleSalesRep, `mutation($id: ID!) { completeTask(id: $id) { id } }`, map[string]any{"id": c.CreateTask.ID}).Decode(t, &struct{}{})
	assert.Len(t, e.outbox(t, events.TaskCompleted), 2)
	assert.Len(t, e.outbox(t, events.TaskUpdated), 2, "completeTask is task.completed only")
}

// The comms automation keeps what it knows of a deal on deal.updated and
// deal.deleted, and logs nothing on the timeline for them.
func TestDealUpdatedAndDeletedOnlyKeepWhatCommsKnowsOfTheDeal(t *testing.T) {
	t.Parallel()
	e := setup(t)
	dealID := tenancy.NewID()
	e.apply(t, events.DealCreated, "", events.DealPayload{DealID: dealID, Title: "Old name"})
	e.apply(t, events.DealUpdated, "", events.DealPayload{DealID: dealID, Title: "New name", Changed: []string{"title"}})
	var title string
	var deleted bool
	e.scalar(t, &title, "SELECT title FROM known_records WHERE id = $1", dealID)
	assert.Equal(t, "New name", title)

	e.apply(t, events.DealDeleted, "", events.DealPayload{DealID: dealID, Title: "New name"})
	e.scalar(t, &deleted, "SELECT deleted FROM known_records WHERE id = $1", dealID)
	assert.True(t, deleted)
	var notes int
	e.scalar(t, &notes, "SELECT count(*) FROM activities WHERE deal_id = $1", dealID)
	assert.Zero(t, notes, "neither event logs a timeline entry")
}
