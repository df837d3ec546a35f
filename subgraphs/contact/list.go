package contact

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/page"
)

// Lists are built here rather than in sqlc queries because their filters
// and orderings combine freely. Every value is a parameter; column names
// and sort expressions come only from the fixed tables below.

// Order is an ordering of a list: one of the schema's order fields (NAME,
// CREATED_AT, ...) and a direction. The zero value is the default, by name.
type Order struct {
	Field string
	Desc  bool
}

// ordering is a sort key: SQL expressions of the row's alias c, each cast
// to text in cursors and back with its cast. The row id breaks ties.
type ordering struct {
	keys, casts []string
}

var (
	companyOrders = map[string]ordering{
		"NAME":       {[]string{"lower(c.name)"}, []string{"text"}},
		"CREATED_AT": {[]string{"c.created_at"}, []string{"timestamptz"}},
		"UPDATED_AT": {[]string{"c.updated_at"}, []string{"timestamptz"}},
	}
	contactOrders = map[string]ordering{
		"NAME":       {[]string{"lower(c.last_name)", "lower(c.first_name)"}, []string{"text", "text"}},
		"EMAIL":      {[]string{"coalesce(lower(c.email), '')"}, []string{"text"}},
		"CREATED_AT": {[]string{"c.created_at"}, []string{"timestamptz"}},
		"UPDATED_AT": {[]string{"c.updated_at"}, []string{"timestamptz"}},
	}
)

// CustomFieldMatch asks for a custom field with a value: the string Value,
// or the number, boolean or null whose JSON text Value is.
type CustomFieldMatch struct {
	Key, Value string
}

// CustomFieldFilter matches custom fields by value and by presence.
type CustomFieldFilter struct {
	Matches []CustomFieldMatch
	Present []string
}

// CompanyFilter narrows a list of companies; every condition set must hold.
type CompanyFilter struct {
	Name, Domain, Industry, SizeCategory, ParentCompanyID, CreatedBy *string
	CreatedAfter, CreatedBefore                                      *time.Time
	CustomFields                                                     CustomFieldFilter
}

// ContactFilter narrows a list of contacts; every condition set must hold.
type ContactFilter struct {
	Name, Email, Status, Source, OwnerID, CompanyID, Industry *string
	CreatedAfter, CreatedBefore                               *time.Time
	CustomFields                                              CustomFieldFilter
}

// where collects the conditions of a query and their parameters; in a
// condition each $? stands for the next parameter.
type where struct {
	conds []string
	args  []any
	err   error
}

func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "$?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "true"
	}
	return strings.Join(w.conds, " AND ")
}

// contains adds `expr LIKE %text%`, ignoring case (a trigram index serves it).
func (w *where) contains(field, expr string, v *string) {
	if v == nil || w.err != nil {
		return
	}
	if utf8.RuneCountInString(*v) > 255 {
		w.err = apperr.Field(field, "%s is longer than 255 characters", field)
		return
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(strings.TrimSpace(*v)))
	w.add(expr+" LIKE $?", "%"+esc+"%")
}

func (w *where) eq(cond string, v *string) {
	if v != nil {
		w.add(cond, *v)
	}
}

func (w *where) created(after, before *time.Time) {
	if after != nil {
		w.add("c.created_at >= $?", *after)
	}
	if before != nil {
		w.add("c.created_at < $?", *before)
	}
}

// customFields adds containment (@>) and presence (?&) conditions, which
// the GIN index on custom_fields serves. Keys and values are parameters.
func (w *where) customFields(field string, f CustomFieldFilter) {
	if w.err != nil {
		return
	}
	for _, k := range append(f.Present, keys(f.Matches)...) {
		if k == "" || utf8.RuneCountInString(k) > MaxCustomFieldKey {
			w.err = apperr.Field(field, "custom field keys have 1 to %d characters", MaxCustomFieldKey)
			return
		}
	}
	for _, m := range f.Matches {
		asString, _ := json.Marshal(map[string]any{m.Key: m.Value})
		var scalar any
		if json.Unmarshal([]byte(m.Value), &scalar) == nil {
			switch scalar.(type) {
			case float64, bool, nil:
				asJSON, _ := json.Marshal(map[string]any{m.Key: scalar})
				w.add("(c.custom_fields @> $?::jsonb OR c.custom_fields @> $?::jsonb)", string(asString), string(asJSON))
				continue
			}
		}
		w.add("c.custom_fields @> $?::jsonb", string(asString))
	}
	if len(f.Present) > 0 {
		w.add("c.custom_fields ?& $?::text[]", f.Present)
	}
}

func keys(ms []CustomFieldMatch) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Key
	}
	return out
}

func (f CompanyFilter) where() (where, error) {
	var w where
	w.contains("filter.name", "lower(c.name)", f.Name)
	w.eq("lower(c.domain) = lower($?)", f.Domain)
	w.eq("lower(c.industry) = lower($?)", f.Industry)
	w.eq("c.size_category = $?", f.SizeCategory)
	w.eq("c.parent_company_id = $?", f.ParentCompanyID)
	w.eq("c.created_by = $?", f.CreatedBy)
	w.created(f.CreatedAfter, f.CreatedBefore)
	w.customFields("filter.customFields", f.CustomFields)
	return w, w.err
}

func (f ContactFilter) where() (where, error) {
	var w where
	w.contains("filter.name", "lower(c.first_name || ' ' || c.last_name)", f.Name)
	w.eq("lower(c.email) = lower($?)", f.Email)
	w.eq("c.status = $?", f.Status)
	w.eq("lower(c.source) = lower($?)", f.Source)
	w.eq("c.owner_id = $?", f.OwnerID)
	w.eq("c.company_id = $?", f.CompanyID)
	w.eq("c.company_id IN (SELECT id FROM companies WHERE lower(industry) = lower($?))", f.Industry)
	w.created(f.CreatedAfter, f.CreatedBefore)
	w.customFields("filter.customFields", f.CustomFields)
	return w, w.err
}

// position is where a page starts: after the row whose sort key and id a
// cursor holds. Cursors name their ordering, so one of another ordering is
// refused instead of silently starting elsewhere.
type position struct {
	field, dir string
	keys       [2]string
	id         string
	set        bool
}

func (o Order) dir() string {
	if o.Desc {
		return "DESC"
	}
	return "ASC"
}

func decodePosition(after *string, o Order) (position, error) {
	p := position{field: o.Field, dir: o.dir()}
	var field, dir string
	ok, err := page.Decode(after, &field, &dir, &p.keys[0], &p.keys[1], &p.id)
	if err != nil || !ok {
		return p, err
	}
	if field != p.field || dir != p.dir {
		return p, apperr.Field("after", "the cursor belongs to a list ordered by %s %s, not %s %s", field, dir, p.field, p.dir)
	}
	p.set = true
	return p, nil
}

func (p position) cursor(k0 string, k1 *string, id string) string {
	return page.Cursor(p.field, p.dir, k0, str(k1), id)
}

// listSQL is the statement of a page: rows with their sort keys as text
// (k0, k1) for cursors, after the position, in order, at most limit.
func listSQL(table string, o ordering, w where, p position, limit int) (string, []any) {
	w.args = slices.Clone(w.args)
	k1 := "NULL::text"
	if len(o.keys) > 1 {
		k1 = o.keys[1] + "::text"
	}
	if p.set {
		tuple := make([]string, len(o.keys))
		for i, c := range o.casts {
			w.args = append(w.args, p.keys[i])
			tuple[i] = "$" + strconv.Itoa(len(w.args)) + "::" + c
		}
		w.args = append(w.args, p.id)
		op := ">"
		if p.dir == "DESC" {
			op = "<"
		}
		w.conds = append(w.conds, fmt.Sprintf("(%s, c.id) %s (%s, $%d)", strings.Join(o.keys, ", "), op, strings.Join(tuple, ", "), len(w.args)))
	}
	order := make([]string, 0, len(o.keys)+1)
	for _, k := range append(o.keys, "c.id") {
		order = append(order, k+" "+p.dir)
	}
	w.args = append(w.args, limit)
	return fmt.Sprintf("SELECT c.*, %s::text AS k0, %s AS k1 FROM %s c WHERE %s ORDER BY %s LIMIT $%d",
		o.keys[0], k1, table, w.sql(), strings.Join(order, ", "), len(w.args)), w.args
}

// keyed is a row with its sort key.
type keyed interface {
	cursorKey() (k0 string, k1 *string, id string)
}

type companyRow struct {
	Company
	K0 string
	K1 *string
}

func (r companyRow) cursorKey() (string, *string, string) { return r.K0, r.K1, r.ID }

type contactRow struct {
	Contact
	K0 string
	K1 *string
}

func (r contactRow) cursorKey() (string, *string, string) { return r.K0, r.K1, r.ID }

// listQuery is a prepared page of a list: validated before any
// transaction begins.
type listQuery struct {
	table     string
	where     where
	order     ordering
	pos       position
	size      int
	wantTotal bool
}

func prepareList(table string, orders map[string]ordering, w where, o Order, first *int, after *string, wantTotal bool) (listQuery, error) {
	size, err := page.Size(first)
	if err != nil {
		return listQuery{}, err
	}
	if o.Field == "" {
		o.Field = "NAME"
	}
	ord, ok := orders[o.Field]
	if !ok {
		return listQuery{}, apperr.Field("orderBy.field", "cannot order by %q", o.Field)
	}
	pos, err := decodePosition(after, o)
	return listQuery{table: table, where: w, order: ord, pos: pos, size: size, wantTotal: wantTotal}, err
}

// listPage runs the statement of a page (and, when asked, the count of
// every row the filter matches) and returns the rows with their cursors.
func listPage[R keyed](ctx context.Context, tx pgx.Tx, lq listQuery) (rows []R, cursors []string, hasNext bool, total int64, err error) {
	if lq.wantTotal {
		if err = tx.QueryRow(ctx, "SELECT count(*) FROM "+lq.table+" c WHERE "+lq.where.sql(), lq.where.args...).Scan(&total); err != nil {
			return
		}
	}
	query, args := listSQL(lq.table, lq.order, lq.where, lq.pos, lq.size+1)
	res, err := tx.Query(ctx, query, args...)
	if err != nil {
		return
	}
	if rows, err = pgx.CollectRows(res, pgx.RowToStructByName[R]); err != nil {
		return
	}
	rows, hasNext = page.Trim(rows, lq.size)
	cursors = make([]string, len(rows))
	for i, r := range rows {
		cursors[i] = lq.pos.cursor(r.cursorKey())
	}
	return
}
