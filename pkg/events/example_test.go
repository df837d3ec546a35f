package events_test

import (
	"context"
	"os"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/opencrm/opencrm/pkg/database"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// A process that writes events runs a relay; one that reacts to them runs
// a consumer per purpose. Both stop, flushing, when ctx is cancelled.
func Example_wiring() {
	ctx := context.Background()
	pool, err := database.NewPool(ctx, os.Getenv("DATABASE_URL"), database.Options{})
	if err != nil {
		panic(err)
	}
	db := &tenancy.DB{
		Pool:     pool,
		Platform: []tenancy.Domain{{Name: "tenancy", FS: tenancy.Migrations()}, {Name: "events", FS: events.Migrations()}},
		Tenant:   []tenancy.Domain{{Name: "events", FS: events.TenantMigrations()} /* , the subgraphs' */},
	}
	nc, js, err := events.Connect(os.Getenv("NATS_URL"), "opencrm comms")
	if err != nil {
		panic(err)
	}
	defer nc.Drain()

	relay := events.NewRelay(db, js, events.RelayConfig{})
	followUps, err := events.NewConsumer(db, js, events.ConsumerConfig{
		Subgraph: "comms", Purpose: "deal-won", Subjects: []string{"deal.closed_won"},
	}, func(ctx context.Context, tx pgx.Tx, e events.Event) error {
		deal, err := events.Decode[events.DealPayload](e)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO activities (type, subject, deal_id) VALUES ('note', 'Deal closed won', $1)", deal.DealID)
		return err
	})
	if err != nil {
		panic(err)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return relay.Run(ctx) })
	g.Go(func() error { return followUps.Run(ctx) })
	_ = g.Wait()
}
