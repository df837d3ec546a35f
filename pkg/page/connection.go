package page

// Connection is a Relay connection of nodes of type T: a subgraph's
// XConnection type is an alias of it (type UserConnection =
// page.Connection[User]), which gqlgen binds like any struct.
type Connection[T any] struct {
	Edges      []Edge[T]
	PageInfo   *Info
	TotalCount int
}

// Edge is a node of a connection and its cursor.
type Edge[T any] struct {
	Cursor string
	Node   T
}

// NewConnection is the connection of rows fetched one past size (see Trim)
// after the cursor after, with total nodes in all.
func NewConnection[T any](rows []T, size int, after *string, cursor func(T) string, total int64) *Connection[T] {
	rows, next := Trim(rows, size)
	edges, start, end := Edges(rows, cursor, func(c string, n T) Edge[T] { return Edge[T]{Cursor: c, Node: n} })
	return &Connection[T]{Edges: edges, TotalCount: int(total),
		PageInfo: &Info{HasNextPage: next, HasPreviousPage: After(after), StartCursor: start, EndCursor: end}}
}
