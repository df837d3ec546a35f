package comms

import (
	"context"
	"encoding/json"
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

// TemplateFields are what createEmailTemplate and updateEmailTemplate set;
// nil leaves a field as it is. Variables nil keeps the declared variables
// on update and declares every placeholder used on create.
type TemplateFields struct {
	Name, Subject, BodyHTML, BodyText, Category *string
	Variables                                   []Variable
	IsActive                                    *bool
}

// TemplateVariables returns a template's declared variables.
func TemplateVariables(t EmailTemplate) []Variable {
	var vs []Variable
	_ = json.Unmarshal(t.Variables, &vs)
	return vs
}

// CreateEmailTemplate saves a new template (admins and managers); a
// template that does not parse is refused with the position of the error.
func (s *Service) CreateEmailTemplate(ctx context.Context, f TemplateFields) (EmailTemplate, error) {
	caller, err := auth.Require(ctx, auth.ManageSettings)
	if err != nil {
		return EmailTemplate{}, err
	}
	t := EmailTemplate{IsActive: true}
	if f.IsActive != nil {
		t.IsActive = *f.IsActive
	}
	if err := applyTemplate(&t, f, true); err != nil {
		return EmailTemplate{}, err
	}
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		t, err = q.InsertEmailTemplate(ctx, store.InsertEmailTemplateParams{
			ID: tenancy.NewID(), Name: t.Name, Subject: t.Subject, BodyHtml: t.BodyHtml, BodyText: t.BodyText,
			Category: t.Category, Variables: t.Variables, IsActive: t.IsActive, CreatedBy: &caller.UserID,
		})
		return nameTaken(err)
	})
	return t, err
}

// UpdateEmailTemplate changes a template (admins and managers).
func (s *Service) UpdateEmailTemplate(ctx context.Context, id string, f TemplateFields) (EmailTemplate, error) {
	caller, err := auth.Require(ctx, auth.ManageSettings)
	if err != nil {
		return EmailTemplate{}, err
	}
	var t EmailTemplate
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		if t, err = q.GetEmailTemplateForUpdate(ctx, id); err != nil {
			return notFound(err, "e-mail template")
		}
		if f.IsActive != nil {
			t.IsActive = *f.IsActive
		}
		if err := applyTemplate(&t, f, false); err != nil {
			return err
		}
		t, err = q.UpdateEmailTemplate(ctx, store.UpdateEmailTemplateParams{
			ID: t.ID, Name: t.Name, Subject: t.Subject, BodyHtml: t.BodyHtml, BodyText: t.BodyText,
			Category: t.Category, Variables: t.Variables, IsActive: t.IsActive,
		})
		return nameTaken(err)
	})
	return t, err
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
func applyTemplate(t *EmailTemplate, f TemplateFields, create bool) error {
	var err error
	if f.Name != nil || create {
		if t.Name, err = validate.Text("input.name", deref(f.Name), 255); err != nil {
			return err
		}
	}
	if f.Subject != nil || create {
		if t.Subject, err = validate.Text("input.subject", deref(f.Subject), 255); err != nil {
			return err
		}
	}
	if f.BodyHTML != nil || create {
		if t.BodyHtml, err = body("input.bodyHtml", deref(f.BodyHTML)); err != nil {
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
		t.Category = f.Category
	}
	declared := f.Variables
	if declared == nil && !create {
		declared = TemplateVariables(*t)
	}
	c, err := compileTemplate(t.Subject, t.BodyHtml, t.BodyText, declared)
	if err != nil {
		return err
	}
	if c.vars == nil {
		c.vars = []Variable{}
	}
	t.Variables, err = json.Marshal(c.vars)
	return err
}

// compiled parses a stored template (which compiled when it was saved).
func compiled(t EmailTemplate) (template, error) {
	return compileTemplate(t.Subject, t.BodyHtml, t.BodyText, TemplateVariables(t))
}

// EmailTemplate returns a template of the caller's organisation.
func (s *Service) EmailTemplate(ctx context.Context, id string) (EmailTemplate, error) {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return EmailTemplate{}, err
	}
	var t EmailTemplate
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		t, err = q.GetEmailTemplate(ctx, id)
		return notFound(err, "e-mail template")
	})
	return t, err
}

// EmailTemplatesByID returns the templates of ids in one statement, in the
// order of ids; unknown ids give nil.
func (s *Service) EmailTemplatesByID(ctx context.Context, ids []string) ([]*EmailTemplate, error) {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return nil, err
	}
	var rows []EmailTemplate
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		rows, err = q.GetEmailTemplates(ctx, ids)
		return err
	})
	return inOrder(ids, rows, func(t EmailTemplate) string { return t.ID }), err
}

// EmailTemplates lists templates by name, optionally of a category or only
// the active ones.
func (s *Service) EmailTemplates(ctx context.Context, category *string, activeOnly bool) ([]EmailTemplate, error) {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return nil, err
	}
	var ts []EmailTemplate
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		ts, err = q.ListEmailTemplates(ctx, store.ListEmailTemplatesParams{Category: category, ActiveOnly: activeOnly})
		return err
	})
	return ts, err
}

// RenderEmailTemplate renders a template with values, for a preview.
func (s *Service) RenderEmailTemplate(ctx context.Context, id string, values map[string]string) (Rendered, error) {
	t, err := s.EmailTemplate(ctx, id)
	if err != nil {
		return Rendered{}, err
	}
	c, err := compiled(t)
	if err != nil {
		return Rendered{}, err
	}
	return c.render(values)
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
