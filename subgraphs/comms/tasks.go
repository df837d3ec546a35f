package comms

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// Task types, statuses and priorities as stored.
const (
	TaskTask     = "task"
	TaskReminder = "reminder"
	TaskFollowUp = "follow_up"

	TaskPending    = "pending"
	TaskInProgress = "in_progress"
	TaskCompleted  = "completed"
)

// TaskFields are what createTask and updateTask set; nil leaves a field as
// it is (or at its default when creating). Enumerations are lower case.
type TaskFields struct {
	Title, Description, Type, Status, Priority *string
	DueDate, ReminderAt                        *time.Time
	AssignedTo, ContactID, CompanyID, DealID   *string
}

// TaskFilter narrows a list of tasks.
type TaskFilter struct {
	Status, Type, Priority, AssignedTo, ContactID, CompanyID, DealID *string
	Overdue                                                          bool
}

// TaskPage is a page of tasks.
type TaskPage struct {
	Tasks   []Task
	HasNext bool
	Total   int64
}

// TaskCursor is the cursor of a task in a list, newest first.
func TaskCursor(t Task) string { return page.Cursor(t.ID) }

// CreateTask creates a task, assigned to the caller unless it names someone.
func (s *Service) CreateTask(ctx context.Context, f TaskFields) (Task, error) {
	caller, err := auth.Require(ctx, auth.CreateCRM)
	if err != nil {
		return Task{}, err
	}
	if f.AssignedTo == nil {
		f.AssignedTo = &caller.UserID
	}
	t := Task{ID: tenancy.NewID()}
	if err := applyTask(&t, f, s.clock()); err != nil {
		return Task{}, err
	}
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		t, err = insertTask(ctx, q, tx, caller.TenantID, caller.UserID, t)
		return err
	})
	return t, err
}

// insertTask stores t and emits task.created in the same transaction.
func insertTask(ctx context.Context, q *store.Queries, tx pgx.Tx, tenantID, actor string, t Task) (Task, error) {
	var createdBy *string
	if actor != "" {
		createdBy = &actor
	}
	t, err := q.InsertTask(ctx, store.InsertTaskParams{
		ID: t.ID, Title: t.Title, Description: t.Description, Type: t.Type, Status: t.Status, Priority: t.Priority,
		DueDate: t.DueDate, ReminderAt: t.ReminderAt, ContactID: t.ContactID, CompanyID: t.CompanyID,
		DealID: t.DealID, AssignedTo: t.AssignedTo, CreatedBy: createdBy,
	})
	if err != nil {
		return t, err
	}
	return t, events.Emit(ctx, tx, events.TaskCreated, tenantID, actor, taskPayload(t))
}

func taskPayload(t Task) events.TaskPayload {
	return events.TaskPayload{
		TaskID: t.ID, Title: t.Title, Type: t.Type, Status: t.Status, Priority: t.Priority,
		DueDate: t.DueDate, ReminderAt: t.ReminderAt, AssignedTo: deref(t.AssignedTo),
		ContactID: deref(t.ContactID), CompanyID: deref(t.CompanyID), DealID: deref(t.DealID),
	}
}

// UpdateTask changes a task: its assignee or creator, or roles that change
// any record.
func (s *Service) UpdateTask(ctx context.Context, id string, f TaskFields) (Task, error) {
	return s.changeTask(ctx, id, func(t *Task) error { return applyTask(t, f, s.clock()) })
}

// CompleteTask marks a task completed (once; completing again changes nothing).
func (s *Service) CompleteTask(ctx context.Context, id string) (Task, error) {
	return s.changeTask(ctx, id, func(t *Task) error {
		return applyTask(t, TaskFields{Status: ptr(TaskCompleted)}, s.clock())
	})
}

func (s *Service) changeTask(ctx context.Context, id string, change func(*Task) error) (Task, error) {
	caller, err := auth.Require(ctx, auth.WriteOwnCRM)
	if err != nil {
		return Task{}, err
	}
	var t Task
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		t, err = q.GetTaskForUpdate(ctx, id)
		if err != nil {
			return notFound(err, "task")
		}
		if !mayChange(caller, t.AssignedTo, t.CreatedBy) {
			return forbiddenNotOwner("task")
		}
		wasDone := t.Status == TaskCompleted
		if err := change(&t); err != nil {
			return err
		}
		t, err = q.UpdateTask(ctx, store.UpdateTaskParams{
			ID: t.ID, Title: t.Title, Description: t.Description, Type: t.Type, Status: t.Status, Priority: t.Priority,
			DueDate: t.DueDate, ReminderAt: t.ReminderAt, RemindedAt: t.RemindedAt, ContactID: t.ContactID,
			CompanyID: t.CompanyID, DealID: t.DealID, AssignedTo: t.AssignedTo, CompletedAt: t.CompletedAt,
		})
		if err != nil || wasDone || t.Status != TaskCompleted {
			return err
		}
		return events.Emit(ctx, tx, events.TaskCompleted, caller.TenantID, caller.UserID, taskPayload(t))
	})
	return t, err
}

// Task returns a task of the caller's organisation.
func (s *Service) Task(ctx context.Context, id string) (Task, error) {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return Task{}, err
	}
	var t Task
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		t, err = q.GetTask(ctx, id)
		return notFound(err, "task")
	})
	return t, err
}

// Tasks returns the tasks of ids in one statement, in the order of ids;
// unknown ids give nil.
func (s *Service) Tasks(ctx context.Context, ids []string) ([]*Task, error) {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return nil, err
	}
	var rows []Task
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		rows, err = q.GetTasks(ctx, ids)
		return err
	})
	return inOrder(ids, rows, func(t Task) string { return t.ID }), err
}

// ListTasks returns a page of tasks, newest first.
func (s *Service) ListTasks(ctx context.Context, f TaskFilter, first *int, after *string) (TaskPage, error) {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return TaskPage{}, err
	}
	size, err := page.Size(first)
	if err != nil {
		return TaskPage{}, err
	}
	p := store.ListTasksParams{Status: f.Status, Type: f.Type, Priority: f.Priority, AssignedTo: f.AssignedTo,
		ContactID: f.ContactID, CompanyID: f.CompanyID, DealID: f.DealID, Overdue: f.Overdue, MaxRows: int32(size + 1)}
	var afterID string
	if ok, err := page.Decode(after, &afterID); err != nil {
		return TaskPage{}, err
	} else if ok {
		p.AfterID = &afterID
	}
	var res TaskPage
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		rows, err := q.ListTasks(ctx, p)
		if err != nil {
			return err
		}
		res.Tasks, res.HasNext = page.Trim(rows, size)
		res.Total, err = q.CountTasks(ctx, store.CountTasksParams{Status: p.Status, Type: p.Type, Priority: p.Priority,
			AssignedTo: p.AssignedTo, ContactID: p.ContactID, CompanyID: p.CompanyID, DealID: p.DealID, Overdue: p.Overdue})
		return err
	})
	return res, err
}

// applyTask validates f and applies it to t.
func applyTask(t *Task, f TaskFields, now time.Time) error {
	var err error
	if f.Title != nil || t.Title == "" {
		if t.Title, err = validate.Text("input.title", deref(f.Title), 255); err != nil {
			return err
		}
	}
	if f.Description != nil {
		t.Description = f.Description
	}
	set := func(field string, in *string, dst *string, def string, allowed ...string) error {
		if in == nil {
			if *dst == "" {
				*dst = def
			}
			return nil
		}
		*dst, err = oneOf(field, *in, allowed...)
		return err
	}
	if err := set("input.type", f.Type, &t.Type, TaskTask, TaskTask, TaskReminder, TaskFollowUp); err != nil {
		return err
	}
	if err := set("input.priority", f.Priority, &t.Priority, "normal", "low", "normal", "high", "urgent"); err != nil {
		return err
	}
	if err := set("input.status", f.Status, &t.Status, TaskPending, TaskPending, TaskInProgress, TaskCompleted); err != nil {
		return err
	}
	switch {
	case t.Status == TaskCompleted && t.CompletedAt == nil:
		t.CompletedAt = &now
	case t.Status != TaskCompleted:
		t.CompletedAt = nil
	}
	if f.DueDate != nil {
		t.DueDate = f.DueDate
	}
	if f.ReminderAt != nil && (t.ReminderAt == nil || !f.ReminderAt.Equal(*t.ReminderAt)) {
		t.ReminderAt, t.RemindedAt = f.ReminderAt, nil // a new reminder time arms it again
	}
	refs := []struct {
		field string
		in    *string
		dst   **string
	}{{"input.assignedTo", f.AssignedTo, &t.AssignedTo}, {"input.contactId", f.ContactID, &t.ContactID},
		{"input.companyId", f.CompanyID, &t.CompanyID}, {"input.dealId", f.DealID, &t.DealID}}
	for _, r := range refs {
		if err := setRef(r.field, r.in, r.dst); err != nil {
			return err
		}
	}
	return nil
}
