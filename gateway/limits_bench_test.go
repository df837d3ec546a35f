package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// thirtySixMillion is companies > contacts > deals > tasks in pages of 60,
// 60, 100 and 100: 36 million potential objects over three subgraphs.
const thirtySixMillion = `{ companies(first: 60) { edges { node { contacts(first: 60) { edges { node {
	deals(first: 100) { edges { node { tasks(first: 100) { totalCount } } } } } } } } } } }`

// BenchmarkRefusals times, through the whole gateway (HTTP included), the
// refusal of a fragment bomb and of the 36-million-object query, each as a
// document the gateway has not seen (a comment makes each one new) and,
// for the latter, as a known one (its analysis cached). Run:
//
//	go test ./gateway -run '^$' -bench Refusals -benchtime 2s
func BenchmarkRefusals(b *testing.B) {
	bb := setup(b)
	tok := bearer(bb.token(b))
	refused := func(b *testing.B, query func(i int) string) {
		client := &http.Client{}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			body, _ := json.Marshal(map[string]string{"query": query(i)})
			req, _ := http.NewRequest(http.MethodPost, bb.URL+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", tok)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(raw, []byte("COMPLEXITY_LIMIT_EXCEEDED")) {
				b.Fatalf("not refused: %d %s", resp.StatusCode, raw)
			}
		}
	}
	bomb := fragmentBomb()
	b.Run("fragment-bomb", func(b *testing.B) {
		refused(b, func(i int) string { return fmt.Sprintf("%s\n# %d", bomb, i) })
	})
	b.Run("36M-objects-new-document", func(b *testing.B) {
		refused(b, func(i int) string { return fmt.Sprintf("%s\n# %d", thirtySixMillion, i) })
	})
	b.Run("36M-objects-known-document", func(b *testing.B) {
		refused(b, func(int) string { return thirtySixMillion })
	})
}
