package webhooks

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// secretPrefix starts every signing secret (Standard Webhooks): the rest is
// the base64 of the HMAC key.
const secretPrefix = "whsec_"

// secretBytes is the length of a new HMAC key.
const secretBytes = 32

// newSecret returns a new signing secret, whsec_ + base64 of 32 random bytes.
func newSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// sealer seals and opens signing secrets with AES-256-GCM; the additional
// data binds a sealed secret to its tenant and endpoint, so a row copied
// elsewhere does not open.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) sealer {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return sealer{aead: aead}
}

func aad(tenantID, endpointID string) []byte { return []byte(tenantID + "/" + endpointID) }

// seal returns nonce || ciphertext of secret.
func (s sealer) seal(tenantID, endpointID, secret string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, []byte(secret), aad(tenantID, endpointID))
}

// open returns the secret sealed in b.
func (s sealer) open(tenantID, endpointID string, b []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(b) < n {
		return "", errors.New("webhooks: sealed secret too short")
	}
	plain, err := s.aead.Open(nil, b[:n], b[n:], aad(tenantID, endpointID))
	if err != nil {
		return "", errors.New("webhooks: cannot open the endpoint's secret (WEBHOOK_SECRET_KEY changed?)")
	}
	return string(plain), nil
}

// sign returns the webhook-signature header of a message signed with each
// secret ("v1,<base64>" each, space-separated): during a rotation's
// overlap the old and the new secret both sign, so a receiver that knows
// either verifies it.
func sign(secrets []string, id string, at time.Time, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			return "", err
		}
		sig, err := wh.Sign(id, at, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// timestampHeader is webhook-timestamp: Unix seconds.
func timestampHeader(at time.Time) string { return strconv.FormatInt(at.Unix(), 10) }
