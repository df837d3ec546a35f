package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// JWKSPath is where the identity subgraph publishes its public keys.
const JWKSPath = "/.well-known/jwks.json"

// JWKSHandler serves the key set's public keys.
func JWKSHandler(ks *KeySet) http.Handler {
	body, _ := json.Marshal(ks.JWKS())
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(body)
	})
}

// RemoteKeys is a KeySource that reads a JWKS over HTTP. It caches the keys
// and fetches them again when a token names a key it does not know (after a
// rotation), at most once per MinRefresh.
type RemoteKeys struct {
	URL        string
	Client     *http.Client
	MinRefresh time.Duration

	mu      sync.Mutex
	keys    map[string]ed25519.PublicKey
	fetched time.Time
}

// NewRemoteKeys returns a RemoteKeys for url with sensible timeouts.
func NewRemoteKeys(url string) *RemoteKeys {
	return &RemoteKeys{URL: url, Client: &http.Client{Timeout: 5 * time.Second}, MinRefresh: 10 * time.Second}
}

// PublicKey implements KeySource.
func (r *RemoteKeys) PublicKey(kid string) (ed25519.PublicKey, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k, ok := r.keys[kid]; ok {
		return k, true
	}
	if time.Since(r.fetched) < r.MinRefresh {
		return nil, false
	}
	r.fetched = time.Now()
	keys, err := r.fetch(context.Background())
	if err != nil {
		slog.Warn("jwks: fetch failed", "url", r.URL, "err", err)
		return nil, false
	}
	r.keys = keys
	k, ok := r.keys[kid]
	return k, ok
}

func (r *RemoteKeys) fetch(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	var set JWKS
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return nil, err
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if k.KeyType != "OKP" || k.Curve != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			continue
		}
		keys[k.KeyID] = ed25519.PublicKey(x)
	}
	return keys, nil
}
