package gqlserver

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/customfields"
)

// Sanitize is the one input sanitation step of every subgraph: before any
// resolver runs it walks the operation's arguments (literal and from
// variables, by their declared types) and refuses, with a BAD_USER_INPUT
// naming the argument path (`input.subdomain`, `filter.search`, `ids.2`),
// any string PostgreSQL cannot store (a NUL character, U+0000, or invalid
// UTF-8) and any value of the JSON scalar that customfields.Check refuses
// (nested deeper than customfields.MaxDepth, NUL in a key or string).
// Variables no argument uses (a directive's) are walked as well, named
// `$name`.
type Sanitize struct{ Schema *ast.Schema }

// Extension returns the check as a gqlgen handler extension.
func (s Sanitize) Extension() graphql.HandlerExtension { return asExtension("Sanitize", s) }

// check refuses an operation carrying input PostgreSQL cannot store.
func (s Sanitize) check(oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	w := walker{schema: s.Schema, vars: oc.Variables, seen: map[string]bool{}, doc: oc.Doc}
	if err := w.selections(oc.Operation.SelectionSet); err != nil {
		return err
	}
	names := make([]string, 0, len(oc.Operation.VariableDefinitions))
	types := map[string]*ast.Type{}
	for _, d := range oc.Operation.VariableDefinitions {
		names = append(names, d.Variable)
		types[d.Variable] = d.Type
	}
	sort.Strings(names)
	for _, n := range names {
		if err := w.value("$"+n, types[n], oc.Variables[n]); err != nil {
			return err
		}
	}
	return nil
}

// walker visits each argument once: a fragment spread many times over is
// walked once (its arguments do not change between spreads).
type walker struct {
	schema *ast.Schema
	doc    *ast.QueryDocument
	vars   map[string]any
	seen   map[string]bool
}

func (w walker) selections(set ast.SelectionSet) *gqlerror.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			for _, arg := range s.Arguments {
				var typ *ast.Type
				if s.Definition != nil {
					if d := s.Definition.Arguments.ForName(arg.Name); d != nil {
						typ = d.Type
					}
				}
				v, err := arg.Value.Value(w.vars)
				if err != nil {
					continue // validation has refused it already
				}
				if err := w.value(arg.Name, typ, v); err != nil {
					return err
				}
			}
			if err := w.selections(s.SelectionSet); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := w.selections(s.SelectionSet); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if w.seen[s.Name] {
				continue
			}
			w.seen[s.Name] = true
			def := s.Definition
			if def == nil && w.doc != nil {
				def = w.doc.Fragments.ForName(s.Name)
			}
			if def != nil {
				if err := w.selections(def.SelectionSet); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// value checks v, the value at path of the GraphQL type typ (nil when
// unknown: then every string in it is checked).
func (w walker) value(path string, typ *ast.Type, v any) *gqlerror.Error {
	if v == nil {
		return nil
	}
	if typ != nil && typ.Elem != nil {
		list, ok := v.([]any)
		if !ok { // a single value coerced to a list of one
			return w.value(path, typ.Elem, v)
		}
		for i, e := range list {
			if err := w.value(path+"."+strconv.Itoa(i), typ.Elem, e); err != nil {
				return err
			}
		}
		return nil
	}
	var def *ast.Definition
	if typ != nil && w.schema != nil {
		def = w.schema.Types[typ.NamedType]
	}
	if def != nil && def.Kind == ast.Scalar && def.Name == "JSON" {
		if err := customfields.Check(path, v); err != nil {
			return refusal(err)
		}
		return nil
	}
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) || strings.ContainsRune(x, 0) {
			return badInput(path, fmt.Sprintf("%s may not contain NUL characters (U+0000) or invalid UTF-8", path))
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var ft *ast.Type
			if def != nil {
				if f := def.Fields.ForName(k); f != nil {
					ft = f.Type
				}
			}
			if err := w.value(path+"."+k, ft, x[k]); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := w.value(path+"."+strconv.Itoa(i), nil, e); err != nil {
				return err
			}
		}
	}
	return nil
}

func badInput(field, message string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    message,
		Extensions: map[string]any{"code": string(apperr.BadUserInput), "field": field},
	}
}

// refusal is a coded error of customfields.Check as an operation error.
func refusal(err error) *gqlerror.Error {
	e, _ := apperr.As(err)
	if e == nil {
		return badInput("", err.Error())
	}
	return badInput(e.Field, e.Message)
}
