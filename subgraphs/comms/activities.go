package comms

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/customfields"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/refs"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// ActivityInput is what logActivity and updateActivity set (the schema's
// LogActivityInput and UpdateActivityInput); nil leaves a field as it is (or
// at its default when logging). The type is set when logging only.
type ActivityInput struct {
	Type                                  *ActivityType
	Subject, Description                  *string
	Status                                *ActivityStatus
	Direction                             *Direction
	DurationMinutes                       *int
	ScheduledAt, CompletedAt              *time.Time
	ContactID, CompanyID, DealID, OwnerID *string
	CustomFields                          customfields.Fields
}

// ActivityFilter narrows a list of activities (the schema's ActivityFilter).
type ActivityFilter struct {
	Type                                  *ActivityType
	ContactID, CompanyID, DealID, OwnerID *string
	From, To                              *time.Time
}

// LogActivity records an activity; the owner is the caller unless a role
// that changes any record names another.
func (s *Service) LogActivity(ctx context.Context, in ActivityInput) (Activity, error) {
	if err := s.checkActivityRefs(ctx, auth.CreateCRM, in, "log activities for"); err != nil {
		return Activity{}, err
	}
	var a Activity
	err := s.q.As(ctx, auth.CreateCRM, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) error {
		if in.Type == nil {
			return apperr.Field("input.type", "the type is required")
		}
		if in.OwnerID == nil {
			in.OwnerID = &caller.UserID
		} else if *in.OwnerID != caller.UserID && !caller.Role.Can(auth.WriteAnyCRM) {
			return apperr.E(apperr.Forbidden, "the %s role may not log activities for other users", caller.Role)
		}
		a = Activity{ID: tenancy.NewID(), Type: *in.Type, CreatedAt: s.clock()}
		if err := applyActivity(&a, in, s.clock()); err != nil {
			return err
		}
		var err error
		a, err = insertActivity(ctx, q, tx, caller.TenantID, caller.UserID, a)
		return err
	})
	return a, err
}

// checkActivityRefs checks, before the transaction, that the caller may
// write activities (perm) and name their owner, and the ids in sets.
func (s *Service) checkActivityRefs(ctx context.Context, perm auth.Permission, in ActivityInput, what string) error {
	caller, err := auth.Require(ctx, perm)
	if err != nil {
		return err
	}
	if in.OwnerID != nil && *in.OwnerID != "" && *in.OwnerID != caller.UserID && !caller.Role.Can(auth.WriteAnyCRM) {
		return apperr.E(apperr.Forbidden, "the %s role may not %s other users", caller.Role, what)
	}
	return s.checkRefs(ctx, caller, refs.To("input.contactId", refs.Contact, in.ContactID),
		refs.To("input.companyId", refs.Company, in.CompanyID), refs.To("input.dealId", refs.Deal, in.DealID),
		refs.To("input.ownerId", refs.User, in.OwnerID))
}

// insertActivity stores a, created by actor ("" for automation), and emits
// activity.logged in the same transaction.
func insertActivity(ctx context.Context, q *store.Queries, tx pgx.Tx, tenantID, actor string, a Activity) (Activity, error) {
	a.CreatedByID = opt(actor)
	a, err := saveActivityRow(ctx, q, a)
	if err != nil {
		return a, err
	}
	return a, events.Emit(ctx, tx, events.ActivityLogged, tenantID, actor, activityPayload(a))
}

func activityPayload(a Activity) events.ActivityPayload {
	return events.ActivityPayload{
		ActivityID: a.ID, Type: string(a.Type), Subject: a.Subject, ContactID: deref(a.ContactID),
		CompanyID: deref(a.CompanyID), DealID: deref(a.DealID), OwnerID: deref(a.OwnerID),
	}
}

// activityFields are the fields of an activity updateActivity changes, by
// the JSON names of its events (events.Diff).
func activityFields(a Activity) events.Fields {
	return events.Fields{
		"subject": a.Subject, "description": a.Description, "status": a.Status, "direction": a.Direction,
		"duration_minutes": a.DurationMinutes, "scheduled_at": a.ScheduledAt, "completed_at": a.CompletedAt,
		"contact_id": a.ContactID, "company_id": a.CompanyID, "deal_id": a.DealID, "owner_id": a.OwnerID,
		"custom_fields": a.CustomFields,
	}
}

// UpdateActivity changes an activity: its owner, or roles that change any record.
func (s *Service) UpdateActivity(ctx context.Context, id string, in ActivityInput) (Activity, error) {
	in.Type = nil // the type of an activity does not change
	if err := s.checkActivityRefs(ctx, auth.WriteOwnCRM, in, "give activities to"); err != nil {
		return Activity{}, err
	}
	return s.ownActivity(ctx, id, func(q *store.Queries, tx pgx.Tx, caller auth.Identity, a *Activity) (err error) {
		if in.OwnerID != nil && *in.OwnerID != caller.UserID && !caller.Role.Can(auth.WriteAnyCRM) {
			return apperr.E(apperr.Forbidden, "the %s role may not give activities to other users", caller.Role)
		}
		before := activityFields(*a)
		if err := applyActivity(a, in, s.clock()); err != nil {
			return err
		}
		if *a, err = saveActivityRow(ctx, q, *a); err != nil {
			return err
		}
		changed, changes := events.Diff(before, activityFields(*a))
		if len(changed) == 0 {
			return nil
		}
		p := activityPayload(*a)
		p.Changed, p.Changes = changed, changes
		return events.Emit(ctx, tx, events.ActivityUpdated, caller.TenantID, caller.UserID, p)
	})
}

// DeleteActivity removes an activity and returns it, emitting
// activity.deleted: its owner, or roles that change any record.
func (s *Service) DeleteActivity(ctx context.Context, id string) (Activity, error) {
	return s.ownActivity(ctx, id, func(q *store.Queries, tx pgx.Tx, caller auth.Identity, a *Activity) error {
		if err := q.DeleteActivity(ctx, a.ID); err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.ActivityDeleted, caller.TenantID, caller.UserID, activityPayload(*a))
	})
}

// ownActivity locks an activity the caller may change and runs fn on it.
func (s *Service) ownActivity(ctx context.Context, id string, fn func(q *store.Queries, tx pgx.Tx, caller auth.Identity, a *Activity) error) (Activity, error) {
	return edit(ctx, s, auth.WriteOwnCRM, "activity", (*store.Queries).GetActivityForUpdate, activityOf, id,
		func(q *store.Queries, tx pgx.Tx, caller auth.Identity, a *Activity) error {
			if !mayChange(caller, a.OwnerID, a.CreatedByID) {
				return forbiddenNotOwner("activity")
			}
			return fn(q, tx, caller, a)
		})
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
	return get(ctx, s, "activity", (*store.Queries).GetActivity, activityOf, id)
}

// Activities returns the activities of ids in one statement, in the order
// of ids; unknown ids give nil.
func (s *Service) Activities(ctx context.Context, ids []string) ([]*Activity, error) {
	return byIDs(ctx, s, (*store.Queries).GetActivities, activityOf, func(a Activity) string { return a.ID }, ids)
}

// ListActivities returns a page of activities, newest first.
func (s *Service) ListActivities(ctx context.Context, f ActivityFilter, first *int, after *string) (Page[Activity], error) {
	ps, err := s.activityPages(ctx, store.ActivityPagesParams{Parent: string(noParent), Type: (*string)(f.Type),
		ContactID: f.ContactID, CompanyID: f.CompanyID, DealID: f.DealID, OwnerID: f.OwnerID,
		OccurredFrom: f.From, OccurredTo: f.To}, first, after)
	return ps[""], err
}

// Timelines returns the timelines of many contacts, companies or deals
// (parent says which), each a page of first activities after the cursor,
// newest first, in one statement.
func (s *Service) Timelines(ctx context.Context, parent Parent, ids []string, first *int, after *string) (map[string]Page[Activity], error) {
	return s.activityPages(ctx, store.ActivityPagesParams{Parent: string(parent), Ids: ids}, first, after)
}

func (s *Service) activityPages(ctx context.Context, p store.ActivityPagesParams, first *int, after *string) (map[string]Page[Activity], error) {
	var (
		at time.Time
		id string
	)
	if ok, err := page.Decode(after, &at, &id); err != nil {
		return nil, err
	} else if ok {
		p.AfterAt, p.AfterID = &at, &id
	}
	return pages(ctx, s, first, &p.MaxRows, func(q *store.Queries) ([]store.ActivityPagesRow, error) { return q.ActivityPages(ctx, p) },
		func(r store.ActivityPagesRow) pageRow[Activity] {
			return pageRow[Activity]{r.Parent, r.Total, r.InPage, activityOf(r.Activity)}
		})
}

// applyActivity validates f and applies it to a, then works out the status
// and the activity's place on the timeline.
func applyActivity(a *Activity, f ActivityInput, now time.Time) error {
	if err := setText("input.subject", f.Subject, &a.Subject); err != nil {
		return err
	}
	setPtr(&a.Description, f.Description)
	setPtr(&a.Direction, f.Direction)
	setPtr(&a.ScheduledAt, f.ScheduledAt)
	setPtr(&a.CompletedAt, f.CompletedAt)
	if f.DurationMinutes != nil {
		if *f.DurationMinutes < 0 || *f.DurationMinutes > 100000 {
			return apperr.Field("input.durationMinutes", "the duration must be between 0 and 100000 minutes")
		}
		a.DurationMinutes = f.DurationMinutes
	}
	if f.CustomFields != nil {
		if _, err := customfields.Encode("input.customFields", f.CustomFields); err != nil {
			return err
		}
		a.CustomFields = f.CustomFields
	}
	err := setRefs(ref{"input.contactId", f.ContactID, &a.ContactID}, ref{"input.companyId", f.CompanyID, &a.CompanyID},
		ref{"input.dealId", f.DealID, &a.DealID}, ref{"input.ownerId", f.OwnerID, &a.OwnerID})
	if err != nil {
		return err
	}
	switch {
	case f.Status != nil:
		a.Status = *f.Status
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
