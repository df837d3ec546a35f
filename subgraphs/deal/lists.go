package deal

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// DealFilter narrows a list of deals (the schema's DealFilter); nil fields
// do not.
type DealFilter struct {
	PipelineID, StageID, OwnerID, CompanyID *string
	// ContactID: deals the contact is the primary contact of or takes a role in.
	ContactID *string
	Status    *DealStatus
	// ExternalID is the external id, exactly.
	ExternalID *string
	// Search is part of the title, ignoring case.
	Search             *string
	MinValue, MaxValue *decimal.Decimal
	// Expected close date on or after, on or before.
	ExpectedCloseFrom, ExpectedCloseTo *time.Time
}

// DealStatus is where a deal stands: in an open stage, won or lost.
type DealStatus string

// Deal statuses.
const (
	DealOpen DealStatus = "open"
	DealWon  DealStatus = "won"
	DealLost DealStatus = "lost"
)

// DealOrder orders a list of deals (the schema's DealOrder).
type DealOrder struct {
	Field     DealOrderField
	Direction OrderDirection
}

// DealOrderField is what deals are ordered by, spelt as the column.
type DealOrderField string

// Orders of deals.
const (
	OrderByCreatedAt         DealOrderField = "created_at"
	OrderByUpdatedAt         DealOrderField = "updated_at"
	OrderByValue             DealOrderField = "value"
	OrderByExpectedCloseDate DealOrderField = "expected_close_date"
)

// OrderDirection is ascending or descending.
type OrderDirection string

// Directions of an order.
const (
	Ascending  OrderDirection = "asc"
	Descending OrderDirection = "desc"
)

// DealConnection is a page of deals (the schema's DealConnection).
type DealConnection struct {
	Edges    []DealEdge
	PageInfo *page.Info
	// TotalCount is counted only when the query asks for it.
	TotalCount int
}

// DealEdge is a deal of a page with its cursor.
type DealEdge struct {
	Cursor string
	Node   Deal
}

// add appends a deal to the page.
func (c *DealConnection) add(cursor string, d store.Deal) {
	c.Edges = append(c.Edges, DealEdge{Cursor: cursor, Node: dealOf(d)})
}

// done sets the page's pageInfo once its edges are in.
func (c *DealConnection) done(hasNext bool, after *string) {
	cursors := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		cursors[i] = e.Cursor
	}
	if c.Edges == nil {
		c.Edges = []DealEdge{}
	}
	c.PageInfo = page.NewInfo(cursors, hasNext, after)
}

// DealIDs are the ids of the page's deals.
func (c DealConnection) DealIDs() []string {
	ids := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		ids[i] = e.Node.ID
	}
	return ids
}

// ListDeals returns a page of the caller's organisation's deals, newest
// first unless ordered otherwise, with the number of all that match the
// filter if withTotal.
func (s *Service) ListDeals(ctx context.Context, f *DealFilter, o *DealOrder, first *int, after *string, withTotal bool) (DealConnection, error) {
	size, err := page.Size(first)
	if err != nil {
		return DealConnection{}, err
	}
	if o == nil {
		o = &DealOrder{Field: OrderByCreatedAt, Direction: Descending}
	}
	p, err := listParams(f)
	if err != nil {
		return DealConnection{}, err
	}
	p.Sort, p.Descending, p.MaxRows, p.WithTotal = string(o.Field), o.Direction == Descending, size+1, withTotal
	var sort, afterID string
	if ok, err := page.Decode(after, &sort, &p.AfterKey, &afterID); err != nil {
		return DealConnection{}, err
	} else if ok {
		if sort != p.Sort {
			return DealConnection{}, apperr.Field("after", "the cursor belongs to another order")
		}
		p.AfterID = &afterID
	}
	var c DealConnection
	err = s.store().Read(ctx, auth.ReadCRM, func(q *store.Queries) error {
		rows, err := q.ListDeals(ctx, p)
		if err != nil {
			return err
		}
		if len(rows) == 0 && p.AfterID != nil && withTotal {
			// Past the last page: the total comes with the first.
			first := p
			first.AfterID, first.MaxRows = nil, 1
			if rows, err = q.ListDeals(ctx, first); err != nil || len(rows) == 0 {
				return err
			}
			c.TotalCount, rows = rows[0].Total, nil
		}
		rows, hasNext := page.Trim(rows, size)
		for _, r := range rows {
			c.add(page.Cursor(p.Sort, r.SortKey, r.Deal.ID), r.Deal)
			c.TotalCount = r.Total
		}
		c.done(hasNext, after)
		return nil
	})
	return c, err
}

func listParams(f *DealFilter) (store.ListDealsParams, error) {
	if f == nil {
		f = &DealFilter{}
	}
	p := store.ListDealsParams{Status: (*string)(f.Status), CloseFrom: f.ExpectedCloseFrom, CloseTo: f.ExpectedCloseTo}
	var err error
	for _, c := range []struct {
		field string
		in    *string
		out   **string
	}{
		{"filter.pipelineId", f.PipelineID, &p.PipelineID}, {"filter.stageId", f.StageID, &p.StageID},
		{"filter.ownerId", f.OwnerID, &p.OwnerID}, {"filter.companyId", f.CompanyID, &p.CompanyID},
		{"filter.contactId", f.ContactID, &p.ContactID},
	} {
		if *c.out, err = optionalID(c.field, c.in); err != nil {
			return p, err
		}
	}
	p.MinValue, p.MaxValue, p.ExternalID = f.MinValue, f.MaxValue, f.ExternalID
	if f.Search != nil {
		term := strings.ToLower(strings.TrimSpace(*f.Search))
		term = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(term)
		p.Search = &term
	}
	return p, nil
}

// ParentKind is what deals are listed for in other subgraphs' entities,
// spelt as DealsOf's @kind.
type ParentKind string

// Parents of deals contributed to other subgraphs' entities.
const (
	ByCompany ParentKind = "company"
	ByContact ParentKind = "contact"
	ByOwner   ParentKind = "owner"
)

// DealsOf returns a page of the deals of each parent (companies, contacts
// or owners), newest first, all in one statement; every parent has a page,
// empty if it has no deals.
func (s *Service) DealsOf(ctx context.Context, kind ParentKind, parentIDs []string, size int, after *string) (map[string]DealConnection, error) {
	var afterCreated time.Time
	var afterID string
	ok, err := page.Decode(after, &afterCreated, &afterID)
	if err != nil {
		return nil, err
	}
	p := store.DealsOfParams{Kind: string(kind), ParentIds: parentIDs, AfterCreated: afterCreated, MaxRows: size + 1}
	if ok {
		p.AfterID = &afterID
	}
	rows, err := tenancy.Get(ctx, s.store(), auth.ReadCRM, func(q *store.Queries) ([]store.DealsOfRow, error) {
		return q.DealsOf(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	pages := make(map[string]*DealConnection, len(parentIDs))
	for _, id := range parentIDs {
		pages[id] = &DealConnection{}
	}
	hasNext := map[string]bool{}
	for _, r := range rows {
		c := pages[r.ParentID]
		if c == nil {
			continue
		}
		c.TotalCount = r.Total
		if len(c.Edges) == size {
			hasNext[r.ParentID] = true
			continue
		}
		c.add(page.Cursor(r.Deal.CreatedAt, r.Deal.ID), r.Deal)
	}
	out := make(map[string]DealConnection, len(pages))
	for id, c := range pages {
		c.done(hasNext[id], after)
		out[id] = *c
	}
	return out, nil
}
