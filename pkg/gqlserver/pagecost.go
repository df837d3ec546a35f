package gqlserver

import (
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opencrm/opencrm/pkg/page"
)

// PageCost refuses operations that could return more than Max objects,
// counting each list field with a `first` argument as `first` times its
// selection (page.DefaultSize when `first` is not given): nested pages
// multiply, so `companies(first: 100) { contacts(first: 100) { deals(first:
// 100) { id } } }` costs a million, however few rows exist today.
type PageCost struct{ Max int }

// check refuses an operation that could return too many objects.
func (p PageCost) check(oc *graphql.OperationContext) *gqlerror.Error {
	if p.Max <= 0 || oc.Operation == nil {
		return nil
	}
	if cost := selectionCost(oc.Operation.SelectionSet, oc.Variables, p.Max+1); cost > p.Max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("the query could return up to %d objects, over the limit of %d: ask for smaller pages (first) or fewer nested lists", cost, p.Max),
			Extensions: map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED", "limit": p.Max, "cost": cost},
		}
	}
	return nil
}

// selectionCost counts the objects a selection could return, stopping at
// stop (so a huge query costs little to measure).
func selectionCost(set ast.SelectionSet, vars map[string]any, stop int) int {
	total := 0
	for _, sel := range set {
		var c int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			c = 1
			if len(s.SelectionSet) > 0 {
				n := pageSize(s, vars)
				c += n * selectionCost(s.SelectionSet, vars, stop/max(n, 1)+1)
			}
		case *ast.InlineFragment:
			c = selectionCost(s.SelectionSet, vars, stop)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				c = selectionCost(s.Definition.SelectionSet, vars, stop)
			}
		}
		total += c
		if total > stop {
			return total
		}
	}
	return total
}

// pageSize is how many items a field's `first` asks for: its value, the
// default page size when the argument exists but is not given, 1 for a
// field without one.
func pageSize(f *ast.Field, vars map[string]any) int {
	if f.Definition == nil || f.Definition.Arguments.ForName("first") == nil {
		return 1
	}
	if v, ok := f.ArgumentMap(vars)["first"].(int64); ok && v > 0 {
		return int(v)
	}
	if v, ok := f.ArgumentMap(vars)["first"].(int); ok && v > 0 {
		return v
	}
	return page.DefaultSize
}
