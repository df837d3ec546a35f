package comms

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/refs"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// TaskInput is what createTask and updateTask set (the schema's
// CreateTaskInput and UpdateTaskInput); nil leaves a field as it is (or at
// its default when creating).
type TaskInput struct {
	Title, Description                       *string
	Type                                     *TaskType
	Status                                   *TaskStatus
	Priority                                 *TaskPriority
	DueDate, ReminderAt                      *time.Time
	AssignedTo, ContactID, CompanyID, DealID *string
}

// TaskFilter narrows a list of tasks (the schema's TaskFilter).
type TaskFilter struct {
	Status                                   *TaskStatus
	Type                                     *TaskType
	Priority                                 *TaskPriority
	AssignedTo, ContactID, CompanyID, DealID *string
	Overdue                                  *bool
}

// CreateTask creates a task, assigned to the caller unless it names someone.
func (s *Service) CreateTask(ctx context.Context, in TaskInput) (Task, error) {
	if err := s.checkTaskRefs(ctx, auth.CreateCRM, in); err != nil {
		return Task{}, err
	}
	var t Task
	err := s.q.As(ctx, auth.CreateCRM, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) (err error) {
		if in.AssignedTo == nil {
			in.AssignedTo = &caller.UserID
		}
		t = Task{ID: tenancy.NewID()}
		if err := applyTask(&t, in, s.clock()); err != nil {
			return err
		}
		t, err = insertTask(ctx, q, tx, caller.TenantID, caller.UserID, t)
		return err
	})
	return t, err
}

// insertTask stores t, created by actor ("" for automation), and emits
// task.created in the same transaction.
func insertTask(ctx context.Context, q *store.Queries, tx pgx.Tx, tenantID, actor string, t Task) (Task, error) {
	t.CreatedByID = opt(actor)
	t, err := saveTaskRow(ctx, q, t)
	if err != nil {
		return t, err
	}
	return t, events.Emit(ctx, tx, events.TaskCreated, tenantID, actor, taskPayload(t))
}

func taskPayload(t Task) events.TaskPayload {
	return events.TaskPayload{
		TaskID: t.ID, Title: t.Title, Type: string(t.Type), Status: string(t.Status), Priority: string(t.Priority),
		DueDate: t.DueDate, ReminderAt: t.ReminderAt, AssignedTo: deref(t.AssignedToID),
		ContactID: deref(t.ContactID), CompanyID: deref(t.CompanyID), DealID: deref(t.DealID),
	}
}

// UpdateTask changes a task: its assignee or creator, or roles that change
// any record.
func (s *Service) UpdateTask(ctx context.Context, id string, in TaskInput) (Task, error) {
	if err := s.checkTaskRefs(ctx, auth.WriteOwnCRM, in); err != nil {
		return Task{}, err
	}
	return s.changeTask(ctx, id, in, true)
}

// taskFields are the fields of a task updateTask changes, by the JSON names
// of its events (events.Diff).
func taskFields(t Task) events.Fields {
	return events.Fields{
		"title": t.Title, "description": t.Description, "type": t.Type, "status": t.Status, "priority": t.Priority,
		"due_date": t.DueDate, "reminder_at": t.ReminderAt, "assigned_to": t.AssignedToID,
		"contact_id": t.ContactID, "company_id": t.CompanyID, "deal_id": t.DealID,
	}
}

// checkTaskRefs checks, before the transaction, that the caller may write
// tasks (perm) and the ids in sets.
func (s *Service) checkTaskRefs(ctx context.Context, perm auth.Permission, in TaskInput) error {
	caller, err := auth.Require(ctx, perm)
	if err != nil {
		return err
	}
	return s.checkRefs(ctx, caller, refs.To("input.assignedTo", refs.User, in.AssignedTo),
		refs.To("input.contactId", refs.Contact, in.ContactID), refs.To("input.companyId", refs.Company, in.CompanyID),
		refs.To("input.dealId", refs.Deal, in.DealID))
}

// CompleteTask marks a task completed (once; completing again changes nothing).
func (s *Service) CompleteTask(ctx context.Context, id string) (Task, error) {
	return s.changeTask(ctx, id, TaskInput{Status: ptr(TaskCompleted)}, false)
}

// changeTask applies in to a task the caller may change, emitting
// task.updated when updated and a field changed (the fields with their old
// and new values) and task.completed when it becomes completed.
func (s *Service) changeTask(ctx context.Context, id string, in TaskInput, updated bool) (Task, error) {
	return edit(ctx, s, auth.WriteOwnCRM, "task", (*store.Queries).GetTaskForUpdate, taskOf, id,
		func(q *store.Queries, tx pgx.Tx, caller auth.Identity, t *Task) (err error) {
			if !mayChange(caller, t.AssignedToID, t.CreatedByID) {
				return forbiddenNotOwner("task")
			}
			wasDone := t.Status == TaskCompleted
			before := taskFields(*t)
			if err := applyTask(t, in, s.clock()); err != nil {
				return err
			}
			if *t, err = saveTaskRow(ctx, q, *t); err != nil {
				return err
			}
			if changed, changes := events.Diff(before, taskFields(*t)); updated && len(changed) > 0 {
				p := taskPayload(*t)
				p.Changed, p.Changes = changed, changes
				if err := events.Emit(ctx, tx, events.TaskUpdated, caller.TenantID, caller.UserID, p); err != nil {
					return err
				}
			}
			if wasDone || t.Status != TaskCompleted {
				return nil
			}
			return events.Emit(ctx, tx, events.TaskCompleted, caller.TenantID, caller.UserID, taskPayload(*t))
		})
}

// Task returns a task of the caller's organisation.
func (s *Service) Task(ctx context.Context, id string) (Task, error) {
	return get(ctx, s, "task", (*store.Queries).GetTask, taskOf, id)
}

// Tasks returns the tasks of ids in one statement, in the order of ids;
// unknown ids give nil.
func (s *Service) Tasks(ctx context.Context, ids []string) ([]*Task, error) {
	return byIDs(ctx, s, (*store.Queries).GetTasks, taskOf, func(t Task) string { return t.ID }, ids)
}

// ListTasks returns a page of tasks, newest first.
func (s *Service) ListTasks(ctx context.Context, f TaskFilter, first *int, after *string) (Page[Task], error) {
	ps, err := s.taskPages(ctx, store.TaskPagesParams{Parent: string(noParent), Status: (*string)(f.Status),
		Type: (*string)(f.Type), Priority: (*string)(f.Priority), AssignedTo: f.AssignedTo, ContactID: f.ContactID,
		CompanyID: f.CompanyID, DealID: f.DealID, Overdue: f.Overdue}, first, after)
	return ps[""], err
}

// TasksOf returns the tasks of many contacts, companies, deals or assignees
// (parent says which), each a page of first tasks after the cursor, newest
// first, in one statement; status, when set, narrows them.
func (s *Service) TasksOf(ctx context.Context, parent Parent, ids []string, status *TaskStatus, first *int, after *string) (map[string]Page[Task], error) {
	return s.taskPages(ctx, store.TaskPagesParams{Parent: string(parent), Ids: ids, Status: (*string)(status)}, first, after)
}

func (s *Service) taskPages(ctx context.Context, p store.TaskPagesParams, first *int, after *string) (map[string]Page[Task], error) {
	var id string
	if ok, err := page.Decode(after, &id); err != nil {
		return nil, err
	} else if ok {
		p.AfterID = &id
	}
	return pages(ctx, s, first, &p.MaxRows, func(q *store.Queries) ([]store.TaskPagesRow, error) { return q.TaskPages(ctx, p) },
		func(r store.TaskPagesRow) pageRow[Task] {
			return pageRow[Task]{r.Parent, r.Total, r.InPage, taskOf(r.Task)}
		})
}

// applyTask validates f and applies it to t, setting the defaults of a new task.
func applyTask(t *Task, f TaskInput, now time.Time) error {
	if err := setText("input.title", f.Title, &t.Title); err != nil {
		return err
	}
	setPtr(&t.Description, f.Description)
	setPtr(&t.DueDate, f.DueDate)
	set(&t.Type, f.Type, TaskTask)
	set(&t.Priority, f.Priority, PriorityNormal)
	set(&t.Status, f.Status, TaskPending)
	switch {
	case t.Status == TaskCompleted && t.CompletedAt == nil:
		t.CompletedAt = &now
	case t.Status != TaskCompleted:
		t.CompletedAt = nil
	}
	if f.ReminderAt != nil && (t.ReminderAt == nil || !f.ReminderAt.Equal(*t.ReminderAt)) {
		t.ReminderAt, t.RemindedAt = f.ReminderAt, nil // a new reminder time arms it again
	}
	return setRefs(ref{"input.assignedTo", f.AssignedTo, &t.AssignedToID}, ref{"input.contactId", f.ContactID, &t.ContactID},
		ref{"input.companyId", f.CompanyID, &t.CompanyID}, ref{"input.dealId", f.DealID, &t.DealID})
}
