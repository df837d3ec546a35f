package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/opencrm/opencrm/pkg/tenancy"
)

// BenchmarkIdempotency is the cost of an Idempotency-Key on a mutation
// through the gateway (fake identity subgraph, the development Redis):
// without the header; with a new key each time (claim, run, keep: two
// Redis round trips); with one key (the replay: one round trip, no
// subgraph). Run:
//
//	go test ./gateway -run '^$' -bench Idempotency -benchtime 2000x
func BenchmarkIdempotency(b *testing.B) {
	bb := setup(b, withRedis(testRedis(b)))
	tok := bearer(bb.token(b))
	body, _ := json.Marshal(map[string]string{"query": `mutation { logout(input: {refreshToken: "r"}) }`})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	send := func(b *testing.B, key string) {
		req, _ := http.NewRequest(http.MethodPost, bb.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", tok)
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.Run("no-key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			send(b, "")
		}
	})
	b.Run("new-key", func(b *testing.B) {
		prefix := tenancy.NewID()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			send(b, prefix+strconv.Itoa(i))
		}
	})
	b.Run("replay", func(b *testing.B) {
		key := tenancy.NewID()
		send(b, key)
		b.ReportAllocs()
		for b.Loop() {
			send(b, key)
		}
	})
}
