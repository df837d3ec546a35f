package deal

import (
	"context"
	"strings"
	"time"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// DealFilter narrows a list of deals; nil fields do not.
type DealFilter struct {
	PipelineID, StageID, OwnerID, CompanyID, ContactID *string
	Status                                             *string // open, won, lost
	Search                                             *string
	MinValue, MaxValue                                 *float64
	CloseFrom, CloseTo                                 *time.Time
}

// DealOrder orders a list of deals: Field is created_at, updated_at, value
// or expected_close_date.
type DealOrder struct {
	Field      string
	Descending bool
}

// DealPage is a page of deals; Cursors are the cursor of each.
type DealPage struct {
	Deals   []Deal
	Cursors []string
	HasNext bool
	Total   int64
}

var orderFields = map[string]bool{"created_at": true, "updated_at": true, "value": true, "expected_close_date": true}

// ListDeals returns a page of the caller's organisation's deals.
func (s *Service) ListDeals(ctx context.Context, f DealFilter, o DealOrder, first *int, after *string) (DealPage, error) {
	size, err := page.Size(first)
	if err != nil {
		return DealPage{}, err
	}
	if o.Field == "" {
		o = DealOrder{Field: "created_at", Descending: true}
	}
	if !orderFields[o.Field] {
		return DealPage{}, apperr.Field("orderBy.field", "deals cannot be ordered by %q", o.Field)
	}
	p, err := listParams(f)
	if err != nil {
		return DealPage{}, err
	}
	p.Sort, p.Descending, p.MaxRows = o.Field, o.Descending, int32(size+1)
	var sort, afterID string
	if ok, err := page.Decode(after, &sort, &p.AfterKey, &afterID); err != nil {
		return DealPage{}, err
	} else if ok {
		if sort != o.Field {
			return DealPage{}, apperr.Field("after", "the cursor belongs to another order")
		}
		p.AfterID = &afterID
	}
	var res DealPage
	err = s.read(ctx, func(q *store.Queries) error {
		rows, err := q.ListDeals(ctx, p)
		if err != nil {
			return err
		}
		rows, res.HasNext = page.Trim(rows, size)
		for _, r := range rows {
			res.Deals = append(res.Deals, r.Deal)
			res.Cursors = append(res.Cursors, page.Cursor(o.Field, r.SortKey, r.Deal.ID))
		}
		res.Total, err = q.CountDeals(ctx, store.CountDealsParams{
			PipelineID: p.PipelineID, StageID: p.StageID, OwnerID: p.OwnerID, CompanyID: p.CompanyID,
			ContactID: p.ContactID, Status: p.Status, Search: p.Search, MinValue: p.MinValue,
			MaxValue: p.MaxValue, CloseFrom: p.CloseFrom, CloseTo: p.CloseTo,
		})
		return err
	})
	return res, err
}

func listParams(f DealFilter) (store.ListDealsParams, error) {
	p := store.ListDealsParams{Status: f.Status, MinValue: f.MinValue, MaxValue: f.MaxValue, CloseFrom: f.CloseFrom, CloseTo: f.CloseTo}
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
	if f.Search != nil {
		term := strings.ToLower(strings.TrimSpace(*f.Search))
		term = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(term)
		p.Search = &term
	}
	return p, nil
}

// Parent kinds of deals contributed to other subgraphs' entities.
const (
	ByCompany = "company"
	ByContact = "contact"
	ByOwner   = "owner"
)

// DealsOf returns a page of the deals of each parent (company, contact or
// owner), newest first, all in one statement.
func (s *Service) DealsOf(ctx context.Context, kind string, parentIDs []string, size int, after *string) (map[string]DealPage, error) {
	var afterCreated time.Time
	var afterID string
	ok, err := page.Decode(after, &afterCreated, &afterID)
	if err != nil {
		return nil, err
	}
	p := store.DealsByOwnersParams{ParentIds: parentIDs, AfterCreated: afterCreated, MaxRows: int64(size + 1)}
	if ok {
		p.AfterID = &afterID
	}
	var rows []store.DealsByOwnersRow
	err = s.read(ctx, func(q *store.Queries) error {
		switch kind {
		case ByOwner:
			rows, err = q.DealsByOwners(ctx, p)
		case ByCompany:
			var rs []store.DealsByCompaniesRow
			rs, err = q.DealsByCompanies(ctx, store.DealsByCompaniesParams(p))
			for _, r := range rs {
				rows = append(rows, store.DealsByOwnersRow(r))
			}
		default:
			var rs []store.DealsByContactsRow
			rs, err = q.DealsByContacts(ctx, store.DealsByContactsParams(p))
			for _, r := range rs {
				rows = append(rows, store.DealsByOwnersRow(r))
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]DealPage, len(parentIDs))
	for _, r := range rows {
		pg := out[r.ParentID]
		pg.Total = r.Total
		if len(pg.Deals) == size {
			pg.HasNext = true
		} else {
			pg.Deals = append(pg.Deals, r.Deal)
			pg.Cursors = append(pg.Cursors, page.Cursor(r.Deal.CreatedAt, r.Deal.ID))
		}
		out[r.ParentID] = pg
	}
	return out, nil
}
