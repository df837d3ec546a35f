// Package graph is the comms subgraph's GraphQL layer: the schema is bound
// to the comms domain types (schema/comms/gqlgen.yml), resolvers parse
// arguments and call the comms service, and per-record lists (timelines,
// tasks) go through per-operation loaders (loaders.go). Generated files
// (generated.go, federation.go, model/) are gqlgen's.
package graph

import (
	"context"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/subgraphs/comms"
	"github.com/opencrm/opencrm/subgraphs/comms/graph/model"
)

// Resolver holds the subgraph's dependencies.
type Resolver struct {
	Service *comms.Service
}

// edges are the edges and pageInfo of a page fetched after the cursor after.
func edges[T interface{ Cursor() string }, E any](p comms.Page[T], after *string, edge func(cursor string, item *T) E) ([]E, *page.Info) {
	out, cursors := make([]E, len(p.Items)), make([]string, len(p.Items))
	for i := range p.Items {
		cursors[i] = p.Items[i].Cursor()
		out[i] = edge(cursors[i], &p.Items[i])
	}
	return out, page.NewInfo(cursors, p.HasNext, after)
}

func activityConnection(p comms.Page[comms.Activity], after *string) *model.ActivityConnection {
	c := &model.ActivityConnection{TotalCount: p.Total}
	c.Edges, c.PageInfo = edges(p, after, func(cursor string, a *comms.Activity) *model.ActivityEdge {
		return &model.ActivityEdge{Cursor: cursor, Node: a}
	})
	return c
}

func taskConnection(p comms.Page[comms.Task], after *string) *model.TaskConnection {
	c := &model.TaskConnection{TotalCount: p.Total}
	c.Edges, c.PageInfo = edges(p, after, func(cursor string, t *comms.Task) *model.TaskEdge {
		return &model.TaskEdge{Cursor: cursor, Node: t}
	})
	return c
}

// one is what a mutation or a single-record query answers.
func one[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// orNull answers NOT_FOUND as null, for the single-record queries.
func orNull[T any](v T, err error) (*T, error) {
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil, nil
	}
	return one(v, err)
}

// ids are the ids of an _entities batch's representations.
func ids[R any](reps []R, id func(R) string) []string {
	out := make([]string, len(reps))
	for i, r := range reps {
		out[i] = id(r)
	}
	return out
}

// stubs answer other subgraphs' entities by id; the lists comms adds to
// them are expected by the operation's loaders, so that the first batch
// fetches them for every entity of the batch.
func stubs[E ~struct{ ID string }, R any](ctx context.Context, parent comms.Parent, reps []R, id func(R) string) []*E {
	ids := ids(reps, id)
	expect(ctx, parent, ids)
	out := make([]*E, len(ids))
	for i, id := range ids {
		out[i] = &E{ID: id}
	}
	return out
}
