package gateway

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/wundergraph/graphql-go-tools/execution/graphql"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/ast"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/astnormalization"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/astparser"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/astvalidation"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/graphqlerrors"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/variablesvalidation"
)

// operation is what the gateway learns about an operation before running
// it: its kind, the root fields it selects and its size.
type operation struct {
	name string // as the document names it
	kind ast.OperationType
	// rootFields are "Type.field" of every root field selected.
	rootFields    []string
	depth         int // most fields nested on one path, introspection aside
	nodes         int // fields with a selection set (object fields)
	fields        int // all fields
	aliases       int
	introspection bool // selects __schema or __type somewhere
	// cost is the operation's object fields sized by the cost model, to be
	// counted with each request's variables (costNode).
	cost          []costNode
	costVariables bool // the cost depends on variables
}

// analyzer measures operations, remembering those it measured: what it
// learns depends on the document and the operation name only (the
// normalizer never decides structure from variable values), and valid
// operations repeat.
//
// Each request's operation is parsed, normalized and validated once: an
// operation the analyzer knows is left to the engine, which does that work
// itself; one it does not know is prepared here (the engine's own
// normalization, validation, variable extraction) and handed to the engine
// as it is: the engine then skips its normalization and finds the
// validation's result in the request (graphql.Request remembers it per
// schema).
type analyzer struct {
	schema *graphql.Schema
	limits Limits
	known  *lru.Cache[[sha256.Size]byte, operation]
}

func newAnalyzer(schema *graphql.Schema, limits Limits) *analyzer {
	known, _ := lru.New[[sha256.Size]byte, operation](4096) // only fails for a size <= 0
	return &analyzer{schema: schema, limits: limits, known: known}
}

// analyze returns what the gateway needs to know of req's operation and
// the request the engine is to run, or why it is refused.
func (a *analyzer) analyze(req *gqlRequest) (operation, *graphql.Request, *refusal) {
	run := &graphql.Request{Query: req.Query, OperationName: req.OperationName, Variables: req.Variables}
	key := sha256.Sum256([]byte(req.OperationName + "\x00" + req.Query))
	if op, ok := a.known.Get(key); ok {
		return op, run, nil
	}
	op, r := analyze(a.schema, run, a.limits)
	if r == nil {
		a.known.Add(key, op)
	}
	return op, run, r
}

// analyze parses run, refuses it when its fragments expand to more than
// limits.MaxFields fields (before expanding them: a fragment bomb), then
// normalizes and validates it as the engine's Execute would (fragments
// inlined, so they cannot hide depth), measures it, then
// extracts its inline arguments into variables, the engine's last step
// before planning. The engine skips the variable renaming it does for a
// request it normalized itself: plans are then shared only between requests
// that name their variables alike, which costs a plan, not a validation.
func analyze(schema *graphql.Schema, run *graphql.Request, limits Limits) (operation, *refusal) {
	if _, err := run.OperationType(); err != nil { // parses once
		return operation{}, graphqlRefusal(codeParse, err)
	}
	if n := expandedFields(run.Document(), limits.MaxFields); n > limits.MaxFields {
		return operation{}, refuse(http.StatusBadRequest, codeComplexity, fmt.Sprintf(
			"the operation selects more than %d fields once its fragments are expanded, over the limit: spread fragments fewer times", limits.MaxFields))
	}
	res, err := run.Normalize(schema,
		astnormalization.WithRemoveFragmentDefinitions(),
		astnormalization.WithRemoveUnusedVariables(),
		astnormalization.WithInlineFragmentSpreads(),
		astnormalization.WithEnableDefer(),
		astnormalization.WithPrevalidationRules(
			astvalidation.DeferStreamOnValidOperations(),
			astvalidation.DeferStreamHaveUniqueLabels(),
			astvalidation.DirectivesAreInValidLocations(),
			astvalidation.StreamAppliedToListFieldsOnly()),
	)
	if err == nil && !res.Successful {
		err = res.Errors
	}
	if err != nil {
		if bad := badVariable(schema, run.Query, run.Variables); bad != nil {
			err = bad
		}
		return operation{}, graphqlRefusal(codeValidation, err)
	}
	if v, err := run.ValidateForSchema(schema); err != nil || !v.Valid {
		if err == nil {
			err = v.Errors
		}
		return operation{}, graphqlRefusal(codeValidation, err)
	}

	doc := run.Document()
	opRef, r := selectedOperation(doc, run.OperationName)
	if r != nil {
		return operation{}, r
	}
	def := doc.OperationDefinitions[opRef]
	op := operation{name: doc.OperationDefinitionNameString(opRef), kind: def.OperationType}
	rootType := map[ast.OperationType]string{
		ast.OperationTypeQuery:        schema.QueryTypeName(),
		ast.OperationTypeMutation:     schema.MutationTypeName(),
		ast.OperationTypeSubscription: schema.SubscriptionTypeName(),
	}[def.OperationType]
	m := measurer{doc: doc, stop: limits.MaxDepth + 1, op: &op, cost: coster{
		schema: schema.Document(), doc: doc, opRef: opRef,
		listSizes: limits.ListSizes, defaultList: limits.DefaultListSize,
	}}
	m.rootFields(def.SelectionSet, rootType)
	op.depth = m.selectionSet(def.SelectionSet, 1, rootType, &op.cost)
	op.costVariables = usesVariables(op.cost)

	res, err = run.Normalize(schema, astnormalization.WithExtractVariables())
	if err == nil && !res.Successful {
		err = res.Errors
	}
	if err != nil {
		return operation{}, graphqlRefusal(codeValidation, err)
	}
	return op, nil
}

// selectedOperation returns the operation the request runs: the one named
// by operationName, or the document's only one.
func selectedOperation(doc *ast.Document, name string) (int, *refusal) {
	ref := -1
	for _, n := range doc.RootNodes {
		if n.Kind != ast.NodeKindOperationDefinition {
			continue
		}
		if name != "" && doc.OperationDefinitionNameString(n.Ref) != name {
			continue
		}
		if ref != -1 {
			return -1, &refusal{http.StatusBadRequest, codeValidation, []string{"the document has several operations: name one in operationName"}}
		}
		ref = n.Ref
	}
	if ref == -1 {
		return -1, &refusal{http.StatusBadRequest, codeValidation, []string{fmt.Sprintf("the document has no operation %q", name)}}
	}
	return ref, nil
}

// measurer walks a normalized operation, counting its fields and sizing
// its object fields for the cost model in one walk. It stops descending
// below stop levels: an operation that deep is refused anyway, and a
// malicious one could nest very deep.
type measurer struct {
	doc  *ast.Document
	stop int
	op   *operation
	cost coster
}

// rootFields records the root fields of a selection set (inline fragments
// on the root type included).
func (m *measurer) rootFields(set int, rootType string) {
	for _, ref := range m.doc.SelectionSets[set].SelectionRefs {
		sel := m.doc.Selections[ref]
		switch sel.Kind {
		case ast.SelectionKindField:
			m.op.rootFields = append(m.op.rootFields, rootType+"."+m.doc.FieldNameString(sel.Ref))
		case ast.SelectionKindInlineFragment:
			if f := m.doc.InlineFragments[sel.Ref]; f.HasSelections {
				m.rootFields(f.SelectionSet, rootType)
			}
		}
	}
}

// selectionSet counts the fields under set, which is at the given depth
// and selects from type parent, appends its object fields to cost, and
// returns the depth of its deepest field.
func (m *measurer) selectionSet(set, depth int, parent string, cost *[]costNode) int {
	deepest := 0
	if depth > m.stop {
		return depth
	}
	for _, ref := range m.doc.SelectionSets[set].SelectionRefs {
		sel := m.doc.Selections[ref]
		switch sel.Kind {
		case ast.SelectionKindField:
			deepest = max(deepest, m.field(sel.Ref, depth, parent, cost))
		case ast.SelectionKindInlineFragment:
			if f := m.doc.InlineFragments[sel.Ref]; f.HasSelections {
				on := parent
				if m.doc.InlineFragmentHasTypeCondition(sel.Ref) {
					on = m.doc.InlineFragmentTypeConditionNameString(sel.Ref)
				}
				deepest = max(deepest, m.selectionSet(f.SelectionSet, depth, on, cost))
			}
		}
	}
	return deepest
}

func (m *measurer) field(ref, depth int, parent string, cost *[]costNode) int {
	if name := m.doc.FieldNameString(ref); name == "__schema" || name == "__type" {
		// Introspection is allowed or refused as a whole; its nesting is
		// the schema's, not the caller's, so it is not measured.
		m.op.introspection = true
		return 0
	}
	f := m.doc.Fields[ref]
	m.op.fields++
	if f.Alias.IsDefined {
		m.op.aliases++
	}
	if !f.HasSelections {
		return depth
	}
	m.op.nodes++
	def := m.cost.definition(parent, m.doc.FieldNameString(ref))
	node := costNode{size: m.cost.size(ref, def, parent)}
	m.cost.ancestors = append(m.cost.ancestors, fieldAt{ref, def})
	deepest := m.selectionSet(f.SelectionSet, depth+1, m.cost.fieldType(def), &node.children)
	m.cost.ancestors = m.cost.ancestors[:len(m.cost.ancestors)-1]
	*cost = append(*cost, node)
	return max(depth, deepest)
}

// graphqlRefusal turns a parse or validation error of the engine into a
// refusal that lists every message.
// badVariable names a variable of query whose value in variables does not
// fit its declared type, or is nil. Normalization reads variables before
// the engine validates them, and fails on some that do not fit (a string
// for an input object) with a JSON parser's error naming nothing; this
// tells the client which variable it got wrong. It parses query afresh, so
// it is for paths that already failed.
func badVariable(schema *graphql.Schema, query string, variables []byte) error {
	if len(variables) == 0 || variables[0] != '{' {
		return nil
	}
	doc, report := astparser.ParseGraphqlDocumentString(query)
	if report.HasErrors() {
		return nil
	}
	err := variablesvalidation.NewVariablesValidator(variablesvalidation.VariablesValidatorOptions{}).
		Validate(&doc, schema.Document(), variables)
	var bad *variablesvalidation.InvalidVariableError
	if errors.As(err, &bad) {
		return bad
	}
	return nil
}

func graphqlRefusal(code string, err error) *refusal {
	var msgs []string
	for _, e := range graphqlerrors.RequestErrorsFromError(err) {
		msgs = append(msgs, e.Message)
	}
	return &refusal{http.StatusBadRequest, code, msgs}
}
