package comms_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

const logActivity = `mutation($in: LogActivityInput!) { logActivity(input: $in) { id subject status occurredAt owner { id } deal { id } } }`

type activityOut struct {
	ID, Subject, Status, OccurredAt string
	Owner                           struct{ ID string }
}

func (e *env) logActivity(t *testing.T, r auth.Role, in map[string]any) activityOut {
	t.Helper()
	var out struct{ LogActivity activityOut }
	e.do(t, r, logActivity, map[string]any{"in": in}).Decode(t, &out)
	return out.LogActivity
}

type timelineOut struct {
	Edges []struct {
		Cursor string
		Node   struct{ ID, Subject string }
	}
	PageInfo struct {
		HasNextPage, HasPreviousPage bool
		EndCursor                    string
	}
	TotalCount int
}

func (e *env) dealTimeline(t *testing.T, dealID string, first int, after *string) timelineOut {
	t.Helper()
	var out struct {
		Entities []struct{ Activities timelineOut } `json:"_entities"`
	}
	e.do(t, auth.RoleViewer, `query($reps: [_Any!]!, $first: Int, $after: String) { _entities(representations: $reps) {
		... on Deal { activities(first: $first, after: $after) { edges { cursor node { id subject } } pageInfo { hasNextPage hasPreviousPage endCursor } totalCount } } } }`,
		map[string]any{"reps": []map[string]any{{"__typename": "Deal", "id": dealID}}, "first": first, "after": after}).Decode(t, &out)
	require.Len(t, out.Entities, 1)
	return out.Entities[0].Activities
}

func TestTimelineIsNewestFirstAndPaginated(t *testing.T) {
	t.Parallel()
	e := setup(t)
	dealID, other := tenancy.NewID(), tenancy.NewID()
	base := time.Now().Add(-time.Hour).UTC()
	// Logged out of order: the timeline orders by when they happened.
	for _, i := range []int{2, 0, 4, 1, 3} {
		e.logActivity(t, auth.RoleSalesRep, map[string]any{"type": "CALL", "subject": fmt.Sprintf("call %d", i),
			"dealId": dealID, "completedAt": base.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)})
	}
	e.logActivity(t, auth.RoleSalesRep, map[string]any{"type": "NOTE", "subject": "elsewhere", "dealId": other})

	p1 := e.dealTimeline(t, dealID, 2, nil)
	assert.Equal(t, 5, p1.TotalCount)
	require.Len(t, p1.Edges, 2)
	assert.Equal(t, "call 4", p1.Edges[0].Node.Subject)
	assert.Equal(t, "call 3", p1.Edges[1].Node.Subject)
	assert.True(t, p1.PageInfo.HasNextPage)
	assert.False(t, p1.PageInfo.HasPreviousPage)

	p2 := e.dealTimeline(t, dealID, 2, &p1.PageInfo.EndCursor)
	require.Len(t, p2.Edges, 2)
	assert.Equal(t, []string{"call 2", "call 1"}, []string{p2.Edges[0].Node.Subject, p2.Edges[1].Node.Subject})
	assert.True(t, p2.PageInfo.HasPreviousPage)
	p3 := e.dealTimeline(t, dealID, 2, &p2.PageInfo.EndCursor)
	require.Len(t, p3.Edges, 1)
	assert.Equal(t, "call 0", p3.Edges[0].Node.Subject)
	assert.False(t, p3.PageInfo.HasNextPage)
	assert.Equal(t, 5, p3.TotalCount)
	empty := e.dealTimeline(t, dealID, 2, &p3.PageInfo.EndCursor)
	assert.Empty(t, empty.Edges)
	assert.Equal(t, 5, empty.TotalCount, "an empty page still counts the timeline")

	// The flat list agrees.
	var flat struct{ Activities timelineOut }
	e.do(t, auth.RoleViewer, `query($d: ID!) { activities(filter: {dealId: $d}, first: 3) { edges { node { subject } } totalCount pageInfo { hasNextPage endCursor } } }`,
		map[string]any{"d": dealID}).Decode(t, &flat)
	assert.Equal(t, 5, flat.Activities.TotalCount)
	assert.Equal(t, "call 4", flat.Activities.Edges[0].Node.Subject)
	r := e.do(t, auth.RoleViewer, `{ activities(first: 2, after: "bogus") { totalCount } }`, nil)
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
	r = e.do(t, auth.RoleViewer, `{ activities(first: 101) { totalCount } }`, nil)
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
}

func TestActivityLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t)
	contactID := tenancy.NewID()
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	a := e.logActivity(t, auth.RoleSalesRep, map[string]any{"type": "MEETING", "subject": "Demo", "contactId": contactID,
		"scheduledAt": future, "durationMinutes": 30, "direction": "OUTBOUND", "customFields": map[string]any{"room": "B"}})
	assert.Equal(t, "SCHEDULED", a.Status, "a meeting in the future is scheduled")
	assert.Equal(t, e.users[auth.RoleSalesRep].UserID, a.Owner.ID)

	var up struct {
		UpdateActivity struct {
			Status, Subject string
			CompletedAt     *string
		}
	}
	e.do(t, auth.RoleSalesRep, `mutation($id: ID!) { updateActivity(id: $id, input: {status: COMPLETED, subject: "Demo done"}) { status subject completedAt } }`,
		map[string]any{"id": a.ID}).Decode(t, &up)
	assert.Equal(t, "COMPLETED", up.UpdateActivity.Status)
	assert.NotNil(t, up.UpdateActivity.CompletedAt)

	var one struct {
		Activity struct {
			Subject      string
			CustomFields map[string]any
			Contact      struct{ ID string }
		}
	}
	e.do(t, auth.RoleViewer, `query($id: ID!) { activity(id: $id) { subject customFields contact { id } } }`, map[string]any{"id": a.ID}).Decode(t, &one)
	assert.Equal(t, "Demo done", one.Activity.Subject)
	assert.Equal(t, "B", one.Activity.CustomFields["room"])
	assert.Equal(t, contactID, one.Activity.Contact.ID)
	assert.Len(t, e.outbox(t, "activity.logged"), 1)

	r := e.do(t, auth.RoleSalesRep, `mutation($id: ID!) { deleteActivity(id: $id) { id } }`, map[string]any{"id": a.ID})
	require.Empty(t, r.Errors)
	r = e.do(t, auth.RoleViewer, `query($id: ID!) { activity(id: $id) { id } }`, map[string]any{"id": a.ID})
	assert.JSONEq(t, `{"activity": null}`, string(r.Data))
	r = e.do(t, auth.RoleSalesRep, `mutation($id: ID!) { deleteActivity(id: $id) { id } }`, map[string]any{"id": a.ID})
	assert.Equal(t, "NOT_FOUND", r.Code())
}

func TestActivityBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for name, tc := range map[string]struct {
		in    map[string]any
		field string
	}{
		"no subject":       {map[string]any{"type": "NOTE", "subject": " "}, "input.subject"},
		"bad contact id":   {map[string]any{"type": "NOTE", "subject": "x", "contactId": "42"}, "input.contactId"},
		"negative minutes": {map[string]any{"type": "CALL", "subject": "x", "durationMinutes": -1}, "input.durationMinutes"},
	} {
		r := e.do(t, auth.RoleManager, logActivity, map[string]any{"in": tc.in})
		assert.Equal(t, "BAD_USER_INPUT", r.Code(), name)
		assert.Equal(t, tc.field, r.Field(), name)
	}
	r := e.do(t, auth.RoleManager, `mutation($id: ID!) { updateActivity(id: $id, input: {subject: "x"}) { id } }`, map[string]any{"id": tenancy.NewID()})
	assert.Equal(t, "NOT_FOUND", r.Code())
	r = e.do(t, auth.RoleManager, `mutation($id: ID!) { completeTask(id: $id) { id } }`, map[string]any{"id": tenancy.NewID()})
	assert.Equal(t, "NOT_FOUND", r.Code())
}

func TestOtherTenantsRecordsAreNotFound(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := e.logActivity(t, auth.RoleAdmin, map[string]any{"type": "NOTE", "subject": "secret"})
	other := setup(t)
	stranger := e.c.Token(t, auth.Identity{UserID: tenancy.NewID(), TenantID: other.tenantID, Role: auth.RoleAdmin})
	r := doAs(t, e.url, stranger, `mutation($id: ID!) { updateActivity(id: $id, input: {subject: "mine"}) { id } }`, map[string]any{"id": a.ID})
	assert.Equal(t, "NOT_FOUND", r.Code())
	r = doAs(t, e.url, stranger, `query($id: ID!) { activity(id: $id) { id } }`, map[string]any{"id": a.ID})
	assert.JSONEq(t, `{"activity": null}`, string(r.Data))
}

const createTask = `mutation($in: CreateTaskInput!) { createTask(input: $in) { id status type priority assignedTo { id } } }`

func TestTaskLifecycleAndAssignedTasks(t *testing.T) {
	t.Parallel()
	e := setup(t)
	rep := e.users[auth.RoleSalesRep]
	dealID := tenancy.NewID()
	var c struct {
		CreateTask struct {
			ID, Status, Type, Priority string
			AssignedTo                 struct{ ID string }
		}
	}
	e.do(t, auth.RoleManager, createTask, map[string]any{"in": map[string]any{"title": "Call back", "assignedTo": rep.UserID,
		"dealId": dealID, "priority": "HIGH", "type": "FOLLOW_UP"}}).Decode(t, &c)
	assert.Equal(t, "PENDING", c.CreateTask.Status)
	assert.Equal(t, "FOLLOW_UP", c.CreateTask.Type)
	assert.Equal(t, rep.UserID, c.CreateTask.AssignedTo.ID)
	e.do(t, auth.RoleSalesRep, createTask, map[string]any{"in": map[string]any{"title": "Own one", "dealId": dealID}}).Decode(t, &c)

	var up struct{ UpdateTask struct{ Status string } }
	e.do(t, auth.RoleSalesRep, `mutation($id: ID!) { updateTask(id: $id, input: {status: IN_PROGRESS}) { status } }`,
		map[string]any{"id": c.CreateTask.ID}).Decode(t, &up)
	assert.Equal(t, "IN_PROGRESS", up.UpdateTask.Status)
	var done struct {
		CompleteTask struct {
			Status      string
			CompletedAt *string
		}
	}
	e.do(t, auth.RoleSalesRep, `mutation($id: ID!) { completeTask(id: $id) { status completedAt } }`, map[string]any{"id": c.CreateTask.ID}).Decode(t, &done)
	assert.Equal(t, "COMPLETED", done.CompleteTask.Status)
	assert.NotNil(t, done.CompleteTask.CompletedAt)
	assert.Len(t, e.outbox(t, "task.completed"), 1)

	var u struct {
		Entities []struct {
			AssignedTasks timelineOut
			Open          timelineOut
		} `json:"_entities"`
	}
	e.do(t, auth.RoleViewer, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User {
		assignedTasks { totalCount edges { node { id } } } open: assignedTasks(status: PENDING) { totalCount } } } }`,
		map[string]any{"reps": []map[string]any{{"__typename": "User", "id": rep.UserID}}}).Decode(t, &u)
	assert.Equal(t, 2, u.Entities[0].AssignedTasks.TotalCount)
	assert.Equal(t, 1, u.Entities[0].Open.TotalCount)

	var d struct {
		Entities []struct{ Tasks timelineOut } `json:"_entities"`
	}
	e.do(t, auth.RoleViewer, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Deal { tasks(first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { id title: id } } } } } }`,
		map[string]any{"reps": []map[string]any{{"__typename": "Deal", "id": dealID}}}).Decode(t, &d)
	assert.Equal(t, 2, d.Entities[0].Tasks.TotalCount)
	assert.True(t, d.Entities[0].Tasks.PageInfo.HasNextPage)

	var list struct{ Tasks timelineOut }
	e.do(t, auth.RoleViewer, `query($a: ID!) { tasks(filter: {assignedTo: $a, status: COMPLETED}) { totalCount } }`, map[string]any{"a": rep.UserID}).Decode(t, &list)
	assert.Equal(t, 1, list.Tasks.TotalCount)
}

// TestPermissionMatrix checks every role against every kind of operation
// (docs/architecture.md section 3).
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	e := setup(t)
	managerNote := e.logActivity(t, auth.RoleManager, map[string]any{"type": "NOTE", "subject": "manager's"})
	ops := []struct {
		name  string
		query string
		vars  func() map[string]any
		allow map[auth.Role]bool
	}{
		{"read activities", `{ activities { totalCount } }`, nil, all(true)},
		{"read templates", `{ emailTemplates { id } }`, nil, all(true)},
		{"log activity", logActivity, func() map[string]any {
			return map[string]any{"in": map[string]any{"type": "NOTE", "subject": "n"}}
		}, roles(auth.RoleAdmin, auth.RoleManager, auth.RoleSalesRep)},
		{"create task", createTask, func() map[string]any { return map[string]any{"in": map[string]any{"title": "t"}} },
			roles(auth.RoleAdmin, auth.RoleManager, auth.RoleSalesRep)},
		{"change someone else's activity", `mutation($id: ID!) { updateActivity(id: $id, input: {subject: "x"}) { id } }`,
			func() map[string]any { return map[string]any{"id": managerNote.ID} }, roles(auth.RoleAdmin, auth.RoleManager)},
		{"create template", `mutation($n: String!) { createEmailTemplate(input: {name: $n, subject: "s", bodyHtml: "b"}) { id } }`,
			func() map[string]any { return map[string]any{"n": tenancy.NewID()} }, roles(auth.RoleAdmin, auth.RoleManager)},
	}
	for _, op := range ops {
		vars := func() map[string]any {
			if op.vars == nil {
				return nil
			}
			return op.vars()
		}
		for _, r := range auth.Roles {
			res := e.do(t, r, op.query, vars())
			if op.allow[r] {
				assert.Empty(t, res.Errors, "%s may %s", r, op.name)
			} else {
				assert.Equal(t, "FORBIDDEN", res.Code(), "%s may not %s", r, op.name)
			}
		}
		res := doAs(t, e.url, "", op.query, vars())
		assert.Equal(t, "UNAUTHENTICATED", res.Code(), "anonymous may not %s", op.name)
	}
	// A sales rep changes what it owns, and not to someone else's name.
	own := e.logActivity(t, auth.RoleSalesRep, map[string]any{"type": "NOTE", "subject": "mine"})
	r := e.do(t, auth.RoleSalesRep, `mutation($id: ID!) { updateActivity(id: $id, input: {subject: "still mine"}) { id } }`, map[string]any{"id": own.ID})
	assert.Empty(t, r.Errors)
	r = e.do(t, auth.RoleSalesRep, `mutation($id: ID!, $o: ID!) { updateActivity(id: $id, input: {ownerId: $o}) { id } }`,
		map[string]any{"id": own.ID, "o": e.users[auth.RoleManager].UserID})
	assert.Equal(t, "FORBIDDEN", r.Code())
}

func all(v bool) map[auth.Role]bool {
	m := map[auth.Role]bool{}
	for _, r := range auth.Roles {
		m[r] = v
	}
	return m
}

func roles(rs ...auth.Role) map[auth.Role]bool {
	m := map[auth.Role]bool{}
	for _, r := range rs {
		m[r] = true
	}
	return m
}
