package comms

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// Activity types, statuses and directions as stored.
const (
	ActivityEmail   = "email"
	ActivityCall    = "call"
	ActivityMeeting = "meeting"
	ActivityNote    = "note"
	ActivityTask    = "task"

	ActivityScheduled = "scheduled"
	ActivityCompleted = "completed"
	ActivityCancelled = "cancelled"

	Outbound = "outbound"
)

// ActivityFields are what logActivity and updateActivity set; nil leaves a
// field as it is (or at its default when logging). Enumerations are lower case.
type ActivityFields struct {
	Type, Subject, Description, Status, Direction *string
	DurationMinutes                               *int
	ScheduledAt, CompletedAt                      *time.Time
	ContactID, CompanyID, DealID, OwnerID         *string
	CustomFields                                  map[string]any
}

// ActivityFilter narrows a list of activities.
type ActivityFilter struct {
	Type, ContactID, CompanyID, DealID, OwnerID *string
	From, To                                    *time.Time
}

// ActivityPage is a page of activities.
type ActivityPage struct {
	Activities []Activity
	HasNext    bool
	Total      int64
}

// ActivityCursor is the cursor of an activity on a timeline.
func ActivityCursor(a Activity) string { return page.Cursor(a.OccurredAt, a.ID) }

// LogActivity records an activity; the owner is the caller unless a role
// that changes any record names another.
func (s *Service) LogActivity(ctx context.Context, f ActivityFields) (Activity, error) {
	caller, err := auth.Require(ctx, auth.CreateCRM)
	if err != nil {
		return Activity{}, err
	}
	if f.Type == nil {
		return Activity{}, apperr.Field("input.type", "the type is required")
	}
	if f.OwnerID == nil {
		f.OwnerID = &caller.UserID
	} else if *f.OwnerID != caller.UserID && !caller.Role.Can(auth.WriteAnyCRM) {
		return Activity{}, apperr.E(apperr.Forbidden, "the %s role may not log activities for other users", caller.Role)
	}
	a := store.Activity{ID: tenancy.NewID(), CustomFields: []byte("{}"), CreatedAt: s.clock()}
	if err := applyActivity(&a, f, s.clock()); err != nil {
		return Activity{}, err
	}
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		a, err = insertActivity(ctx, q, tx, caller.TenantID, caller.UserID, a)
		return err
	})
	return a, err
}

// insertActivity stores a and emits activity.logged in the same transaction.
func insertActivity(ctx context.Context, q *store.Queries, tx pgx.Tx, tenantID, actor string, a Activity) (Activity, error) {
	var createdBy *string
	if actor != "" {
		createdBy = &actor
	}
	a, err := q.InsertActivity(ctx, store.InsertActivityParams{
		ID: a.ID, Type: a.Type, Subject: a.Subject, Description: a.Description, Status: a.Status,
		Direction: a.Direction, DurationMinutes: a.DurationMinutes, ScheduledAt: a.ScheduledAt,
		CompletedAt: a.CompletedAt, OccurredAt: a.OccurredAt, ContactID: a.ContactID, CompanyID: a.CompanyID,
		DealID: a.DealID, OwnerID: a.OwnerID, CustomFields: a.CustomFields, CreatedBy: createdBy,
	})
	if err != nil {
		return a, err
	}
	return a, events.Emit(ctx, tx, events.ActivityLogged, tenantID, actor, events.ActivityPayload{
		ActivityID: a.ID, Type: a.Type, Subject: a.Subject, ContactID: deref(a.ContactID),
		CompanyID: deref(a.CompanyID), DealID: deref(a.DealID), OwnerID: deref(a.OwnerID),
	})
}

// UpdateActivity changes an activity: its owner, or roles that change any record.
func (s *Service) UpdateActivity(ctx context.Context, id string, f ActivityFields) (Activity, error) {
	caller, err := auth.Require(ctx, auth.WriteOwnCRM)
	if err != nil {
		return Activity{}, err
	}
	if f.OwnerID != nil && *f.OwnerID != caller.UserID && !caller.Role.Can(auth.WriteAnyCRM) {
		return Activity{}, apperr.E(apperr.Forbidden, "the %s role may not give activities to other users", caller.Role)
	}
	f.Type = nil // the type of an activity does not change
	var a Activity
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		if a, err = s.ownActivity(ctx, q, caller, id); err != nil {
			return err
		}
		if err := applyActivity(&a, f, s.clock()); err != nil {
			return err
		}
		a, err = q.UpdateActivity(ctx, store.UpdateActivityParams{
			ID: a.ID, Subject: a.Subject, Description: a.Description, Status: a.Status, Direction: a.Direction,
			DurationMinutes: a.DurationMinutes, ScheduledAt: a.ScheduledAt, CompletedAt: a.CompletedAt,
			OccurredAt: a.OccurredAt, ContactID: a.ContactID, CompanyID: a.CompanyID, DealID: a.DealID,
			OwnerID: a.OwnerID, CustomFields: a.CustomFields,
		})
		return err
	})
	return a, err
}

// DeleteActivity removes an activity and returns it: its owner, or roles
// that change any record.
func (s *Service) DeleteActivity(ctx context.Context, id string) (Activity, error) {
	caller, err := auth.Require(ctx, auth.WriteOwnCRM)
	if err != nil {
		return Activity{}, err
	}
	var a Activity
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		if a, err = s.ownActivity(ctx, q, caller, id); err != nil {
			return err
		}
		return q.DeleteActivity(ctx, id)
	})
	return a, err
}

// ownActivity locks an activity the caller may change.
func (s *Service) ownActivity(ctx context.Context, q *store.Queries, caller auth.Identity, id string) (Activity, error) {
	a, err := q.GetActivityForUpdate(ctx, id)
	if err != nil {
		return a, notFound(err, "activity")
	}
	if !mayChange(caller, a.OwnerID, a.CreatedBy) {
		return a, forbiddenNotOwner("activity")
	}
	return a, nil
}

// mayChange reports whether the caller may change a record with these
// owners: roles that change any record always, others when they own it.
func mayChange(caller auth.Identity, owners ...*string) bool {
	if caller.Role.Can(auth.WriteAnyCRM) {
		return true
	}
	if !caller.Role.Can(auth.WriteOwnCRM) {
		return false
	}
	for _, o := range owners {
		if o != nil && *o == caller.UserID {
			return true
		}
	}
	return false
}

// Activity returns an activity of the caller's organisation.
func (s *Service) Activity(ctx context.Context, id string) (Activity, error) {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return Activity{}, err
	}
	var a Activity
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		a, err = q.GetActivity(ctx, id)
		return notFound(err, "activity")
	})
	return a, err
}

// Activities returns the activities of ids in one statement, in the order
// of ids; unknown ids give nil.
func (s *Service) Activities(ctx context.Context, ids []string) ([]*Activity, error) {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return nil, err
	}
	var rows []Activity
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		rows, err = q.GetActivities(ctx, ids)
		return err
	})
	return inOrder(ids, rows, func(a Activity) string { return a.ID }), err
}

// ListActivities returns a page of activities, newest first.
func (s *Service) ListActivities(ctx context.Context, f ActivityFilter, first *int, after *string) (ActivityPage, error) {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return ActivityPage{}, err
	}
	size, err := page.Size(first)
	if err != nil {
		return ActivityPage{}, err
	}
	p := store.ListActivitiesParams{Type: f.Type, ContactID: f.ContactID, CompanyID: f.CompanyID, DealID: f.DealID,
		OwnerID: f.OwnerID, OccurredFrom: f.From, OccurredTo: f.To, MaxRows: int32(size + 1)}
	var afterID string
	if ok, err := page.Decode(after, &p.AfterAt, &afterID); err != nil {
		return ActivityPage{}, err
	} else if ok {
		p.AfterID = &afterID
	}
	var res ActivityPage
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		rows, err := q.ListActivities(ctx, p)
		if err != nil {
			return err
		}
		res.Activities, res.HasNext = page.Trim(rows, size)
		res.Total, err = q.CountActivities(ctx, store.CountActivitiesParams{Type: p.Type, ContactID: p.ContactID,
			CompanyID: p.CompanyID, DealID: p.DealID, OwnerID: p.OwnerID, OccurredFrom: p.OccurredFrom, OccurredTo: p.OccurredTo})
		return err
	})
	return res, err
}

// applyActivity validates f and applies it to a, then works out the status
// and the activity's place on the timeline.
func applyActivity(a *Activity, f ActivityFields, now time.Time) error {
	var err error
	if f.Type != nil {
		if a.Type, err = oneOf("input.type", *f.Type, ActivityEmail, ActivityCall, ActivityMeeting, ActivityNote, ActivityTask); err != nil {
			return err
		}
	}
	if f.Subject != nil || a.Subject == "" {
		if a.Subject, err = validate.Text("input.subject", deref(f.Subject), 255); err != nil {
			return err
		}
	}
	if f.Description != nil {
		a.Description = f.Description
	}
	if f.Direction != nil {
		d, err := oneOf("input.direction", *f.Direction, "inbound", Outbound)
		if err != nil {
			return err
		}
		a.Direction = &d
	}
	if f.DurationMinutes != nil {
		if *f.DurationMinutes < 0 || *f.DurationMinutes > 100000 {
			return apperr.Field("input.durationMinutes", "the duration must be between 0 and 100000 minutes")
		}
		d := int32(*f.DurationMinutes)
		a.DurationMinutes = &d
	}
	if f.ScheduledAt != nil {
		a.ScheduledAt = f.ScheduledAt
	}
	if f.CompletedAt != nil {
		a.CompletedAt = f.CompletedAt
	}
	if f.CustomFields != nil {
		a.CustomFields = customFields(f.CustomFields)
	}
	refs := []struct {
		field string
		in    *string
		dst   **string
	}{{"input.contactId", f.ContactID, &a.ContactID}, {"input.companyId", f.CompanyID, &a.CompanyID},
		{"input.dealId", f.DealID, &a.DealID}, {"input.ownerId", f.OwnerID, &a.OwnerID}}
	for _, r := range refs {
		if err := setRef(r.field, r.in, r.dst); err != nil {
			return err
		}
	}
	switch {
	case f.Status != nil:
		if a.Status, err = oneOf("input.status", *f.Status, ActivityScheduled, ActivityCompleted, ActivityCancelled); err != nil {
			return err
		}
	case a.Status == "" && a.CompletedAt == nil && a.ScheduledAt != nil && a.ScheduledAt.After(now):
		a.Status = ActivityScheduled
	case a.Status == "":
		a.Status = ActivityCompleted
	}
	if a.Status == ActivityCompleted && a.CompletedAt == nil {
		t := now
		if a.ScheduledAt != nil && a.ScheduledAt.Before(now) {
			t = *a.ScheduledAt
		}
		a.CompletedAt = &t
	}
	a.OccurredAt = occurredAt(*a)
	return nil
}

// occurredAt is an activity's place on the timeline.
func occurredAt(a Activity) time.Time {
	switch {
	case a.CompletedAt != nil:
		return *a.CompletedAt
	case a.ScheduledAt != nil:
		return *a.ScheduledAt
	}
	return a.CreatedAt
}
