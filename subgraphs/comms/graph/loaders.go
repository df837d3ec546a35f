package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/loader"
	"github.com/opencrm/opencrm/subgraphs/comms"
	"github.com/opencrm/opencrm/subgraphs/comms/graph/model"
)

// NewSchema returns the subgraph's executable schema; every operation gets
// its own loaders, so nothing is cached across requests or callers.
func NewSchema(svc *comms.Service) graphql.ExecutableSchema {
	es := NewExecutableSchema(Config{Resolvers: &Resolver{Service: svc}})
	return gqlserver.WithPerOperation(es, func() *loaders { return newLoaders(svc) })
}

// pageArgs are what the lists of one batch share: the page size, the
// cursor and, for assigned tasks, the status.
type pageArgs struct {
	first  int
	after  string
	status comms.TaskStatus
}

// loaders batch the per-record lists of one operation, a loader per kind of
// parent, so that the ids an _entities batch expects are of that kind.
type loaders struct {
	timelines map[comms.Parent]*loader.Loader[pageArgs, comms.Page[comms.Activity]]
	tasks     map[comms.Parent]*loader.Loader[pageArgs, comms.Page[comms.Task]]
}

func newLoaders(svc *comms.Service) *loaders {
	l := &loaders{
		timelines: map[comms.Parent]*loader.Loader[pageArgs, comms.Page[comms.Activity]]{},
		tasks:     map[comms.Parent]*loader.Loader[pageArgs, comms.Page[comms.Task]]{},
	}
	for _, p := range []comms.Parent{comms.ParentContact, comms.ParentCompany, comms.ParentDeal, comms.ParentAssignee} {
		l.tasks[p] = loader.New(func(ctx context.Context, g pageArgs, ids []string) (map[string]comms.Page[comms.Task], error) {
			var status *comms.TaskStatus
			if g.status != "" {
				status = &g.status
			}
			return svc.TasksOf(ctx, p, ids, status, &g.first, &g.after)
		})
		if p != comms.ParentAssignee {
			l.timelines[p] = loader.New(func(ctx context.Context, g pageArgs, ids []string) (map[string]comms.Page[comms.Activity], error) {
				return svc.Timelines(ctx, p, ids, &g.first, &g.after)
			})
		}
	}
	return l
}

// loadersOf returns the operation's loaders (NewSchema puts them there).
func loadersOf(ctx context.Context) *loaders { return gqlserver.OperationValue[*loaders](ctx) }

// expect registers the records of an _entities batch: the first batch of
// their lists fetches the lists of all of them, so a batch cut short by the
// loader's wait costs no extra statement.
func expect(ctx context.Context, parent comms.Parent, ids []string) {
	l := loadersOf(ctx)
	if t, ok := l.timelines[parent]; ok {
		t.Expect(ids...)
	}
	l.tasks[parent].Expect(ids...)
}

// args are a list field's arguments as a loader group; the page size is
// checked by the service, so an absent first takes the default here.
func args(first *int, after *string, status *comms.TaskStatus) pageArgs {
	g := pageArgs{first: 20}
	if first != nil {
		g.first = *first
	}
	if after != nil {
		g.after = *after
	}
	if status != nil {
		g.status = *status
	}
	return g
}

// timeline is a contact's, company's or deal's timeline, through the
// operation's loader.
func timeline(ctx context.Context, parent comms.Parent, id string, first *int, after *string) (*model.ActivityConnection, error) {
	p, err := loadersOf(ctx).timelines[parent].Load(ctx, args(first, after, nil), id)
	if err != nil {
		return nil, err
	}
	return activityConnection(p, after), nil
}

// tasks are the tasks of a contact, company, deal or assignee, through the
// operation's loader.
func tasks(ctx context.Context, parent comms.Parent, id string, first *int, after *string, status *comms.TaskStatus) (*model.TaskConnection, error) {
	p, err := loadersOf(ctx).tasks[parent].Load(ctx, args(first, after, status), id)
	if err != nil {
		return nil, err
	}
	return taskConnection(p, after), nil
}
