package gateway_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/opencrm/pkg/tenancy"
)

// BenchmarkAPIKeyVsJWT is one request through the gateway to the real
// subgraphs (the caller, its organisation's name from the tenant subgraph,
// and a count of contacts: three subgraphs), sent with a person's access
// token and with an API key, warm (the key exchanged and every token
// remembered). "interleaved" alternates the two in one loop, so both meet
// the same machine load, and reports the ratio of their medians. Run:
//
//	go test ./gateway -run '^$' -bench APIKeyVsJWT -benchtime 2000x
func BenchmarkAPIKeyVsJWT(b *testing.B) {
	e := startE2E(b)
	admin := e.signUp(b, "kbench-"+strings.ToLower(tenancy.NewID()[18:]))
	_, key := e.apiKeyOf(b, admin.AccessToken, "ADMIN", "USERS_READ", "CONTACTS_READ")
	const query = `{ me { id email tenant { name } } contacts(first: 5) { totalCount } }`
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	for _, tok := range []string{admin.AccessToken, key} {
		postGraphQL(b, client, e.url, tok, query) // warm: exchanged, verified, remembered
	}
	b.Run("jwt", func(b *testing.B) { timed(b, func() { postGraphQL(b, client, e.url, admin.AccessToken, query) }) })
	b.Run("api-key", func(b *testing.B) { timed(b, func() { postGraphQL(b, client, e.url, key, query) }) })
	b.Run("interleaved", func(b *testing.B) {
		var jwt, withKey []time.Duration
		for b.Loop() {
			t0 := time.Now()
			postGraphQL(b, client, e.url, admin.AccessToken, query)
			t1 := time.Now()
			postGraphQL(b, client, e.url, key, query)
			jwt, withKey = append(jwt, t1.Sub(t0)), append(withKey, time.Since(t1))
		}
		slices.Sort(jwt)
		slices.Sort(withKey)
		p50 := func(d []time.Duration) float64 { return float64(d[len(d)/2].Microseconds()) / 1000 }
		b.ReportMetric(p50(jwt), "jwt-p50-ms")
		b.ReportMetric(p50(withKey), "key-p50-ms")
		b.ReportMetric(p50(withKey)/p50(jwt), "key/jwt-p50")
	})
}
