package comms

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/loader"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// The shapes activities, tasks and templates share: read one, read a batch,
// change one under a lock, read pages. Each takes the record's query (a
// method expression of store.Queries) and its row's conversion (rows.go).

// get reads the record id for a caller who may read the CRM; no row is
// NOT_FOUND about what.
func get[R, T any](ctx context.Context, s *Service, what string, read func(*store.Queries, context.Context, string) (R, error),
	of func(R) T, id string) (T, error) {
	return tenancy.Get(ctx, s.q, auth.ReadCRM, func(q *store.Queries) (T, error) {
		r, err := read(q, ctx, id)
		if err != nil {
			var zero T
			return zero, notFound(err, what)
		}
		return of(r), nil
	})
}

// byIDs reads the records of ids in one statement, in the order of ids (an
// _entities batch); unknown ids give nil.
func byIDs[R, T any](ctx context.Context, s *Service, read func(*store.Queries, context.Context, []string) ([]R, error),
	of func(R) T, id func(T) string, ids []string) ([]*T, error) {
	rows, err := tenancy.Get(ctx, s.q, auth.ReadCRM, func(q *store.Queries) ([]R, error) { return read(q, ctx, ids) })
	if err != nil {
		return nil, err
	}
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = of(r)
	}
	return loader.InOrder(ids, out, id), nil
}

// edit locks the record id in a transaction of a caller holding perm and
// lets fn check and change it; no row is NOT_FOUND about what.
func edit[R, T any](ctx context.Context, s *Service, perm auth.Permission, what string,
	lock func(*store.Queries, context.Context, string) (R, error), of func(R) T, id string,
	fn func(q *store.Queries, tx pgx.Tx, caller auth.Identity, t *T) error) (T, error) {
	var t T
	err := s.q.As(ctx, perm, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) error {
		r, err := lock(q, ctx, id)
		if err != nil {
			return notFound(err, what)
		}
		t = of(r)
		return fn(q, tx, caller, &t)
	})
	return t, err
}

// Parent is the kind of record a per-record list follows: the activities or
// tasks of a contact, company or deal, or the tasks assigned to a user.
type Parent string

// The parents of per-record lists (tasks only for ParentAssignee); the
// lists of all records have none.
const (
	ParentContact  Parent = "contact"
	ParentCompany  Parent = "company"
	ParentDeal     Parent = "deal"
	ParentAssignee Parent = "assignee"
	noParent       Parent = ""
)

// pageRow is a row of a windowed page statement (ActivityPages,
// TaskPages): its parent, the parent's total, whether it is on the page
// (else it only carries the total), and its record.
type pageRow[T any] struct {
	parent string
	total  int64
	inPage bool
	item   T
}

// pages reads the pages of many parents (or of all records, under parent
// "") in one statement: read gets the rows wanted per parent, set in
// *maxRows first (a page and one more, to tell whether another follows).
func pages[R, T any](ctx context.Context, s *Service, first *int, maxRows *int32, read func(q *store.Queries) ([]R, error),
	row func(R) pageRow[T]) (map[string]Page[T], error) {
	size, err := page.Size(first)
	if err != nil {
		return nil, err
	}
	*maxRows = int32(size + 1)
	rows, err := tenancy.Get(ctx, s.q, auth.ReadCRM, read)
	if err != nil {
		return nil, err
	}
	out := map[string]Page[T]{}
	for _, r := range rows {
		pr := row(r)
		p := out[pr.parent]
		p.Total = int(pr.total)
		if pr.inPage {
			p.Items = append(p.Items, pr.item)
		}
		out[pr.parent] = p
	}
	for id, p := range out {
		p.Items, p.HasNext = page.Trim(p.Items, size)
		out[id] = p
	}
	return out, nil
}
