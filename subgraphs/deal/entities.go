package deal

// Company is a company of the contact subgraph, which this subgraph knows
// by id and adds the deals field to.
type Company struct{ ID string }

// Contact is a contact of the contact subgraph, which this subgraph knows
// by id and adds the deals field to.
type Contact struct{ ID string }

// User is a user of the identity subgraph, which this subgraph knows by id
// and adds the ownedDeals field to.
type User struct{ ID string }

// ref is the reference to what id names, or nil without an id.
func ref[T Company | Contact](id *string) *T {
	if id == nil {
		return nil
	}
	return &T{ID: *id}
}

// IsEntity makes the types federation entities (members of gqlgen's _Entity
// union): the gateway asks this subgraph for them by id.
func (Deal) IsEntity()    {}
func (Company) IsEntity() {}
func (Contact) IsEntity() {}
func (User) IsEntity()    {}
