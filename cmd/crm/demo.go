package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/subgraphs/comms"
	"github.com/opencrm/opencrm/subgraphs/contact"
	"github.com/opencrm/opencrm/subgraphs/deal"
	"github.com/opencrm/opencrm/subgraphs/identity"
	"github.com/opencrm/opencrm/subgraphs/tenant"
)

// teamMember is a user the seed invites.
type teamMember struct {
	first, last string
	role        auth.Role
}

// The demo organisation's data: a small sales team selling to a dozen
// fictional companies (example.com addresses, RFC 2606), written through the
// domain services as its people would, so it obeys every rule of the API.
var (
	demoTeam = []teamMember{
		{"Maria", "Lopez", auth.RoleManager},
		{"James", "Chen", auth.RoleSalesRep},
		{"Aisha", "Khan", auth.RoleSalesRep},
		{"Tom", "Becker", auth.RoleViewer},
	}
	demoCompanies = []struct{ name, domain, industry, size, city, country, parent string }{
		{"Northwind Traders", "northwind", "Wholesale", "201-500", "Seattle", "US", ""},
		{"Contoso Pharmaceuticals", "contoso", "Healthcare", "1000+", "Boston", "US", ""},
		{"Contoso Labs", "labs.contoso", "Healthcare", "51-200", "Cambridge", "US", "Contoso Pharmaceuticals"},
		{"Fabrikam Logistics", "fabrikam", "Transportation", "501-1000", "Rotterdam", "NL", ""},
		{"Fabrikam Freight Europe", "eu.fabrikam", "Transportation", "201-500", "Hamburg", "DE", "Fabrikam Logistics"},
		{"Tailspin Toys", "tailspin", "Retail", "51-200", "Austin", "US", ""},
		{"Wide World Importers", "wideworld", "Wholesale", "201-500", "San Francisco", "US", ""},
		{"Adventure Works Cycles", "adventure-works", "Manufacturing", "501-1000", "Bothell", "US", ""},
		{"Litware Software", "litware", "Software", "11-50", "Dublin", "IE", ""},
		{"Proseware Analytics", "proseware", "Software", "51-200", "London", "GB", ""},
		{"Alpine Ski House", "alpineskihouse", "Hospitality", "11-50", "Innsbruck", "AT", ""},
		{"Coho Winery", "cohowinery", "Food & Beverage", "11-50", "Napa", "US", ""},
		{"Lucerne Publishing", "lucernepublishing", "Media", "201-500", "Lucerne", "CH", ""},
		{"Fourth Coffee", "fourthcoffee", "Food & Beverage", "51-200", "Portland", "US", ""},
	}
	demoPeople = []struct{ first, last, title string }{
		{"Olivia", "Martin", "Head of Procurement"}, {"Liam", "Garcia", "CTO"}, {"Emma", "Novak", "Operations Manager"},
		{"Noah", "Schmidt", "VP Sales"}, {"Sofia", "Rossi", "Finance Director"}, {"Lucas", "Dubois", "IT Manager"},
		{"Mia", "Johansson", "CEO"}, {"Ethan", "Kowalski", "Head of Logistics"}, {"Isabella", "Silva", "Marketing Lead"},
		{"Mateo", "Fernandez", "Purchasing Agent"}, {"Chloe", "Wright", "COO"}, {"Henry", "Okafor", "Data Lead"},
		{"Amelia", "Brown", "Office Manager"}, {"Leo", "Tanaka", "Engineering Manager"}, {"Zoe", "Murphy", "Controller"},
		{"Jack", "Andersen", "Store Manager"}, {"Ava", "Petrov", "Product Owner"}, {"Oscar", "Haddad", "Buyer"},
	}
	demoStatuses = []contact.ContactStatus{contact.StatusCustomer, contact.StatusProspect, contact.StatusLead, contact.StatusProspect, contact.StatusInactive}
	demoDeals    = []struct {
		title string
		value int64
	}{
		{"Annual platform licence", 48000}, {"Pilot: 25 seats", 7500}, {"Expansion to EMEA", 120000},
		{"Support renewal", 18000}, {"Data migration project", 32500}, {"Onboarding package", 4900},
		{"Multi-year agreement", 210000}, {"Analytics add-on", 15800},
	}
)

// seedDemo fills the organisation admin signed up for with its team,
// companies, contacts, deals at every stage (some won, some lost), a
// timeline of calls, meetings and notes, and open tasks.
func (a *app) seedDemo(ctx context.Context, admin *identity.AuthPayload, password string) error {
	as := func(u identity.User) context.Context {
		return auth.WithIdentity(ctx, auth.Identity{UserID: u.ID, TenantID: u.TenantID, Email: u.Email, Role: u.Role})
	}
	adminCtx := as(admin.User)
	team, err := a.demoTeam(ctx, adminCtx, password)
	if err != nil {
		return err
	}
	reps := []context.Context{as(team[1]), as(team[2]), adminCtx} // who owns what they create
	ids := func(i int) string { return []string{team[1].ID, team[2].ID, admin.User.ID}[i%3] }

	contacts := &contact.Service{DB: a.db}
	companies := map[string]contact.Company{}
	var people []contact.Contact
	for i, c := range demoCompanies {
		in := contact.CompanyInput{Name: &c.name, Domain: ptr(c.domain + ".example.com"), Industry: &c.industry,
			SizeCategory: &c.size, Website: ptr("https://www." + c.domain + ".example.com"),
			Address: &contact.Address{City: &c.city, Country: &c.country}}
		if p, ok := companies[c.parent]; ok {
			in.ParentCompanyID = &p.ID
		}
		co, err := contacts.CreateCompany(reps[i%3], in)
		if err != nil {
			return fmt.Errorf("demo company %s: %w", c.name, err)
		}
		companies[c.name] = co
		for j := range 2 + i%3 {
			p := demoPeople[(i*3+j)%len(demoPeople)]
			email := strings.ToLower(p.first + "." + p.last + "@" + c.domain + ".example.com")
			ct, err := contacts.CreateContact(reps[i%3], contact.ContactInput{FirstName: &p.first, LastName: &p.last,
				Email: &email, JobTitle: &p.title, CompanyID: &co.ID, OwnerID: ptr(ids(i)),
				Status: &demoStatuses[(i+j)%len(demoStatuses)], Source: ptr([]string{"website", "referral", "event"}[j%3])})
			if err != nil {
				return fmt.Errorf("demo contact %s: %w", email, err)
			}
			people = append(people, ct)
		}
	}
	return a.demoPipeline(ctx, adminCtx, reps, people)
}

// demoTeam invites the team and accepts each invitation with password.
func (a *app) demoTeam(ctx, adminCtx context.Context, password string) ([]identity.User, error) {
	return a.teamAt(ctx, adminCtx, demoSubdomain, password, demoTeam)
}

// teamAt invites members (first@sub.example.com) and accepts each
// invitation with password.
func (a *app) teamAt(ctx, adminCtx context.Context, sub, password string, members []teamMember) ([]identity.User, error) {
	invites := &tenant.Service{DB: a.db, Mail: a.deps.Mail, Log: a.log}
	users := &identity.Service{DB: a.db, Issuer: a.deps.Issuer, Mail: a.deps.Mail, Limiter: a.deps.Limiter, Log: a.log}
	var team []identity.User
	for _, m := range members {
		email := strings.ToLower(m.first + "@" + sub + ".example.com")
		inv, err := invites.Invite(adminCtx, tenant.InviteUserInput{Email: email, Role: m.role})
		if err != nil {
			return nil, fmt.Errorf("invitation %s: %w", email, err)
		}
		joined, err := users.AcceptInvitation(ctx, identity.AcceptInvitationInput{Token: inv.Token, Password: password,
			FirstName: m.first, LastName: m.last})
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", email, err)
		}
		team = append(team, joined.User)
	}
	return team, nil
}

// demoPipeline gives the contacts' companies deals across the default
// pipeline, and the deals a timeline and tasks.
func (a *app) demoPipeline(ctx, adminCtx context.Context, reps []context.Context, people []contact.Contact) error {
	deals := &deal.Service{DB: a.db}
	cat, err := deals.Catalog(adminCtx)
	if err != nil {
		return err
	}
	var stages []deal.Stage
	for _, p := range cat.Pipelines {
		if p.IsDefault {
			stages = p.Stages
		}
	}
	now := time.Now().UTC().Truncate(24 * time.Hour)
	for i, person := range people {
		if i%2 == 1 {
			continue
		}
		d := demoDeals[i/2%len(demoDeals)]
		rep := reps[i%len(reps)]
		closeOn := now.AddDate(0, 0, 7+(i*11)%80)
		created, err := deals.CreateDeal(rep, deal.CreateDealInput{
			Title: d.title, Value: decimal.NewFromInt(d.value + int64(i)*250), Currency: []string{"USD", "EUR", "USD"}[i%3],
			CompanyID: person.CompanyID, PrimaryContactID: &person.ID, ExpectedCloseDate: &closeOn,
			Source: ptr([]string{"inbound", "outbound", "partner"}[i%3]),
		})
		if err != nil {
			return fmt.Errorf("demo deal %s: %w", d.title, err)
		}
		switch stage := (i / 2) % 7; {
		case stage == 5:
			_, err = deals.CloseDeal(rep, created.ID, deal.CloseDealInput{Won: true, Reason: ptr("Best fit for their team")})
		case stage == 6:
			_, err = deals.CloseDeal(rep, created.ID, deal.CloseDealInput{Won: false, Reason: ptr("Went with a cheaper competitor")})
		case stage > 0 && stage < len(stages) && !stages[stage].IsClosed:
			_, err = deals.MoveDeal(rep, created.ID, deal.MoveDealInput{StageID: stages[stage].ID})
		}
		if err != nil {
			return fmt.Errorf("demo deal %s: %w", d.title, err)
		}
		if err := a.demoTimeline(rep, person, created, now, i); err != nil {
			return err
		}
	}
	return nil
}

// demoTimeline logs what a rep did on a deal and what is left to do.
func (a *app) demoTimeline(rep context.Context, person contact.Contact, d deal.Deal, now time.Time, i int) error {
	kinds := []comms.ActivityType{comms.ActivityCall, comms.ActivityMeeting, comms.ActivityNote, comms.ActivityEmail}
	subjects := []string{"Discovery call with " + person.FirstName, "Demo for the " + person.LastName + " team",
		"Notes: budget confirmed for next quarter", "Sent the proposal"}
	for k := range 2 + i%3 {
		at := now.Add(-time.Duration(24*(3+k*4+i%5)) * time.Hour).Add(10 * time.Hour)
		_, err := a.comms.LogActivity(rep, comms.ActivityInput{Type: &kinds[(i+k)%len(kinds)], Subject: &subjects[(i+k)%len(subjects)],
			Status: ptr(comms.ActivityCompleted), Direction: ptr(comms.Outbound), DurationMinutes: ptr(15 + 15*(k%3)),
			CompletedAt: &at, ContactID: &person.ID, CompanyID: person.CompanyID, DealID: &d.ID})
		if err != nil {
			return fmt.Errorf("demo activity: %w", err)
		}
	}
	due := now.AddDate(0, 0, i%9-2).Add(17 * time.Hour)
	_, err := a.comms.CreateTask(rep, comms.TaskInput{Title: ptr("Follow up with " + person.FirstName + " " + person.LastName),
		Type: ptr(comms.TaskFollowUp), Priority: ptr([]comms.TaskPriority{comms.PriorityNormal, comms.PriorityHigh, comms.PriorityLow}[i%3]),
		DueDate: &due, ContactID: &person.ID, DealID: &d.ID})
	if err != nil {
		return fmt.Errorf("demo task: %w", err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
