package comms_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/comms"
)

const createTemplate = `mutation($in: CreateEmailTemplateInput!) { createEmailTemplate(input: $in) { id name variables { name required defaultValue } } }`

func (e *env) template(t *testing.T, in map[string]any) string {
	t.Helper()
	var out struct{ CreateEmailTemplate struct{ ID string } }
	e.do(t, auth.RoleManager, createTemplate, map[string]any{"in": in}).Decode(t, &out)
	return out.CreateEmailTemplate.ID
}

func TestTemplatesRenderEscapedAndRefuseBadSyntaxWithThePosition(t *testing.T) {
	t.Parallel()
	e := setup(t)
	id := e.template(t, map[string]any{"name": "Welcome", "subject": "Hi {{ first_name }}",
		"bodyHtml": "<p>Dear {{first_name}},</p><p>{{note}}</p>", "category": "welcome",
		"variables": []map[string]any{{"name": "first_name"}, {"name": "note", "required": false, "defaultValue": "Thanks!"}}})

	var out struct {
		RenderEmailTemplate struct{ Subject, BodyHtml, BodyText string }
	}
	e.do(t, auth.RoleViewer, `query($id: ID!, $v: JSON) { renderEmailTemplate(id: $id, variables: $v) { subject bodyHtml bodyText } }`,
		map[string]any{"id": id, "v": map[string]any{"first_name": "<b>Ann</b> & co"}}).Decode(t, &out)
	assert.Equal(t, "Hi <b>Ann</b> & co", out.RenderEmailTemplate.Subject)
	assert.Equal(t, "<p>Dear &lt;b&gt;Ann&lt;/b&gt; &amp; co,</p><p>Thanks!</p>", out.RenderEmailTemplate.BodyHtml)
	assert.Equal(t, "Dear <b>Ann</b> & co,\nThanks!", out.RenderEmailTemplate.BodyText)

	r := e.do(t, auth.RoleViewer, `query($id: ID!) { renderEmailTemplate(id: $id, variables: {}) { subject } }`, map[string]any{"id": id})
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
	assert.Equal(t, "variables.first_name", r.Field())
	assert.Contains(t, r.Errors[0].Message, "first_name")

	r = e.do(t, auth.RoleManager, createTemplate, map[string]any{"in": map[string]any{"name": "Broken", "subject": "ok",
		"bodyHtml": "<p>line one</p>\n<p>Hello {{first_name</p>"}})
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
	assert.Equal(t, "input.bodyHtml", r.Field())
	assert.Contains(t, r.Errors[0].Message, "line 2, column 10")

	r = e.do(t, auth.RoleManager, createTemplate, map[string]any{"in": map[string]any{"name": "Undeclared", "subject": "{{x}}",
		"bodyHtml": "b", "variables": []map[string]any{}}})
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
	assert.Contains(t, r.Errors[0].Message, "x is used but not declared")

	r = e.do(t, auth.RoleManager, createTemplate, map[string]any{"in": map[string]any{"name": "welcome", "subject": "s", "bodyHtml": "b"}})
	assert.Equal(t, "CONFLICT", r.Code(), "names are unique, ignoring case")

	var up struct {
		UpdateEmailTemplate struct {
			IsActive  bool
			Variables []struct{ Name string }
		}
	}
	e.do(t, auth.RoleAdmin, `mutation($id: ID!) { updateEmailTemplate(id: $id, input: {isActive: false, subject: "Hello {{first_name}}"}) { isActive variables { name } } }`,
		map[string]any{"id": id}).Decode(t, &up)
	assert.False(t, up.UpdateEmailTemplate.IsActive)
	assert.Len(t, up.UpdateEmailTemplate.Variables, 2, "the declared variables stay")
	r = e.do(t, auth.RoleAdmin, `mutation($id: ID!) { updateEmailTemplate(id: $id, input: {subject: "{{ }}"}) { id } }`, map[string]any{"id": id})
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
	assert.Contains(t, r.Errors[0].Message, "line 1, column 1")

	var list struct{ EmailTemplates []struct{ Name string } }
	e.do(t, auth.RoleViewer, `{ emailTemplates(activeOnly: true) { name } }`, nil).Decode(t, &list)
	assert.Empty(t, list.EmailTemplates)
	r = e.do(t, auth.RoleViewer, `query($id: ID!) { renderEmailTemplate(id: $id) { subject } }`, map[string]any{"id": tenancy.NewID()})
	assert.Equal(t, "NOT_FOUND", r.Code())
}

const sendEmail = `mutation($in: SendEmailInput!) { sendEmail(input: $in) { id messageId to subject status activity { id type subject } template { name } } }`

type messageOut struct {
	ID, MessageID, To, Subject, Status string
	Activity                           struct{ ID, Type, Subject string }
}

func (e *env) message(t *testing.T, id string) map[string]any {
	t.Helper()
	var out struct{ EmailMessage map[string]any }
	e.do(t, auth.RoleViewer, `query($id: ID!) { emailMessage(id: $id) { status attempts sentAt deliveredAt openedAt clickedAt bouncedAt } }`,
		map[string]any{"id": id}).Decode(t, &out)
	return out.EmailMessage
}

var hrefs = regexp.MustCompile(`(?:href|src)="([^"]+)"`)

func TestSentMessageIsRenderedDeliveredAndTracked(t *testing.T) {
	t.Parallel()
	e := setup(t)
	smtp := startSMTP(t, e.smtpPort)
	run(t, e.svc.Sender(comms.SMTP{Config: e.svc.Config}).Run)
	contactID, dealID := tenancy.NewID(), tenancy.NewID()
	e.apply(t, events.ContactCreated, "", events.ContactPayload{ContactID: contactID, FirstName: "Ann", LastName: "Lee", Email: "ann@client.example.com"})
	e.apply(t, events.DealCreated, "", events.DealPayload{DealID: dealID, Title: "Big deal"})
	tpl := e.template(t, map[string]any{"name": "Proposal", "subject": "{{deal_title}} for {{first_name}}",
		"bodyHtml": `<p>Hi {{first_name}}, see <a href="https://example.com/offer?a=1&amp;b=2">the offer</a>. {{ps}}</p>`})

	var out struct{ SendEmail messageOut }
	e.do(t, auth.RoleSalesRep, sendEmail, map[string]any{"in": map[string]any{"templateId": tpl, "contactId": contactID,
		"dealId": dealID, "variables": map[string]any{"ps": "<script>x</script>"}}}).Decode(t, &out)
	m := out.SendEmail
	assert.Equal(t, "QUEUED", m.Status)
	assert.Equal(t, "ann@client.example.com", m.To)
	assert.Equal(t, "Big deal for Ann", m.Subject)
	assert.Equal(t, "EMAIL", m.Activity.Type)

	got := smtp.waitFor(t, "ann@client.example.com")
	assert.Equal(t, "Big deal for Ann", got.Subject)
	assert.Equal(t, m.MessageID, got.MessageID)
	assert.Equal(t, "crm@acme.example.com", got.From)
	assert.Contains(t, got.HTML, "Hi Ann, see")
	assert.Contains(t, got.HTML, "&lt;script&gt;x&lt;/script&gt;")
	assert.Contains(t, got.Text, "Hi Ann, see the offer. <script>x</script>")
	require.Eventually(t, func() bool { return e.message(t, m.ID)["status"] == "SENT" }, 5*time.Second, 20*time.Millisecond)
	assert.Len(t, e.outbox(t, events.EmailSent), 1)

	var click, open string
	for _, u := range hrefs.FindAllStringSubmatch(got.HTML, -1) {
		link := strings.ReplaceAll(u[1], "&amp;", "&")
		switch {
		case strings.Contains(link, comms.ClickPath):
			click = link
		case strings.Contains(link, comms.OpenPath):
			open = link
		}
	}
	require.NotEmpty(t, click, "the link is a click redirect")
	require.NotEmpty(t, open, "the open pixel")

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) *http.Response {
		resp, err := noRedirect.Get(u)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	// Tampered links record nothing.
	assert.Equal(t, 404, get(strings.Replace(click, "offer", "evil", 1)).StatusCode, "another target")
	assert.Equal(t, 404, get(strings.Replace(click, "?u=", "?u=https%3A%2F%2Fevil.example.com&x=", 1)).StatusCode)
	assert.Equal(t, 404, get(open[:len(open)-3]+"AAA").StatusCode, "a forged signature")
	assert.Equal(t, 404, get(strings.Replace(open, e.tenantID, tenancy.NewID(), 1)).StatusCode, "another tenant")
	assert.Nil(t, e.message(t, m.ID)["openedAt"])

	resp := get(open)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "image/gif", resp.Header.Get("Content-Type"))
	get(open)
	msg := e.message(t, m.ID)
	assert.Equal(t, "OPENED", msg["status"])
	assert.NotNil(t, msg["openedAt"])
	assert.Len(t, e.outbox(t, events.EmailOpened), 1, "the first open is the event")

	resp = get(click)
	assert.Equal(t, 302, resp.StatusCode)
	assert.Equal(t, "https://example.com/offer?a=1&b=2", resp.Header.Get("Location"))
	assert.Equal(t, "CLICKED", e.message(t, m.ID)["status"])
	clicked := e.outbox(t, events.EmailClicked)
	require.Len(t, clicked, 1)
	assert.Equal(t, "https://example.com/offer?a=1&b=2", clicked[0]["url"])

	// Delivery reports must be signed.
	body := mustJSON(t, comms.DeliveryReport{MessageID: m.MessageID, Event: "delivered"})
	post := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, e.base+comms.WebhookPath, bytes.NewReader(body))
		if sig != "" {
			req.Header.Set(comms.SignatureHeader, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 401, post(""))
	assert.Equal(t, 401, post(comms.SignWebhook([]byte("wrong"), body)))
	assert.Nil(t, e.message(t, m.ID)["deliveredAt"])
	assert.Equal(t, 204, post(comms.SignWebhook(e.svc.Config.WebhookSecret, body)))
	assert.NotNil(t, e.message(t, m.ID)["deliveredAt"])
	assert.Equal(t, "CLICKED", e.message(t, m.ID)["status"], "a late delivery report does not move the status back")

	var timeline struct {
		Entities []struct{ Activities timelineOut } `json:"_entities"`
	}
	e.do(t, auth.RoleViewer, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Contact { activities { totalCount edges { node { id subject } } } } } }`,
		map[string]any{"reps": []map[string]any{{"__typename": "Contact", "id": contactID}}}).Decode(t, &timeline)
	assert.Equal(t, 2, timeline.Entities[0].Activities.TotalCount, "contact created, and the e-mail")
	assert.Equal(t, "Big deal for Ann", timeline.Entities[0].Activities.Edges[0].Node.Subject)
}

func TestSendEmailBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	noAddress, known := tenancy.NewID(), tenancy.NewID()
	e.apply(t, events.ContactCreated, "", events.ContactPayload{ContactID: noAddress, FirstName: "No"})
	e.apply(t, events.ContactCreated, "", events.ContactPayload{ContactID: known, FirstName: "Kim", Email: "kim@client.example.com"})
	tpl := e.template(t, map[string]any{"name": "Needs", "subject": "Hi {{first_name}}", "bodyHtml": "{{offer}}"})
	send := func(in map[string]any) (string, string) {
		r := e.do(t, auth.RoleSalesRep, sendEmail, map[string]any{"in": in})
		return r.Code(), r.Field()
	}
	code, _ := send(map[string]any{"templateId": tenancy.NewID(), "contactId": known})
	assert.Equal(t, "NOT_FOUND", code, "unknown template")
	code, _ = send(map[string]any{"templateId": tpl, "contactId": tenancy.NewID(), "variables": map[string]any{"offer": "x"}})
	assert.Equal(t, "NOT_FOUND", code, "unknown contact")
	code, _ = send(map[string]any{"templateId": tpl, "contactId": known, "dealId": tenancy.NewID(), "variables": map[string]any{"offer": "x"}})
	assert.Equal(t, "NOT_FOUND", code, "unknown deal")
	code, field := send(map[string]any{"templateId": tpl, "contactId": noAddress, "variables": map[string]any{"offer": "x"}})
	assert.Equal(t, "BAD_USER_INPUT", code, "a contact without an address")
	assert.Equal(t, "input.contactId", field)
	code, field = send(map[string]any{"templateId": tpl, "contactId": known})
	assert.Equal(t, "BAD_USER_INPUT", code)
	assert.Equal(t, "variables.offer", field)
	code, _ = send(map[string]any{"templateId": tpl, "contactId": noAddress, "to": "no@client.example.com", "variables": map[string]any{"offer": "x"}})
	assert.Empty(t, code, "an address given in the input")
	r := e.do(t, auth.RoleViewer, sendEmail, map[string]any{"in": map[string]any{"templateId": tpl, "contactId": known}})
	assert.Equal(t, "FORBIDDEN", r.Code())
	var n int
	e.scalar(t, &n, "SELECT count(*) FROM email_messages")
	assert.Equal(t, 1, n, "refused sends queue nothing")
}

func TestMessagesAreRetriedWhileTheSMTPServerIsDown(t *testing.T) {
	t.Parallel()
	e := setup(t)
	contactID := tenancy.NewID()
	e.apply(t, events.ContactCreated, "", events.ContactPayload{ContactID: contactID, FirstName: "Ben", Email: "ben@client.example.com"})
	tpl := e.template(t, map[string]any{"name": "Ping", "subject": "Ping {{first_name}}", "bodyHtml": "<p>pong</p>"})
	var out struct{ SendEmail messageOut }
	e.do(t, auth.RoleSalesRep, sendEmail, map[string]any{"in": map[string]any{"templateId": tpl, "contactId": contactID}}).Decode(t, &out)

	// A sender that stops mid-way (a restart) leaves the message queued.
	ctx, cancel := context.WithCancel(context.Background())
	first := e.svc.Sender(comms.SMTP{Config: e.svc.Config})
	done := make(chan struct{})
	go func() { defer close(done); _ = first.Run(ctx) }()
	require.Eventually(t, func() bool {
		attempts, _ := e.message(t, out.SendEmail.ID)["attempts"].(float64)
		return attempts >= 2
	}, 10*time.Second, 20*time.Millisecond, "the sender retries")
	cancel()
	<-done
	msg := e.message(t, out.SendEmail.ID)
	assert.Equal(t, "QUEUED", msg["status"])
	var lastErr string
	e.scalar(t, &lastErr, "SELECT last_error FROM email_messages WHERE id = $1", out.SendEmail.ID)
	assert.NotEmpty(t, lastErr)

	smtp := startSMTP(t, e.smtpPort)
	run(t, e.svc.Sender(comms.SMTP{Config: e.svc.Config}).Run)
	got := smtp.waitFor(t, "ben@client.example.com")
	assert.Equal(t, "Ping Ben", got.Subject)
	require.Eventually(t, func() bool { return e.message(t, out.SendEmail.ID)["status"] == "SENT" }, 5*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	assert.Len(t, smtp.messages(), 1, "delivered once")
}
