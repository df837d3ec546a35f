package comms_test

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/comms"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

func TestDealClosedWonDeliveredTwiceGivesOneActivityAndOneFollowUp(t *testing.T) {
	t.Parallel()
	e := setup(t)
	id := strings.ToLower(tenancy.NewID())
	stream := events.Stream{Name: "TEST_COMMS_" + strings.ToUpper(id), Prefix: "tc" + id}
	nc, js, err := events.Connect(testenv.NATSURL(), t.Name())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), stream.Name) })
	require.NoError(t, stream.Ensure(context.Background(), js))
	c, err := e.svc.Consumer(js, stream)
	require.NoError(t, err)
	run(t, c.Run)

	owner, dealID, contactID := tenancy.NewID(), tenancy.NewID(), tenancy.NewID()
	value := 12000.0
	won, err := events.New(events.DealClosedWon, e.tenantID, owner, events.DealPayload{DealID: dealID, Title: "Big deal",
		Value: &value, Currency: "EUR", Stage: "Won", PreviousStage: "Negotiation", OwnerID: owner, ContactID: contactID})
	require.NoError(t, err)
	moved, err := events.New(events.DealStageChanged, e.tenantID, owner, events.DealPayload{DealID: dealID, Title: "Big deal",
		Stage: "Negotiation", PreviousStage: "Proposal"})
	require.NoError(t, err)
	created, err := events.New(events.ContactCreated, e.tenantID, owner, map[string]any{"contact_id": contactID, "first_name": "Ann"})
	require.NoError(t, err)
	publish := func(ev events.Event, msgID string) {
		msg := nats.NewMsg(stream.Prefix + strings.TrimPrefix(ev.Subject(), "crm"))
		msg.Data = mustJSON(t, ev)
		_, err := js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(msgID))
		require.NoError(t, err)
	}
	publish(created, created.ID)
	publish(moved, moved.ID)
	publish(won, won.ID)
	publish(won, won.ID+"-again") // the same event under another message id: delivered twice

	require.Eventually(t, func() bool {
		info, err := js.Consumer(context.Background(), stream.Name, c.Name())
		if err != nil {
			return false
		}
		i, err := info.Info(context.Background())
		return err == nil && i.Delivered.Stream >= 4 && i.NumAckPending == 0 && i.NumPending == 0
	}, 15*time.Second, 50*time.Millisecond)

	var wonNotes, tasks, stageNotes, contactNotes int
	e.scalar(t, &wonNotes, "SELECT count(*) FROM activities WHERE deal_id = $1 AND subject = 'Deal closed won'", dealID)
	e.scalar(t, &stageNotes, "SELECT count(*) FROM activities WHERE deal_id = $1 AND subject = 'Deal stage changed from Proposal to Negotiation'", dealID)
	e.scalar(t, &contactNotes, "SELECT count(*) FROM activities WHERE contact_id = $1 AND subject = 'Contact created: Ann'", contactID)
	e.scalar(t, &tasks, "SELECT count(*) FROM tasks WHERE deal_id = $1", dealID)
	assert.Equal(t, 1, wonNotes)
	assert.Equal(t, 1, tasks)
	assert.Equal(t, 1, stageNotes)
	assert.Equal(t, 1, contactNotes)

	var out struct {
		Entities []struct {
			Tasks struct {
				Edges []struct {
					Node struct {
						Type, Title string
						DueDate     time.Time
						AssignedTo  struct{ ID string }
					}
				}
			}
		} `json:"_entities"`
	}
	e.do(t, auth.RoleViewer, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Deal { tasks { edges { node { type title dueDate assignedTo { id } } } } } } }`,
		map[string]any{"reps": []map[string]any{{"__typename": "Deal", "id": dealID}}}).Decode(t, &out)
	task := out.Entities[0].Tasks.Edges[0].Node
	assert.Equal(t, "FOLLOW_UP", task.Type)
	assert.Equal(t, owner, task.AssignedTo.ID, "the deal's owner follows up")
	assert.WithinDuration(t, won.Timestamp.Add(72*time.Hour), task.DueDate, time.Second, "in three days")
}

func TestRemindersFireOnceAndMailTheAssignee(t *testing.T) {
	t.Parallel()
	e := setup(t)
	rep := e.users[auth.RoleSalesRep]
	e.apply(t, events.UserCreated, "", events.UserPayload{UserID: rep.UserID, Email: "rep@acme.example.com", FirstName: "Rita"})
	past := time.Now().Add(-time.Second).UTC().Format(time.RFC3339)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, in := range []map[string]any{
		{"title": "Due now", "reminderAt": past, "dueDate": future},
		{"title": "Later", "reminderAt": future},
		{"title": "No reminder"},
	} {
		e.do(t, auth.RoleSalesRep, createTask, map[string]any{"in": in}).Decode(t, &struct{}{})
	}
	done := e.do(t, auth.RoleSalesRep, createTask, map[string]any{"in": map[string]any{"title": "Done already", "reminderAt": past}})
	var d struct{ CreateTask struct{ ID string } }
	done.Decode(t, &d)
	e.do(t, auth.RoleSalesRep, `mutation($id: ID!) { completeTask(id: $id) { id } }`, map[string]any{"id": d.CreateTask.ID}).Decode(t, &struct{}{})

	// Schedulers of several replicas at once.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				assert.NoError(t, e.svc.FireReminders(context.Background(), e.tenantID))
			}
		}()
	}
	wg.Wait()
	due := e.outbox(t, events.TaskReminderDue)
	require.Len(t, due, 1, "one reminder, fired once")
	assert.Equal(t, "Due now", due[0]["title"])

	smtp := startSMTP(t, e.smtpPort)
	run(t, e.svc.Sender(comms.SMTP{Config: e.svc.Config}).Run)
	got := smtp.waitFor(t, "rep@acme.example.com")
	assert.Equal(t, "Reminder: Due now", got.Subject)
	assert.Contains(t, got.Text, "Hello Rita")

	// A new reminder time arms the reminder again.
	var list struct {
		Tasks struct {
			Edges []struct{ Node struct{ ID, Title string } }
		}
	}
	e.do(t, auth.RoleViewer, `{ tasks { edges { node { id title } } } }`, nil).Decode(t, &list)
	for _, ed := range list.Tasks.Edges {
		if ed.Node.Title == "Due now" {
			e.do(t, auth.RoleSalesRep, `mutation($id: ID!, $at: DateTime!) { updateTask(id: $id, input: {reminderAt: $at}) { id } }`,
				map[string]any{"id": ed.Node.ID, "at": time.Now().Add(-time.Millisecond).UTC().Format(time.RFC3339Nano)}).Decode(t, &struct{}{})
		}
	}
	require.NoError(t, e.svc.FireReminders(context.Background(), e.tenantID))
	assert.Len(t, e.outbox(t, events.TaskReminderDue), 2)
}

var tokenInText = regexp.MustCompile(`Your token: (\S+)`)

// The spine's invitation, verification and password-reset mails go through
// the comms queue and SMTP, and their tokens work.
func TestPlatformMailArrivesWithWorkingTokens(t *testing.T) {
	t.Parallel()
	e := setup(t)
	smtp := startSMTP(t, e.smtpPort)
	var tenants atomic.Value
	tenants.Store([]string{e.tenantID})
	e.svc.Tenants = func(context.Context) ([]string, error) { return tenants.Load().([]string), nil }
	run(t, e.svc.Sender(comms.SMTP{Config: e.svc.Config}).Run)

	d := e.c.Deps
	d.Mail = e.svc.PlatformMail()
	urls := map[string]string{}
	for _, name := range []string{"identity", "tenant"} {
		sg, err := subgraphs.Find(name)
		require.NoError(t, err)
		srv := httptest.NewServer(subgraphstest.Handler(t, sg, d))
		t.Cleanup(srv.Close)
		urls[name] = srv.URL + "/graphql"
	}
	sub := "p-" + strings.ToLower(tenancy.NewID()[16:])
	var signed struct {
		SignUp struct {
			AccessToken string
			User        struct{ Tenant struct{ ID string } }
		}
	}
	subgraphstest.Do(t, urls["identity"], "", `mutation($s: String!) { signUp(input: {organizationName: "Mailers", subdomain: $s,
		email: "boss@mailers.example.com", password: "correct horse battery", firstName: "Bo", lastName: "Ss"}) { accessToken user { tenant { id } } } }`,
		map[string]any{"s": sub}).Decode(t, &signed)
	tenants.Store([]string{signed.SignUp.User.Tenant.ID})

	verify := smtp.waitFor(t, "boss@mailers.example.com")
	assert.Contains(t, verify.Subject, "Confirm your e-mail address")
	tok := tokenInText.FindStringSubmatch(verify.Text)
	require.Len(t, tok, 2)
	r := subgraphstest.Do(t, urls["identity"], "", `mutation($t: String!) { verifyEmail(input: {token: $t}) }`, map[string]any{"t": tok[1]})
	assert.JSONEq(t, `{"verifyEmail": true}`, string(r.Data))

	subgraphstest.Do(t, urls["tenant"], signed.SignUp.AccessToken, `mutation { inviteUser(input: {email: "new@mailers.example.com", role: VIEWER}) { token } }`, nil).Decode(t, &struct{}{})
	inv := smtp.waitFor(t, "new@mailers.example.com")
	assert.Contains(t, inv.Subject, "invited to Mailers")
	tok = tokenInText.FindStringSubmatch(inv.Text)
	require.Len(t, tok, 2)
	r = subgraphstest.Do(t, urls["identity"], "", `mutation($t: String!) { acceptInvitation(input: {token: $t, password: "another good password", firstName: "N", lastName: "W"}) { accessToken } }`,
		map[string]any{"t": tok[1]})
	assert.Empty(t, r.Errors, "the invitation token works")

	subgraphstest.Do(t, urls["identity"], "", `mutation($s: String!) { requestPasswordReset(input: {subdomain: $s, email: "new@mailers.example.com"}) }`,
		map[string]any{"s": sub}).Decode(t, &struct{}{})
	require.Eventually(t, func() bool { return len(smtp.messages()) == 3 }, 15*time.Second, 20*time.Millisecond)
	reset := smtp.messages()[2]
	assert.Contains(t, reset.Subject, "Reset your Mailers password")
	tok = tokenInText.FindStringSubmatch(reset.Text)
	require.Len(t, tok, 2)
	r = subgraphstest.Do(t, urls["identity"], "", `mutation($t: String!) { resetPassword(input: {token: $t, newPassword: "a brand new password"}) }`, map[string]any{"t": tok[1]})
	assert.JSONEq(t, `{"resetPassword": true}`, string(r.Data), "the reset token works")
}
