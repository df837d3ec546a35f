package gqlserver

import (
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// DepthLimit refuses operations whose selections nest deeper than Max.
// Introspection fields (__schema, __type) are not counted, so a playground
// can still read the schema.
type DepthLimit struct{ Max int }

// check refuses an operation nested too deep.
func (d DepthLimit) check(oc *graphql.OperationContext) *gqlerror.Error {
	if d.Max <= 0 || oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, d.Max+1); depth > d.Max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("the query is nested deeper than the limit of %d levels", d.Max),
			Extensions: map[string]any{"code": "DEPTH_LIMIT_EXCEEDED", "limit": d.Max},
		}
	}
	return nil
}

// selectionDepth is the depth of the deepest field under set, counting at
// most stop levels (so even a huge query costs little to measure).
func selectionDepth(set ast.SelectionSet, stop int) int {
	if stop <= 0 {
		return 0
	}
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = 1 + selectionDepth(s.SelectionSet, stop-1)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, stop)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = selectionDepth(s.Definition.SelectionSet, stop)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
