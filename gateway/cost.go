package gateway

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/wundergraph/graphql-go-tools/v2/pkg/ast"

	"github.com/opencrm/opencrm/pkg/page"
)

// This file holds the gateway's two bounds on an operation's size that the
// normalized document alone cannot give:
//
//   - expandedFields counts the fields an operation selects once its
//     fragments are expanded, on the document as parsed, before the
//     normalizer expands them: a 400-byte document whose fragments each
//     spread the previous one ten times selects millions of fields, and
//     expanding them takes seconds. Each fragment is counted once
//     (memoised), so the count costs the size of the document.
//   - costNode is the cost model of the whole federated operation: the
//     objects it could return, list fields multiplied by their sizes
//     (Limits.MaxObjects), whichever subgraphs serve them.

// saturating arithmetic: counts stop growing at math.MaxInt32, far above any
// limit, so a malicious document cannot overflow them.
func satAdd(a, b int) int { return min(a+b, math.MaxInt32) }

func satMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt32/b {
		return math.MaxInt32
	}
	return a * b
}

// expandedFields counts the fields every operation of doc selects, each
// fragment spread counted as the fields of its fragment (expanded too),
// and stops counting above stop. A fragment that spreads itself, directly
// or not, counts as empty: validation refuses it afterwards.
func expandedFields(doc *ast.Document, stop int) int {
	e := expander{doc: doc, memo: map[string]int{}, fragments: map[string]int{}}
	for i := range doc.FragmentDefinitions {
		name := doc.FragmentDefinitionNameString(i)
		if _, dup := e.fragments[name]; !dup {
			e.fragments[name] = i
		}
	}
	total := 0
	for _, n := range doc.RootNodes {
		if n.Kind != ast.NodeKindOperationDefinition {
			continue
		}
		if def := doc.OperationDefinitions[n.Ref]; def.HasSelections {
			total = satAdd(total, e.selectionSet(def.SelectionSet))
		}
		if total > stop {
			break
		}
	}
	return total
}

type expander struct {
	doc       *ast.Document
	fragments map[string]int // name -> fragment definition
	memo      map[string]int // name -> expanded field count; -1 while counting it
}

func (e *expander) selectionSet(set int) int {
	n := 0
	for _, ref := range e.doc.SelectionSets[set].SelectionRefs {
		sel := e.doc.Selections[ref]
		switch sel.Kind {
		case ast.SelectionKindField:
			n = satAdd(n, 1)
			if f := e.doc.Fields[sel.Ref]; f.HasSelections {
				n = satAdd(n, e.selectionSet(f.SelectionSet))
			}
		case ast.SelectionKindInlineFragment:
			if f := e.doc.InlineFragments[sel.Ref]; f.HasSelections {
				n = satAdd(n, e.selectionSet(f.SelectionSet))
			}
		case ast.SelectionKindFragmentSpread:
			n = satAdd(n, e.fragment(e.doc.FragmentSpreadNameString(sel.Ref)))
		}
	}
	return n
}

func (e *expander) fragment(name string) int {
	if n, ok := e.memo[name]; ok {
		return max(n, 0) // -1: a cycle
	}
	ref, ok := e.fragments[name]
	if !ok || !e.doc.FragmentDefinitions[ref].HasSelections {
		return 0
	}
	e.memo[name] = -1
	n := e.selectionSet(e.doc.FragmentDefinitions[ref].SelectionSet)
	e.memo[name] = n
	return n
}

// ListSize says how long the cost model takes a list field to be when its
// own arguments do not say (see Limits.ListSizes).
type ListSize struct {
	// Argument names an argument of the field or of the nearest field above
	// it that declares one by that name (pipelineView's dealsPerStage sizes
	// each stage's deals); when not given, its default in the schema.
	Argument string
	// Size is the length when there is no such argument.
	Size int
}

// DefaultListSizes are the lists of the CRM's schema whose size an
// argument above them sets.
var DefaultListSizes = map[string]ListSize{
	"PipelineStage.deals": {Argument: "dealsPerStage"},
}

// costNode is an object field of an operation as the cost model sees it:
// how many objects it stands for (its list size, 1 for a single object)
// and the object fields under each of them. Leaves cost nothing.
type costNode struct {
	size     listSize
	children []costNode
}

// listSize is a list's length: n, unless the operation's variable sets it.
type listSize struct {
	n        int
	variable string // the variable that sets the size, if any
}

// cost counts the objects nodes could return with the request's variables,
// stopping at stop (a huge operation costs little to measure).
func cost(nodes []costNode, vars map[string]any, stop int) int {
	total := 0
	for _, c := range nodes {
		n := c.size.n
		if v, ok := vars[c.size.variable].(float64); ok && v > 0 {
			n = int(min(v, math.MaxInt32))
		}
		total = satAdd(total, satMul(n, satAdd(1, cost(c.children, vars, stop/max(n, 1)+1))))
		if total > stop {
			return total
		}
	}
	return total
}

// usesVariables says whether the cost of nodes depends on variables.
func usesVariables(nodes []costNode) bool {
	for _, c := range nodes {
		if c.size.variable != "" || usesVariables(c.children) {
			return true
		}
	}
	return false
}

// requestVariables decodes a request's variables for the cost model; they
// were checked to be a JSON object or nothing.
func requestVariables(raw json.RawMessage) map[string]any {
	var vars map[string]any
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &vars)
	}
	return vars
}

// coster sizes the object fields of a normalized operation from the
// schema: a field with a `first` argument is `first` long (a variable's
// value, or the argument's default, page.DefaultSize without one); a list
// named in listSizes is as long as the argument or size given there; the
// edges of a connection are as long as the connection (already counted);
// any other list is defaultList long; an object is one.
type coster struct {
	schema      *ast.Document
	doc         *ast.Document
	opRef       int
	listSizes   map[string]ListSize
	defaultList int
	// ancestors are the fields above the current one: operation field and
	// its schema definition (-1 when unknown).
	ancestors []fieldAt
}

type fieldAt struct{ ref, def int }

// definition is the schema definition of field name on type parent, -1
// when the schema has none (__typename, an unknown type).
func (c *coster) definition(parent, name string) int {
	if c.schema == nil {
		return -1
	}
	node, ok := c.schema.Index.FirstNodeByNameStr(parent)
	if !ok {
		return -1
	}
	def, ok := c.schema.NodeFieldDefinitionByName(node, []byte(name))
	if !ok {
		return -1
	}
	return def
}

// fieldType is the name of the type a field definition returns.
func (c *coster) fieldType(def int) string {
	if def < 0 {
		return ""
	}
	return c.schema.ResolveTypeNameString(c.schema.FieldDefinitionType(def))
}

// size is how many objects field ref (defined by def on parent) stands for.
func (c *coster) size(ref, def int, parent string) listSize {
	if def < 0 {
		return listSize{n: 1}
	}
	name := c.doc.FieldNameString(ref)
	if ls, ok := c.listSizes[parent+"."+name]; ok {
		if ls.Argument != "" {
			if s, ok := c.argument(fieldAt{ref, def}, ls.Argument); ok {
				return s
			}
			for i := len(c.ancestors) - 1; i >= 0; i-- {
				if s, ok := c.argument(c.ancestors[i], ls.Argument); ok {
					return s
				}
			}
		}
		return listSize{n: max(ls.Size, 1)}
	}
	if s, ok := c.argument(fieldAt{ref, def}, "first"); ok {
		return s
	}
	if !c.schema.TypeIsList(c.schema.FieldDefinitionType(def)) {
		return listSize{n: 1}
	}
	if strings.HasSuffix(parent, "Connection") {
		return listSize{n: 1} // edges, nodes: the connection counted them
	}
	return listSize{n: c.defaultList}
}

// argument is the size argument arg of field at sets, when its definition
// has such an argument: its literal value, the variable that sets it, or
// its default in the schema (page.DefaultSize when it has none).
func (c *coster) argument(at fieldAt, arg string) (listSize, bool) {
	if at.def < 0 {
		return listSize{}, false
	}
	argDef := -1
	for _, a := range c.schema.FieldDefinitionArgumentsDefinitions(at.def) {
		if c.schema.InputValueDefinitionNameString(a) == arg {
			argDef = a
		}
	}
	if argDef < 0 {
		return listSize{}, false
	}
	def := page.DefaultSize
	if c.schema.InputValueDefinitionHasDefaultValue(argDef) {
		if v := c.schema.InputValueDefinitionDefaultValue(argDef); v.Kind == ast.ValueKindInteger {
			def = int(c.schema.IntValueAsInt(v.Ref))
		}
	}
	s := listSize{n: max(def, 1)}
	ref, ok := c.doc.FieldArgument(at.ref, []byte(arg))
	if !ok {
		return s, true
	}
	switch v := c.doc.ArgumentValue(ref); v.Kind {
	case ast.ValueKindInteger:
		if n := c.doc.IntValueAsInt(v.Ref); n > 0 {
			s.n = int(min(n, math.MaxInt32))
		}
	case ast.ValueKindVariable:
		s.variable = c.doc.VariableValueNameString(v.Ref)
		if vd, ok := c.doc.VariableDefinitionByNameAndOperation(c.opRef, []byte(s.variable)); ok && c.doc.VariableDefinitionHasDefaultValue(vd) {
			if dv := c.doc.VariableDefinitionDefaultValue(vd); dv.Kind == ast.ValueKindInteger {
				if n := c.doc.IntValueAsInt(dv.Ref); n > 0 {
					s.n = int(min(n, math.MaxInt32))
				}
			}
		}
	}
	return s, true
}
