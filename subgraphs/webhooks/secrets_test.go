package webhooks

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/events"
)

// The Standard Webhooks specification's published test vector.
func TestSignaturesMatchTheSpecificationsTestVector(t *testing.T) {
	sig, err := sign([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	require.NoError(t, err)
	assert.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", sig)

	both, err := sign([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", newSecret()}, "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(both, sig+" v1,"), "during a rotation both sign, space-separated")
}

func TestSecretsAreLongEnoughAndSealedPerEndpoint(t *testing.T) {
	s := newSecret()
	assert.True(t, strings.HasPrefix(s, "whsec_"))
	assert.Len(t, s, len("whsec_")+44, "32 random bytes")
	assert.NotEqual(t, s, newSecret())

	sl := newSealer(Config{SecretKey: []byte("k")}.aeadKey())
	sealed := sl.seal("tenant-a", "endpoint-1", s)
	assert.NotContains(t, string(sealed), s[6:])
	got, err := sl.open("tenant-a", "endpoint-1", sealed)
	require.NoError(t, err)
	assert.Equal(t, s, got)
	_, err = sl.open("tenant-b", "endpoint-1", sealed)
	assert.Error(t, err, "bound to its tenant")
	_, err = sl.open("tenant-a", "endpoint-2", sealed)
	assert.Error(t, err, "and its endpoint")
	_, err = newSealer(Config{SecretKey: []byte("other")}.aeadKey()).open("tenant-a", "endpoint-1", sealed)
	assert.Error(t, err, "and the key")
}

func TestPatternsMatchTypesDomainsAndEverything(t *testing.T) {
	assert.True(t, matches([]string{"*"}, events.TaskCreated))
	assert.True(t, matches([]string{"deal.*"}, events.DealClosedWon))
	assert.False(t, matches([]string{"deal.*"}, events.ContactCreated))
	assert.True(t, matches([]string{"contact.created"}, events.ContactCreated))
	assert.False(t, matches([]string{"contact.created"}, events.ContactUpdated))
	assert.False(t, matches([]string{"contact.*"}, events.CompanyCreated), "contact. is not a prefix of company.")

	got, err := checkPatterns("f", []string{"deal.*", " deal.* ", "contact.created", "*"})
	require.NoError(t, err)
	assert.Equal(t, []string{"*", "contact.created", "deal.*"}, got)
	for _, bad := range []string{"", "deal", "deal.>", "*.created", "deals.*", "contact.exploded", "DEAL.*"} {
		_, err := checkPatterns("f", []string{bad})
		assert.Error(t, err, bad)
	}
}

func TestFiltersCompareScalarsByValueAndKind(t *testing.T) {
	data := map[string]any{"pipeline_id": "p1", "value": 12000.0, "won": true}
	assert.True(t, selects(map[string]any{"pipeline_id": "p1"}, data))
	assert.True(t, selects(map[string]any{"value": 12000, "won": true}, data))
	assert.False(t, selects(map[string]any{"value": "12000"}, data), "a string is not a number")
	assert.False(t, selects(map[string]any{"pipeline_id": "p2"}, data))
	assert.True(t, selects(map[string]any{"owner_id": nil}, data), "a missing field is null")
	assert.False(t, selects(map[string]any{"owner_id": "u1"}, data))
	assert.True(t, selects(nil, data))
}

func TestEveryCatalogueTypeHasADescriptionAndAnExample(t *testing.T) {
	for _, et := range Catalogue() {
		assert.NotEmpty(t, et.Description, et.Type)
		assert.Equal(t, et.Type, et.Example["type"])
		assert.NotEmpty(t, et.Example["data"], et.Type)
	}
	assert.Len(t, Catalogue(), len(events.Catalogue))
}

func TestTheExampleOfAnUpdateNamesTheChangedFieldWithItsOldAndNewValues(t *testing.T) {
	examples := map[string]map[string]any{}
	for _, et := range Catalogue() {
		examples[et.Type] = et.Example["data"].(map[string]any)
	}
	for typ, field := range map[string]string{"deal.updated": "title", "task.updated": "title", "activity.updated": "subject"} {
		data := examples[typ]
		require.NotNil(t, data, typ)
		assert.Equal(t, []any{field}, data["changed"], typ)
		assert.Equal(t, map[string]any{field: map[string]any{"old": "example old " + field, "new": data[field]}}, data["changes"], typ)
	}
	assert.Contains(t, examples, "deal.deleted")
	assert.Contains(t, examples, "activity.deleted")
}

func TestProductionRequiresTheSecretKeyAndRefusesLoopback(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	_, err := LoadConfig(env(map[string]string{"ENVIRONMENT": "production"}))
	assert.Error(t, err)
	_, err = LoadConfig(env(map[string]string{"ENVIRONMENT": "production", "WEBHOOK_SECRET_KEY": strings.Repeat("k", 32), "WEBHOOK_ALLOW_LOOPBACK": "true"}))
	assert.Error(t, err)
	c, err := LoadConfig(env(map[string]string{"ENVIRONMENT": "production", "WEBHOOK_SECRET_KEY": strings.Repeat("k", 32),
		"WEBHOOK_ALLOWED_HTTP_HOSTS": "Hooks.Internal.Example, other.example"}))
	require.NoError(t, err)
	assert.False(t, c.Development)
	assert.False(t, c.Egress.AllowLoopback)
	assert.Equal(t, []string{"hooks.internal.example", "other.example"}, c.AllowedHTTPHosts)
	s := New(nil, c, nil)
	_, err = s.checkURL("u", "http://hooks.internal.example/in")
	assert.NoError(t, err, "an allow-listed host may use http")
	_, err = s.checkURL("u", "http://hooks.example.com/in")
	assert.Error(t, err)
	dev, err := LoadConfig(env(nil))
	require.NoError(t, err)
	assert.True(t, dev.Development)
}

func TestExcerptsAreStorableTextOfAtMostAKiB(t *testing.T) {
	assert.Equal(t, "ok", excerpt([]byte("ok")))
	assert.Equal(t, "a\uFFFDb", excerpt([]byte("a\xffb\x00")))
	long := excerpt([]byte(strings.Repeat("\xff", 1024)))
	assert.LessOrEqual(t, len(long), 1024)
	assert.True(t, strings.HasPrefix(long, "\uFFFD"))
}
