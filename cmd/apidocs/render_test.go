package main

import (
	"strings"
	"testing"
)

const testSupergraph = `
schema @link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION) { query: Query mutation: Mutation }
directive @join__type(graph: join__Graph!, key: join__FieldSet) repeatable on OBJECT | SCALAR
scalar join__FieldSet
enum join__Graph { DEAL @join__graph(name: "deal", url: "http://deal.invalid") }
enum link__Purpose { SECURITY EXECUTION }

type Query @join__type(graph: DEAL) {
  """Deals, newest first."""
  deals(first: Int = 20, after: String): [Deal!]! @join__field(graph: DEAL)
  _service: String
  secret: String @inaccessible
}
type Mutation { closeDeal(id: ID!, input: CloseDealInput!): Deal! }

"""A deal."""
type Deal @join__type(graph: DEAL, key: "id") {
  id: ID!
  """The amount | in currency."""
  value: Decimal!
  activities(
    """Page size."""
    first: Int = 20
  ): [Deal!]!
  old: String @deprecated(reason: "Use value.")
}
input CloseDealInput { won: Boolean! reason: String = "none" }
enum Status { OPEN WON @deprecated }
"""An exact amount."""
scalar Decimal
union Result = Deal
`

func TestRenderDocumentsThePublicContractOnly(t *testing.T) {
	out, err := Render("test.graphql", testSupergraph)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(out)
	for _, want := range []string{
		"from test.graphql. DO NOT EDIT",
		"### Query.deals\n\nDeals, newest first.\n\nReturns [`[Deal!]!`](#deal).",
		"| `first` | `Int` = `20` | |",
		"### Mutation.closeDeal",
		"| `value` | [`Decimal!`](#decimal) | The amount \\| in currency. |",
		"| `activities(first: Int = 20)` | [`[Deal!]!`](#deal) | `first`: Page size. |",
		"| `old` | `String` | **Deprecated:** Use value. |",
		"| `reason` | `String` = `\"none\"` | |",
		"| `WON` | **Deprecated:** No longer supported. |",
		"### Decimal\n\nAn exact amount.\n",
		"One of [`Deal`](#deal).",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("missing %q in:\n%s", want, doc)
		}
	}
	for _, unwanted := range []string{"join__", "link__", "_service", "secret", "@join", "@inaccessible", "### Query\n"} {
		if strings.Contains(doc, unwanted) {
			t.Errorf("%q leaked into the reference", unwanted)
		}
	}
	// Sections in order: root fields, then types by kind, each by name.
	order := []string{"## Queries", "## Mutations", "## Objects", "### Deal", "## Unions", "## Input objects", "## Enums", "### Status", "## Scalars"}
	last := -1
	for _, h := range order {
		i := strings.Index(doc, h)
		if i <= last {
			t.Errorf("%q is out of order", h)
		}
		last = i
	}
}
