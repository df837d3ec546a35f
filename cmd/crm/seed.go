package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/subgraphs/comms"
	"github.com/opencrm/opencrm/subgraphs/contact"
	"github.com/opencrm/opencrm/subgraphs/deal"
	"github.com/opencrm/opencrm/subgraphs/identity"
)

// seedSize is how much data one organisation gets from `crm seed`.
type seedSize struct {
	Name                       string
	Companies, Contacts, Deals int
	ActivitiesPerDeal, Tasks   int
	Templates                  int
	Subsidiaries               int  // companies with a parent (the first companies are parents)
	Team                       bool // the whole demo team (a manager and a viewer too), not just two reps
}

// The sizes of `crm seed --size`. board is the reference set of the board
// benchmark (issue 12): 500 deals, 100 companies, 250 contacts, 3 owners.
// tiny is what each of `--tenants N` organisations gets by default.
var seedSizes = map[string]seedSize{
	"tiny":  {Name: "tiny", Companies: 10, Contacts: 25, Deals: 50, ActivitiesPerDeal: 1, Tasks: 10, Subsidiaries: 2},
	"small": {Name: "small", Companies: 40, Contacts: 300, Deals: 150, ActivitiesPerDeal: 3, Tasks: 60, Templates: 3, Subsidiaries: 10, Team: true},
	"board": {Name: "board", Companies: 100, Contacts: 250, Deals: 500, ActivitiesPerDeal: 1, Tasks: 50, Subsidiaries: 10},
	"large": {Name: "large", Companies: 10000, Contacts: 100000, Deals: 20000, ActivitiesPerDeal: 10, Tasks: 20000, Templates: 3, Subsidiaries: 1000},
}

// seedPassword is every seeded user's password unless SEED_PASSWORD says otherwise.
const seedPassword = "seed-password-1"

// seededOrg is what `crm seed` prints (JSON, one line per organisation) so
// a benchmark can sign in.
type seededOrg struct {
	TenantID  string  `json:"tenantId"`
	Subdomain string  `json:"subdomain"`
	Email     string  `json:"email"`
	Password  string  `json:"password"`
	Size      string  `json:"size"`
	Seconds   float64 `json:"seconds"`
	Existed   bool    `json:"existed,omitempty"`
}

// runSeed is `crm seed [--size small|board|large|tiny] [--tenants N]
// [--subdomain S] [--seed N]`: it creates organisations (subdomain S, or
// S-0001 ... with --tenants) full of generated data, written through the
// domain services (every rule of the API holds, the comms subgraph's
// known_records follow through the outbox as for any write), and prints
// one JSON line per organisation on stdout, progress on stderr.
// An organisation that exists is left as it is.
func runSeed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	size := fs.String("size", "", "small, board, large or tiny (default: small, or tiny with --tenants)")
	tenants := fs.Int("tenants", 0, "create N organisations SUBDOMAIN-0001 ... instead of one")
	sub := fs.String("subdomain", "", "the organisation's subdomain (default: seed-SIZE)")
	seed := fs.Uint64("seed", 12, "the random generator's seed: the same seed gives the same data")
	workers := fs.Int("parallel", 4, "concurrent writers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *size == "" {
		*size = "small"
		if *tenants > 0 {
			*size = "tiny"
		}
	}
	sz, ok := seedSizes[*size]
	if !ok {
		return fmt.Errorf("--size must be small, board, large or tiny, not %q", *size)
	}
	if *sub == "" {
		*sub = "seed-" + sz.Name
	}
	password := os.Getenv("SEED_PASSWORD")
	if password == "" {
		password = seedPassword
	}
	a, err := newApp(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	out := json.NewEncoder(os.Stdout)
	subs := []string{*sub}
	if *tenants > 0 {
		subs = subs[:0]
		for i := range *tenants {
			subs = append(subs, fmt.Sprintf("%s-%04d", *sub, i+1))
		}
	}
	start := time.Now()
	for i, s := range subs {
		org, err := a.seedOrg(ctx, s, password, sz, *seed+uint64(i), *workers, len(subs) == 1)
		if err != nil {
			return fmt.Errorf("organisation %s: %w", s, err)
		}
		if err := out.Encode(org); err != nil {
			return err
		}
		if len(subs) > 1 && ((i+1)%50 == 0 || i+1 == len(subs)) {
			fmt.Fprintf(os.Stderr, "seed: %d/%d organisations (%.0f ms each)\n", i+1, len(subs),
				float64(time.Since(start).Milliseconds())/float64(i+1))
		}
	}
	return nil
}

func (a *app) seedOrg(ctx context.Context, sub, password string, sz seedSize, seed uint64, workers int, progress bool) (seededOrg, error) {
	org := seededOrg{Subdomain: sub, Email: "admin@" + sub + ".example.com", Password: password, Size: sz.Name}
	if t, err := a.db.LookupSubdomain(ctx, sub); err == nil {
		org.TenantID, org.Existed = t.ID, true
		return org, nil
	}
	start := time.Now()
	svc := &identity.Service{DB: a.db, Issuer: a.deps.Issuer, Mail: a.deps.Mail, Limiter: a.deps.Limiter, Log: a.log}
	admin, err := svc.SignUp(ctx, identity.SignUpInput{OrganizationName: orgName(sub), Subdomain: sub,
		Email: org.Email, Password: password, FirstName: "Seed", LastName: "Admin"})
	if err != nil {
		return org, err
	}
	org.TenantID = admin.User.TenantID
	if err := a.seedData(ctx, admin, sub, password, sz, seed, workers, progress); err != nil {
		return org, err
	}
	org.Seconds = time.Since(start).Seconds()
	return org, nil
}

func orgName(sub string) string {
	words := strings.Split(sub, "-")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ") + " Inc."
}

// Word lists the generator combines (fictional names, example.com addresses).
var (
	seedFirst = []string{"Olivia", "Liam", "Emma", "Noah", "Sofia", "Lucas", "Mia", "Ethan", "Isabella", "Mateo", "Chloe",
		"Henry", "Amelia", "Leo", "Zoe", "Jack", "Ava", "Oscar", "Nora", "Felix", "Hana", "Ravi", "Ines", "Yusuf", "Lena", "Omar"}
	seedLast = []string{"Martin", "Garcia", "Novak", "Schmidt", "Rossi", "Dubois", "Johansson", "Kowalski", "Silva", "Fernandez",
		"Wright", "Okafor", "Brown", "Tanaka", "Murphy", "Andersen", "Petrov", "Haddad", "Nguyen", "Costa", "Meyer", "Singh"}
	seedTitles     = []string{"Head of Procurement", "CTO", "Operations Manager", "VP Sales", "Finance Director", "IT Manager", "CEO", "Buyer", "Data Lead", "COO"}
	seedAdjectives = []string{"Northern", "Blue", "Silver", "Bright", "Golden", "Rapid", "Summit", "Green", "Harbor", "Atlas", "Cedar", "Pioneer", "Vertex", "Coral"}
	seedNouns      = []string{"Traders", "Logistics", "Analytics", "Foods", "Systems", "Robotics", "Pharma", "Media", "Energy", "Textiles", "Labs", "Works"}
	seedIndustries = []string{"Wholesale", "Healthcare", "Transportation", "Retail", "Manufacturing", "Software", "Hospitality", "Media", "Energy"}
	seedSizesCat   = []string{"11-50", "51-200", "201-500", "501-1000", "1000+"}
	seedCities     = []struct{ city, country string }{{"Seattle", "US"}, {"Boston", "US"}, {"Rotterdam", "NL"}, {"Hamburg", "DE"},
		{"Dublin", "IE"}, {"London", "GB"}, {"Lyon", "FR"}, {"Milan", "IT"}, {"Austin", "US"}, {"Vienna", "AT"}}
	seedStatuses = []contact.ContactStatus{contact.StatusCustomer, contact.StatusProspect, contact.StatusLead, contact.StatusInactive}
)

// seedData fills an organisation: the generator draws everything from one
// random source seeded with seed, in a fixed order, before writing, so the
// same seed gives the same data (ids and timestamps aside) however many
// writers run.
func (a *app) seedData(ctx context.Context, admin *identity.AuthPayload, sub, password string, sz seedSize, seed uint64, workers int, progress bool) error {
	r := rand.New(rand.NewPCG(seed, 0x0c12))
	as := func(u identity.User) context.Context {
		return auth.WithIdentity(ctx, auth.Identity{UserID: u.ID, TenantID: u.TenantID, Email: u.Email, Role: u.Role})
	}
	adminCtx := as(admin.User)
	members := demoTeam[1:3]
	if sz.Team {
		members = demoTeam
	}
	team, err := a.teamAt(ctx, adminCtx, sub, password, members)
	if err != nil {
		return err
	}
	owners := []string{admin.User.ID}
	for _, u := range team {
		if u.Role == auth.RoleSalesRep {
			owners = append(owners, u.ID)
		}
	}
	say := func(what string, n int) {
		if progress {
			fmt.Fprintf(os.Stderr, "seed %s: %d %s\n", sub, n, what)
		}
	}
	contacts := &contact.Service{DB: a.db}
	deals := &deal.Service{DB: a.db}

	// Companies: the first Subsidiaries/… are parents, written first.
	companyIn := make([]contact.CompanyInput, sz.Companies)
	parentOf := make([]int, sz.Companies)
	for i := range companyIn {
		name := fmt.Sprintf("%s %s %d", pick(r, seedAdjectives), pick(r, seedNouns), i+1)
		dom := strings.ToLower(strings.ReplaceAll(name, " ", "-")) + ".example.com"
		c := pick(r, seedCities)
		companyIn[i] = contact.CompanyInput{Name: &name, Domain: &dom, Industry: ptr(pick(r, seedIndustries)),
			SizeCategory: ptr(pick(r, seedSizesCat)), Website: ptr("https://www." + dom),
			Address: &contact.Address{City: &c.city, Country: &c.country}}
		parentOf[i] = -1
		parents := max(1, sz.Companies/10)
		if i >= parents && i < parents+sz.Subsidiaries {
			parentOf[i] = r.IntN(parents)
		}
	}
	companyIDs := make([]string, sz.Companies)
	parents := max(1, sz.Companies/10)
	if err := parallel(min(parents, sz.Companies), workers, func(i int) error {
		co, err := contacts.CreateCompany(adminCtx, companyIn[i])
		companyIDs[i] = co.ID
		return err
	}); err != nil {
		return fmt.Errorf("company: %w", err)
	}
	if err := parallel(sz.Companies-min(parents, sz.Companies), workers, func(j int) error {
		i := j + parents
		if p := parentOf[i]; p >= 0 {
			companyIn[i].ParentCompanyID = &companyIDs[p]
		}
		co, err := contacts.CreateCompany(adminCtx, companyIn[i])
		companyIDs[i] = co.ID
		return err
	}); err != nil {
		return fmt.Errorf("company: %w", err)
	}
	say("companies", sz.Companies)

	// Contacts, each at a company, owned by one of the owners.
	contactIn := make([]contact.ContactInput, sz.Contacts)
	contactCompany := make([]int, sz.Contacts)
	for i := range contactIn {
		first, last := pick(r, seedFirst), pick(r, seedLast)
		co := i % sz.Companies
		contactCompany[i] = co
		email := strings.ToLower(fmt.Sprintf("%s.%s.%d@", first, last, i+1)) + *companyIn[co].Domain
		contactIn[i] = contact.ContactInput{FirstName: &first, LastName: &last, Email: &email, JobTitle: ptr(pick(r, seedTitles)),
			OwnerID: &owners[r.IntN(len(owners))], Status: ptr(pick(r, seedStatuses)),
			Source: ptr([]string{"website", "referral", "event"}[r.IntN(3)]), Phone: ptr(fmt.Sprintf("+1 555 %07d", r.IntN(10000000)))}
	}
	contactIDs := make([]string, sz.Contacts)
	if err := parallel(sz.Contacts, workers, func(i int) error {
		contactIn[i].CompanyID = &companyIDs[contactCompany[i]]
		ct, err := contacts.CreateContact(adminCtx, contactIn[i])
		contactIDs[i] = ct.ID
		return err
	}); err != nil {
		return fmt.Errorf("contact: %w", err)
	}
	say("contacts", sz.Contacts)

	// Deals in every stage of the default pipeline, won and lost included.
	cat, err := deals.Catalog(adminCtx)
	if err != nil {
		return err
	}
	var open []deal.Stage
	for _, p := range cat.Pipelines {
		if p.IsDefault {
			for _, s := range p.Stages {
				if !s.IsClosed {
					open = append(open, s)
				}
			}
		}
	}
	if len(open) == 0 {
		return errors.New("the default pipeline has no open stage")
	}
	now := time.Now().UTC().Truncate(24 * time.Hour)
	type dealPlan struct {
		in      deal.CreateDealInput
		contact int
		close   int // 0 open, 1 won, 2 lost
		acts    []comms.ActivityInput
	}
	plans := make([]dealPlan, sz.Deals)
	kinds := []comms.ActivityType{comms.ActivityCall, comms.ActivityMeeting, comms.ActivityNote, comms.ActivityEmail}
	subjects := []string{"Discovery call", "Product demo", "Notes: budget confirmed for next quarter", "Sent the proposal", "Pricing review"}
	for i := range plans {
		d := demoDeals[r.IntN(len(demoDeals))]
		ct := r.IntN(sz.Contacts)
		stage := open[r.IntN(len(open))]
		closeOn := now.AddDate(0, 0, 7+r.IntN(120))
		p := dealPlan{contact: ct, in: deal.CreateDealInput{Title: fmt.Sprintf("%s #%d", d.title, i+1),
			Value: decimal.NewFromInt(d.value + int64(r.IntN(400))*250), Currency: []string{"USD", "EUR", "USD"}[r.IntN(3)],
			StageID: &stage.ID, OwnerID: &owners[r.IntN(len(owners))], ExpectedCloseDate: &closeOn,
			Source: ptr([]string{"inbound", "outbound", "partner"}[r.IntN(3)])}}
		if x := r.IntN(10); x == 0 {
			p.close = 1
		} else if x == 1 {
			p.close = 2
		}
		for k := range sz.ActivitiesPerDeal {
			at := now.Add(-time.Duration(24*(1+r.IntN(90))) * time.Hour).Add(time.Duration(9+k) * time.Hour)
			p.acts = append(p.acts, comms.ActivityInput{Type: ptr(pick(r, kinds)), Subject: ptr(pick(r, subjects)),
				Status: ptr(comms.ActivityCompleted), Direction: ptr(comms.Outbound), DurationMinutes: ptr(15 * (1 + r.IntN(4))),
				CompletedAt: &at})
		}
		plans[i] = p
	}
	dealIDs := make([]string, sz.Deals)
	var acts atomic.Int64
	if err := parallel(sz.Deals, workers, func(i int) error {
		p := &plans[i]
		p.in.CompanyID, p.in.PrimaryContactID = &companyIDs[contactCompany[p.contact]], &contactIDs[p.contact]
		created, err := deals.CreateDeal(adminCtx, p.in)
		if err != nil {
			return err
		}
		dealIDs[i] = created.ID
		switch p.close {
		case 1:
			_, err = deals.CloseDeal(adminCtx, created.ID, deal.CloseDealInput{Won: true, Reason: ptr("Best fit for their team")})
		case 2:
			_, err = deals.CloseDeal(adminCtx, created.ID, deal.CloseDealInput{Won: false, Reason: ptr("Went with a cheaper competitor")})
		}
		if err != nil {
			return err
		}
		for _, act := range p.acts {
			act.ContactID, act.CompanyID, act.DealID = p.in.PrimaryContactID, p.in.CompanyID, &created.ID
			if _, err := a.comms.LogActivity(adminCtx, act); err != nil {
				return fmt.Errorf("activity: %w", err)
			}
			acts.Add(1)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("deal: %w", err)
	}
	say("deals", sz.Deals)
	say("activities", int(acts.Load()))

	taskIn := make([]comms.TaskInput, sz.Tasks)
	taskDeal := make([]int, sz.Tasks)
	for i := range taskIn {
		taskDeal[i] = r.IntN(sz.Deals)
		due := now.AddDate(0, 0, r.IntN(30)-7).Add(17 * time.Hour)
		taskIn[i] = comms.TaskInput{Title: ptr(fmt.Sprintf("Follow up on deal #%d", taskDeal[i]+1)), Type: ptr(comms.TaskFollowUp),
			Priority: ptr([]comms.TaskPriority{comms.PriorityNormal, comms.PriorityHigh, comms.PriorityLow}[r.IntN(3)]), DueDate: &due}
	}
	if err := parallel(sz.Tasks, workers, func(i int) error {
		taskIn[i].DealID, taskIn[i].ContactID = &dealIDs[taskDeal[i]], plans[taskDeal[i]].in.PrimaryContactID
		_, err := a.comms.CreateTask(adminCtx, taskIn[i])
		return err
	}); err != nil {
		return fmt.Errorf("task: %w", err)
	}
	say("tasks", sz.Tasks)
	for i := range sz.Templates {
		t := seedTemplates[i%len(seedTemplates)]
		if _, err := a.comms.CreateEmailTemplate(adminCtx, comms.TemplateInput{Name: &t[0], Subject: &t[1], BodyText: &t[2],
			Category: ptr("sales"), Variables: []comms.EmailTemplateVariableInput{{Name: "first_name"}}}); err != nil {
			return fmt.Errorf("template: %w", err)
		}
	}
	return nil
}

var seedTemplates = [][3]string{
	{"Introduction", "Nice to meet you, {{first_name}}", "Hi {{first_name}},\n\nthanks for your time today. Here is what we discussed."},
	{"Follow-up", "Following up, {{first_name}}", "Hi {{first_name}},\n\njust checking in on the proposal."},
	{"Thank you", "Thank you, {{first_name}}", "Hi {{first_name}},\n\nwelcome aboard!"},
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// parallel runs fn(0..n-1) on workers goroutines and returns the first error.
func parallel(n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
