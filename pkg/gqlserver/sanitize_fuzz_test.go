package gqlserver

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/opencrm/opencrm/pkg/customfields"
)

// fuzzSchema has the shapes the subgraphs' arguments take: ids, strings,
// lists, nested input objects and the JSON scalar.
var fuzzSchema = gqlparser.MustLoadSchema(&ast.Source{Name: "fuzz.graphqls", Input: `
scalar JSON
input Inner { name: String, tags: [String!], customFields: JSON }
input In { id: ID, inner: Inner, list: [Inner!], customFields: JSON }
type Query { f(input: In, s: String, ids: [ID!]): Int  g(q: String): Int }
`})

// FuzzSanitize feeds the sanitation walk any variables and any literal
// argument (inside a fragment, spread twice): it never panics, refuses only
// with BAD_USER_INPUT naming a field, and lets nothing through that holds
// a NUL character or invalid UTF-8, or JSON nested deeper than the limit.
func FuzzSanitize(f *testing.F) {
	for _, seed := range [][2]string{
		{`{}`, "ok"},
		{`{"s": "a\u0000b"}`, "ok"},
		{`{"in": {"id": "01J", "inner": {"name": "x", "tags": ["a", "b\u0000"]}}}`, ""},
		{`{"in": {"customFields": {"k\u0000": 1}}}`, "x"},
		{`{"in": {"list": [{"customFields": {"a": [[[[[[[[[[[1]]]]]]]]]]]}}]}}`, "x"},
		{`{"ids": ["a", "\ud800"]}`, "x"},
		{`{"ids": "single"}`, "\x00"},
		{`{"in": {"customFields": "{\"a\": \"\\u0000\"}"}}`, "\xff"},
	} {
		f.Add([]byte(seed[0]), seed[1])
	}
	f.Fuzz(func(t *testing.T, rawVars []byte, literal string) {
		lit, _ := json.Marshal(literal) // a JSON string is a GraphQL string literal
		var sent string                 // what it says (invalid UTF-8 became U+FFFD)
		_ = json.Unmarshal(lit, &sent)
		query := `query($in: In, $s: String, $ids: [ID!]) { f(input: $in, s: $s, ids: $ids) ...F ...F }
fragment F on Query { g(q: ` + string(lit) + `) }`
		doc, errs := gqlparser.LoadQueryWithRules(fuzzSchema, query, nil)
		if len(errs) > 0 {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(rawVars))
		dec.UseNumber()
		var raw map[string]any
		if dec.Decode(&raw) != nil {
			return
		}
		op := doc.Operations[0]
		vars, err := validator.VariableValues(fuzzSchema, op, raw)
		if err != nil {
			return // validation refuses it before the walk
		}
		oc := &graphql.OperationContext{Doc: doc, Operation: op, Variables: vars}
		if gerr := (Sanitize{Schema: fuzzSchema}).check(oc); gerr != nil {
			if gerr.Extensions["code"] != "BAD_USER_INPUT" || gerr.Extensions["field"] == "" || gerr.Message == "" {
				t.Fatalf("want BAD_USER_INPUT naming a field, got %+v", gerr)
			}
			return
		}
		if !clean(sent) {
			t.Fatalf("the literal %q went through", sent)
		}
		if bad := unclean(vars, 0); bad != "" {
			t.Fatalf("%s went through in %s", bad, rawVars)
		}
	})
}

func clean(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// unclean describes the first thing in v the walk should have refused, ""
// when there is none. Input objects nest two levels above a JSON value at
// most, so anything deeper than customfields.MaxDepth+2 is too deep.
func unclean(v any, depth int) string {
	if depth > customfields.MaxDepth+3 {
		return "a value too deep"
	}
	switch x := v.(type) {
	case string:
		if !clean(x) {
			return "the string " + string(mustJSON(x))
		}
	case map[string]any:
		for k, e := range x {
			if !clean(k) {
				return "the key " + string(mustJSON(k))
			}
			if bad := unclean(e, depth+1); bad != "" {
				return bad
			}
		}
	case []any:
		for _, e := range x {
			if bad := unclean(e, depth+1); bad != "" {
				return bad
			}
		}
	}
	return ""
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }
