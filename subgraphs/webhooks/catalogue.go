package webhooks

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
)

// descriptions say when each event of the catalogue happens.
var descriptions = map[events.Type]string{
	events.UserCreated:       "A user joined the organisation.",
	events.UserLogin:         "A user signed in.",
	events.UserPasswordReset: "A user's password was reset.",
	events.UserDeactivated:   "A user was deactivated.",
	events.APIKeyCreated:     "An API key was created (never its secret).",
	events.APIKeyRevoked:     "An API key was revoked.",
	events.TenantCreated:     "The organisation was created.",
	events.TenantUpdated:     "The organisation was renamed.",
	events.TenantUserInvited: "A person was invited to join.",
	events.TenantUserJoined:  "An invited person joined.",
	events.ContactCreated:    "A contact was created.",
	events.ContactUpdated:    "A contact was changed; changed lists the fields.",
	events.ContactDeleted:    "A contact was deleted; merged_into is set when it was merged into another.",
	events.CompanyCreated:    "A company was created.",
	events.CompanyUpdated:    "A company was changed; changed lists the fields.",
	events.CompanyDeleted:    "A company was deleted.",
	events.DealCreated:       "A deal was created.",
	events.DealStageChanged:  "A deal moved to another stage; previous_stage is the one it left.",
	events.DealClosedWon:     "A deal moved to a won stage.",
	events.DealClosedLost:    "A deal moved to a lost stage.",
	events.DealUpdated:       "A deal's fields were changed (updateDeal, upsertDeal); changed lists them, changes has their old and new values. Stage moves are deal.stage_changed.",
	events.DealDeleted:       "A deal was deleted; data is the deal as it was.",
	events.EmailSent:         "An e-mail was handed to the mail server.",
	events.EmailOpened:       "A recipient opened an e-mail.",
	events.EmailClicked:      "A recipient clicked a link of an e-mail.",
	events.EmailDelivered:    "The mail provider reported an e-mail delivered.",
	events.EmailBounced:      "The mail provider reported an e-mail bounced.",
	events.ActivityLogged:    "An activity was logged on a timeline.",
	events.ActivityUpdated:   "An activity was changed; changed lists the fields, changes has their old and new values.",
	events.ActivityDeleted:   "An activity was deleted; data is the activity as it was.",
	events.TaskCreated:       "A task was created.",
	events.TaskCompleted:     "A task was completed.",
	events.TaskReminderDue:   "A task's reminder came due.",
	events.TaskUpdated:       "A task was changed (updateTask); changed lists the fields, changes has their old and new values.",
}

// EventTypes is the catalogue as webhooks see it, by type, each with an
// example body.
func (s *Service) EventTypes(ctx context.Context) ([]WebhookEventType, error) {
	if _, err := auth.Require(ctx, auth.ReadWebhooks); err != nil {
		return nil, err
	}
	return Catalogue(), nil
}

// Catalogue lists every event type with a description and an example body.
func Catalogue() []WebhookEventType {
	out := make([]WebhookEventType, 0, len(events.Catalogue))
	for t, payload := range events.Catalogue {
		out = append(out, WebhookEventType{Type: string(t), Description: descriptions[t], Example: example(t, payload)})
	}
	slices.SortFunc(out, func(a, b WebhookEventType) int { return strings.Compare(a.Type, b.Type) })
	return out
}

// exampleTime is the instant of every example.
var exampleTime = time.Date(2026, 1, 31, 9, 30, 0, 0, time.UTC)

// example is the body of a webhook of type t, its data filled in from the
// payload struct's fields (ids, names, amounts, times of the right shape).
func example(t events.Type, payload any) map[string]any {
	data, _ := json.Marshal(filled(reflect.ValueOf(payload)))
	body, _ := Body(events.Event{
		ID: "01JJZQ4B6Y8P3X0C2D5E7F9G1H", Type: t, TenantID: "01JJZQ2T8N4K6M0P2R4S6V8W0Y", Timestamp: exampleTime,
		Data: data, Actor: "01JJZQ3A1B2C3D4E5F6G7H8J9K", ActorKind: events.ActorUser,
	})
	var out map[string]any
	_ = json.Unmarshal(body, &out)
	return out
}

// filled is v (a zero payload struct) with every field given an example;
// changed and changes name the same field.
func filled(v reflect.Value) any {
	out := map[string]any{}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = exampleValue(name, f.Type)
	}
	if _, ok := out["changes"]; ok {
		field := "title"
		if _, ok := out[field]; !ok {
			field = "subject"
		}
		out["changed"] = []string{field}
		out["changes"] = map[string]any{field: map[string]any{"old": "example old " + field, "new": out[field]}}
	}
	return out
}

func exampleValue(name string, t reflect.Type) any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeOf(time.Time{}):
		return exampleTime
	case t.Kind() == reflect.Bool:
		return true
	case t.Kind() == reflect.Float64:
		if name == "probability" {
			return 90.0
		}
		return 12000.0
	case t.Kind() == reflect.Slice:
		if name == "changed" {
			return []string{"email"}
		}
		return []string{"contacts:read"}
	}
	switch {
	case name == "id" || strings.HasSuffix(name, "_id") || name == "merged_into" || name == "created_by" ||
		name == "invited_by" || name == "assigned_to":
		return "01JJZQ5C7D9E1F3G5H7J9K1M3N"
	case name == "email" || name == "to":
		return "ann@example.com"
	case name == "currency":
		return "EUR"
	case strings.HasSuffix(name, "_date"):
		return "2026-02-15"
	case name == "url":
		return "https://example.com/pricing"
	}
	return "example " + strings.ReplaceAll(name, "_", " ")
}
