package comms_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/database"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/platform"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/comms"
)

// dueAt is when the platform's due-work index says a tenant's queue comes
// due: nil without a row, "infinity" as the zero time's opposite.
func dueAt(t *testing.T, db *tenancy.DB, tenantID, queue string) *string {
	t.Helper()
	var at *string
	err := db.Pool.QueryRow(context.Background(),
		"SELECT due_at::text FROM platform.due_work WHERE tenant_id = $1 AND queue = $2", tenantID, queue).Scan(&at)
	if err == pgx.ErrNoRows {
		return nil
	}
	require.NoError(t, err)
	return at
}

func addTask(t *testing.T, db *tenancy.DB, tenantID string, reminder time.Time) string {
	t.Helper()
	id := tenancy.NewID()
	require.NoError(t, db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), "INSERT INTO tasks (id, title, reminder_at) VALUES ($1, 'Call back', $2)", id, reminder)
		return err
	}))
	return id
}

func TestWorkersVisitOnlyTenantsWithDueWork(t *testing.T) {
	var statements testenv.Statements
	url := testenv.DatabaseURL(t, "duework")
	pool, err := database.NewPool(context.Background(), url, database.Options{Tracer: &statements})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	db := &tenancy.DB{Pool: pool, Platform: platform.Domains(), Tenant: subgraphs.TenantDomains()}
	require.NoError(t, db.Setup(context.Background()))
	tenants := make([]string, 20)
	for i := range tenants {
		tn, err := db.Provision(context.Background(), fmt.Sprint("Idle ", i), "idle-"+tenancy.NewID()[16:], func(pgx.Tx, tenancy.Tenant) error { return nil })
		require.NoError(t, err)
		tenants[i] = tn.ID
	}
	busy, later := tenants[0], tenants[1]
	svc := comms.New(db, comms.Config{}, nil)

	overdue := addTask(t, db, busy, time.Now().Add(-time.Minute))
	addTask(t, db, later, time.Now().Add(time.Hour))
	assert.NotNil(t, dueAt(t, db, busy, "reminders"), "a reminder notes its tenant in the transaction that writes it")
	assert.NotNil(t, dueAt(t, db, later, "reminders"))
	for _, id := range tenants[2:] {
		assert.Nil(t, dueAt(t, db, id, "reminders"), "a tenant without reminders has nothing due")
	}

	svc.ReminderPass(context.Background())
	var reminded *time.Time
	require.NoError(t, db.InTenant(context.Background(), busy, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), "SELECT reminded_at FROM tasks WHERE id = $1", overdue).Scan(&reminded)
	}))
	assert.NotNil(t, reminded, "the overdue reminder fired")
	assert.Equal(t, "infinity", *dueAt(t, db, busy, "reminders"), "after the pass the busy tenant has nothing due")

	idle := statements.During(func() { svc.ReminderPass(context.Background()) })
	assert.EqualValues(t, 1, idle, "with nothing due, a pass over 20 tenants reads the due-work index once and no tenant schema")
}

func TestARolledBackWriteNotesNoDueWork(t *testing.T) {
	db := testenv.DB(t, "duework", subgraphs.TenantDomains()...)
	tn, err := db.Provision(context.Background(), "Rollback", "rb-"+tenancy.NewID()[16:], func(pgx.Tx, tenancy.Tenant) error { return nil })
	require.NoError(t, err)
	err = db.InTenant(context.Background(), tn.ID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(context.Background(), "INSERT INTO tasks (id, title, reminder_at) VALUES ($1, 'Never', now())", tenancy.NewID()); err != nil {
			return err
		}
		return fmt.Errorf("changed my mind")
	})
	require.Error(t, err)
	assert.Nil(t, dueAt(t, db, tn.ID, "reminders"))
}

func TestQueuedMailIsNotedAndSettledAfterDelivery(t *testing.T) {
	t.Parallel()
	e := setup(t)
	smtp := startSMTP(t, e.smtpPort)
	contactID := tenancy.NewID()
	e.apply(t, events.ContactCreated, "", events.ContactPayload{ContactID: contactID, FirstName: "Ann", LastName: "Lee", Email: "ann@client.example.com"})
	tpl := e.template(t, map[string]any{"name": "Hello", "subject": "Hello {{first_name}}", "bodyHtml": "<p>Hi</p>"})
	assert.Nil(t, dueAt(t, e.c.DB, e.tenantID, "mail"), "nothing queued yet")

	var out struct{ SendEmail messageOut }
	e.do(t, auth.RoleSalesRep, sendEmail, map[string]any{"in": map[string]any{"templateId": tpl, "contactId": contactID}}).Decode(t, &out)
	assert.NotNil(t, dueAt(t, e.c.DB, e.tenantID, "mail"), "queueing a message notes the tenant's mail as due")

	run(t, e.svc.Sender(comms.SMTP{Config: e.svc.Config}).Run)
	smtp.waitFor(t, "ann@client.example.com")
	require.Eventually(t, func() bool {
		at := dueAt(t, e.c.DB, e.tenantID, "mail")
		return at != nil && *at == "infinity"
	}, 5*time.Second, 20*time.Millisecond, "once delivered, the tenant has no mail due")
}

// BenchmarkReminderPassOverIdleTenants is one pass of the reminder
// scheduler over a database of idle tenants (200, or BENCH_TENANTS): what
// the workers of every comms process cost, every PollInterval, with nothing
// to do. Run:
//
//	go test ./subgraphs/comms -run '^$' -bench IdleTenants
func BenchmarkReminderPassOverIdleTenants(b *testing.B) {
	n := 200
	if v, err := strconv.Atoi(os.Getenv("BENCH_TENANTS")); err == nil {
		n = v
	}
	db := testenv.DB(b, "idlebench", subgraphs.TenantDomains()...)
	ids := make([]string, n)
	for i := range ids {
		tn, err := db.Provision(context.Background(), fmt.Sprint("Idle ", i), "bench-"+tenancy.NewID()[16:], func(pgx.Tx, tenancy.Tenant) error { return nil })
		require.NoError(b, err)
		ids[i] = tn.ID
	}
	svc := comms.New(db, comms.Config{}, nil)
	b.Run("due-work-index", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			svc.ReminderPass(context.Background())
		}
	})
	// What a pass cost before the index: a look into every tenant's schema.
	b.Run("every-tenant-schema", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, id := range ids {
				require.NoError(b, svc.FireReminders(context.Background(), id))
			}
		}
	})
}
