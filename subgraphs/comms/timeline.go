package comms

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/page"
)

// Parent is the reference a per-record list follows: the activities or tasks
// of a contact, company or deal, or the tasks assigned to a user.
type Parent string

// The parents of per-record lists (tasks only for ParentAssignee).
const (
	ParentContact  Parent = "contact_id"
	ParentCompany  Parent = "company_id"
	ParentDeal     Parent = "deal_id"
	ParentAssignee Parent = "assigned_to"
)

// listSpec describes how a table's per-parent pages are cut: the columns in
// the order its store struct scans them, the order, and the keyset
// condition of "after the cursor" ($3 and on are the cursor's values; $1
// is the parents' ids, $2 the rows wanted per parent).
type listSpec struct {
	table, columns, order, after string
	parents                      []Parent
}

var activityList = listSpec{
	table: "activities",
	columns: "id, type, subject, description, status, direction, duration_minutes, scheduled_at, completed_at, " +
		"occurred_at, contact_id, company_id, deal_id, owner_id, custom_fields, created_at, updated_at, created_by",
	order:   "occurred_at DESC, id DESC",
	after:   "$3::text IS NULL OR (occurred_at, id) < ($4::timestamptz, $3::text)",
	parents: []Parent{ParentContact, ParentCompany, ParentDeal},
}

var taskList = listSpec{
	table: "tasks",
	columns: "id, title, description, type, status, priority, due_date, reminder_at, reminded_at, contact_id, " +
		"company_id, deal_id, assigned_to, completed_at, custom_fields, created_at, updated_at, created_by",
	order:   "id DESC",
	after:   "$3::text IS NULL OR id < $3::text",
	parents: []Parent{ParentContact, ParentCompany, ParentDeal, ParentAssignee},
}

// statement is the one statement that answers a batch: for every parent,
// the page's rows (in_page, at positions up to $2) and, so that a parent
// with an empty page still has its total, its first row.
func (l listSpec) statement(parent Parent, extra string) (string, error) {
	ok := false
	for _, p := range l.parents {
		ok = ok || p == parent
	}
	if !ok {
		return "", fmt.Errorf("comms: %s have no parent %s", l.table, parent)
	}
	return fmt.Sprintf(`SELECT parent, total, in_page AND pos <= $2, %[1]s FROM (
    SELECT %[1]s, %[2]s AS parent,
        count(*) OVER (PARTITION BY %[2]s) AS total,
        row_number() OVER (PARTITION BY %[2]s ORDER BY %[3]s) AS rn,
        count(*) FILTER (WHERE %[4]s) OVER (PARTITION BY %[2]s ORDER BY %[3]s ROWS UNBOUNDED PRECEDING) AS pos,
        (%[4]s) AS in_page
    FROM %[5]s WHERE %[2]s = ANY($1::text[])%[6]s
) p
WHERE (in_page AND pos <= $2) OR rn = 1
ORDER BY parent, %[3]s`, l.columns, parent, l.order, l.after, l.table, extra), nil
}

// Pages are per-parent pages of a list, by parent id.
type Pages[T any] map[string]PageOf[T]

// PageOf is one parent's page.
type PageOf[T any] struct {
	Items   []T
	HasNext bool
	Total   int64
}

// batchPages reads the pages of many parents in one statement.
func batchPages[T any](ctx context.Context, tx pgx.Tx, l listSpec, parent Parent, ids []string, size int,
	cursor []any, extra string, extraArgs []any, fields func(*T) []any) (Pages[T], error) {
	sql, err := l.statement(parent, extra)
	if err != nil {
		return nil, err
	}
	args := append([]any{ids, size + 1}, cursor...)
	rows, err := tx.Query(ctx, sql, append(args, extraArgs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := Pages[T]{}
	for rows.Next() {
		var (
			id     string
			total  int64
			inPage bool
			item   T
		)
		if err := rows.Scan(append([]any{&id, &total, &inPage}, fields(&item)...)...); err != nil {
			return nil, err
		}
		p := out[id]
		p.Total = total
		if inPage {
			p.Items = append(p.Items, item)
		}
		out[id] = p
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for id, p := range out {
		p.Items, p.HasNext = page.Trim(p.Items, size)
		out[id] = p
	}
	return out, nil
}

func activityFields(a *Activity) []any {
	return []any{&a.ID, &a.Type, &a.Subject, &a.Description, &a.Status, &a.Direction, &a.DurationMinutes,
		&a.ScheduledAt, &a.CompletedAt, &a.OccurredAt, &a.ContactID, &a.CompanyID, &a.DealID, &a.OwnerID,
		&a.CustomFields, &a.CreatedAt, &a.UpdatedAt, &a.CreatedBy}
}

func taskFields(t *Task) []any {
	return []any{&t.ID, &t.Title, &t.Description, &t.Type, &t.Status, &t.Priority, &t.DueDate, &t.ReminderAt,
		&t.RemindedAt, &t.ContactID, &t.CompanyID, &t.DealID, &t.AssignedTo, &t.CompletedAt, &t.CustomFields,
		&t.CreatedAt, &t.UpdatedAt, &t.CreatedBy}
}

// Timelines returns the timelines of many contacts, companies or deals
// (parent says which), each a page of first activities after the cursor,
// newest first, in one statement.
func (s *Service) Timelines(ctx context.Context, parent Parent, ids []string, first *int, after *string) (Pages[Activity], error) {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return nil, err
	}
	size, err := page.Size(first)
	if err != nil {
		return nil, err
	}
	var (
		afterAt, at *time.Time
		afterID     *string
		id          string
	)
	at = new(time.Time)
	if ok, err := page.Decode(after, at, &id); err != nil {
		return nil, err
	} else if ok {
		afterID, afterAt = &id, at
	}
	var out Pages[Activity]
	err = s.DB.InTenant(ctx, caller.TenantID, func(tx pgx.Tx) error {
		out, err = batchPages(ctx, tx, activityList, parent, ids, size, []any{afterID, afterAt}, "", nil, activityFields)
		return err
	})
	return out, err
}

// TasksOf returns the tasks of many contacts, companies, deals or assignees
// (parent says which), each a page of first tasks after the cursor, newest
// first, in one statement; status, when set, narrows them.
func (s *Service) TasksOf(ctx context.Context, parent Parent, ids []string, status *string, first *int, after *string) (Pages[Task], error) {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return nil, err
	}
	size, err := page.Size(first)
	if err != nil {
		return nil, err
	}
	var afterID *string
	var id string
	if ok, err := page.Decode(after, &id); err != nil {
		return nil, err
	} else if ok {
		afterID = &id
	}
	var out Pages[Task]
	err = s.DB.InTenant(ctx, caller.TenantID, func(tx pgx.Tx) error {
		out, err = batchPages(ctx, tx, taskList, parent, ids, size, []any{afterID},
			" AND ($4::text IS NULL OR status = $4::text)", []any{status}, taskFields)
		return err
	})
	return out, err
}
