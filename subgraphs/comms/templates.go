package comms

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// TemplateInput is what createEmailTemplate and updateEmailTemplate set
// (the schema's CreateEmailTemplateInput and UpdateEmailTemplateInput); nil
// leaves a field as it is. Variables nil keeps the declared variables on
// update and declares every placeholder used on create.
type TemplateInput struct {
	Name, Subject, BodyHTML, BodyText, Category *string
	Variables                                   []EmailTemplateVariableInput
	IsActive                                    *bool
}

// EmailTemplateVariableInput declares a template variable (required unless
// it says otherwise).
type EmailTemplateVariableInput struct {
	Name         string
	Required     *bool
	DefaultValue *string
}

// CreateEmailTemplate saves a new template (admins and managers); a
// template that does not parse is refused with the position of the error.
func (s *Service) CreateEmailTemplate(ctx context.Context, in TemplateInput) (EmailTemplate, error) {
	var t EmailTemplate
	err := s.q.As(ctx, auth.ManageSettings, func(q *store.Queries, _ pgx.Tx, caller auth.Identity) (err error) {
		t = EmailTemplate{ID: tenancy.NewID(), IsActive: true}
		if err := applyTemplate(&t, in, true); err != nil {
			return err
		}
		t, err = saveTemplateRow(ctx, q, t, &caller.UserID)
		return nameTaken(err)
	})
	return t, err
}

// UpdateEmailTemplate changes a template (admins and managers).
func (s *Service) UpdateEmailTemplate(ctx context.Context, id string, in TemplateInput) (EmailTemplate, error) {
	return edit(ctx, s, auth.ManageSettings, "e-mail template", (*store.Queries).GetEmailTemplateForUpdate, templateOf, id,
		func(q *store.Queries, _ pgx.Tx, _ auth.Identity, t *EmailTemplate) (err error) {
			if err := applyTemplate(t, in, false); err != nil {
				return err
			}
			*t, err = saveTemplateRow(ctx, q, *t, nil)
			return nameTaken(err)
		})
}

func nameTaken(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" {
		return apperr.E(apperr.Conflict, "an e-mail template of that name exists")
	}
	return err
}

// applyTemplate validates f, applies it to t and checks that the result
// compiles.
func applyTemplate(t *EmailTemplate, f TemplateInput, create bool) error {
	var err error
	if f.IsActive != nil {
		t.IsActive = *f.IsActive
	}
	if err := setText("input.name", f.Name, &t.Name); err != nil {
		return err
	}
	if err := setText("input.subject", f.Subject, &t.Subject); err != nil {
		return err
	}
	if f.BodyHTML != nil || create {
		if t.BodyHTML, err = body("input.bodyHtml", deref(f.BodyHTML)); err != nil {
			return err
		}
	}
	if f.BodyText != nil {
		if _, err := body("input.bodyText", *f.BodyText+"."); err != nil {
			return err
		}
		t.BodyText = f.BodyText
	}
	if f.Category != nil {
		// The column's length: longer was an INTERNAL from PostgreSQL.
		if t.Category, err = validate.OptionalText("input.category", f.Category, 100); err != nil {
			return err
		}
	}
	var declared []EmailTemplateVariable
	switch {
	case f.Variables != nil:
		declared = make([]EmailTemplateVariable, len(f.Variables))
		for i, v := range f.Variables {
			declared[i] = EmailTemplateVariable{Name: v.Name, Required: v.Required == nil || *v.Required, DefaultValue: v.DefaultValue}
		}
	case !create:
		declared = t.Variables
	}
	c, err := compileTemplate(t.Subject, t.BodyHTML, t.BodyText, declared)
	if err != nil {
		return err
	}
	t.Variables = c.vars
	return nil
}

// compiled parses a stored template (which compiled when it was saved).
func compiled(t EmailTemplate) (template, error) {
	return compileTemplate(t.Subject, t.BodyHTML, t.BodyText, t.Variables)
}

// EmailTemplate returns a template of the caller's organisation.
func (s *Service) EmailTemplate(ctx context.Context, id string) (EmailTemplate, error) {
	return get(ctx, s, "e-mail template", (*store.Queries).GetEmailTemplate, templateOf, id)
}

// EmailTemplates lists templates by name, optionally of a category or only
// the active ones.
func (s *Service) EmailTemplates(ctx context.Context, category *string, activeOnly *bool) ([]EmailTemplate, error) {
	return tenancy.Get(ctx, s.q, auth.ReadCRM, func(q *store.Queries) ([]EmailTemplate, error) {
		rows, err := q.ListEmailTemplates(ctx, store.ListEmailTemplatesParams{Category: category,
			ActiveOnly: activeOnly != nil && *activeOnly})
		out := make([]EmailTemplate, len(rows))
		for i, r := range rows {
			out[i] = templateOf(r)
		}
		return out, err
	})
}

// RenderEmailTemplate renders a template with values (a JSON object), for
// a preview.
func (s *Service) RenderEmailTemplate(ctx context.Context, id string, values map[string]any) (RenderedEmail, error) {
	t, err := s.EmailTemplate(ctx, id)
	if err != nil {
		return RenderedEmail{}, err
	}
	c, err := compiled(t)
	if err != nil {
		return RenderedEmail{}, err
	}
	return c.render(Values(values))
}

// maxBody is the longest template body, in bytes.
const maxBody = 500_000

// body checks a template body: multi-line text, not empty, not too long.
func body(field, s string) (string, error) {
	switch {
	case strings.TrimSpace(s) == "":
		return "", apperr.Field(field, "%s is required", field)
	case len(s) > maxBody:
		return "", apperr.Field(field, "%s is longer than %d bytes", field, maxBody)
	case !utf8.ValidString(s):
		return "", apperr.Field(field, "%s is not UTF-8", field)
	}
	return s, nil
}
