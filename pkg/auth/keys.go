package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// KeySet holds the Ed25519 keys tokens are signed with: the first signs, all
// verify. Rotation adds a new key in front and keeps the old one until the
// last token it signed has expired.
type KeySet struct {
	signKID string
	signKey ed25519.PrivateKey
	public  map[string]ed25519.PublicKey
	order   []string
}

// ParseKeySet reads keys written as "kid:base64-seed,kid:base64-seed", the
// form of the JWT_SIGNING_KEYS variable; each seed is 32 bytes.
func ParseKeySet(spec string) (*KeySet, error) {
	ks := &KeySet{public: map[string]ed25519.PublicKey{}}
	for i, part := range strings.Split(spec, ",") {
		kid, seed64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || kid == "" {
			return nil, fmt.Errorf("auth: key %d: want kid:base64-seed", i+1)
		}
		seed, err := base64.StdEncoding.DecodeString(seed64)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("auth: key %q: want a base64 %d-byte Ed25519 seed", kid, ed25519.SeedSize)
		}
		if _, dup := ks.public[kid]; dup {
			return nil, fmt.Errorf("auth: key id %q appears twice", kid)
		}
		priv := ed25519.NewKeyFromSeed(seed)
		if i == 0 {
			ks.signKID, ks.signKey = kid, priv
		}
		ks.public[kid] = priv.Public().(ed25519.PublicKey)
		ks.order = append(ks.order, kid)
	}
	return ks, nil
}

// GenerateKeySpec returns a new key in the form ParseKeySet reads.
func GenerateKeySpec(kid string) string {
	seed := make([]byte, ed25519.SeedSize)
	_, _ = rand.Read(seed)
	return kid + ":" + base64.StdEncoding.EncodeToString(seed)
}

// PublicKey returns the verification key with the given id.
func (ks *KeySet) PublicKey(kid string) (ed25519.PublicKey, bool) {
	k, ok := ks.public[kid]
	return k, ok
}

// JWKS returns the public keys as a JSON Web Key Set.
func (ks *KeySet) JWKS() JWKS {
	var set JWKS
	for _, kid := range ks.order {
		set.Keys = append(set.Keys, JWK{
			KeyType: "OKP", Curve: "Ed25519", Use: "sig", Alg: "EdDSA", KeyID: kid,
			X: base64.RawURLEncoding.EncodeToString(ks.public[kid]),
		})
	}
	return set
}

// JWKS is a JSON Web Key Set (RFC 7517).
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWK is one Ed25519 public key (RFC 8037).
type JWK struct {
	KeyType string `json:"kty"`
	Curve   string `json:"crv"`
	Use     string `json:"use,omitempty"`
	Alg     string `json:"alg,omitempty"`
	KeyID   string `json:"kid"`
	X       string `json:"x"`
}
