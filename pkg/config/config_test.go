package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/config"
)

var services = []config.Service{
	{Name: "identity", Port: 8080, URLVar: "IDENTITY_SERVICE_URL"},
	{Name: "contact", Port: 8082, URLVar: "CONTACT_SERVICE_URL"},
}

// vars are every variable Load reads: each test starts without any of
// them, whatever the environment of the test process holds.
var vars = []string{
	"ENVIRONMENT", "LOG_LEVEL", "DATABASE_URL", "REDIS_URL", "NATS_URL", "JWT_SIGNING_KEYS",
	"JWT_ISSUER", "JWT_AUDIENCE", "STATE_DIR", "METRICS_TOKEN", "INTROSPECTION", "PORT",
	"GATEWAY_PORT", "MIGRATE_PARALLELISM", "API_KEY_RATE_LIMIT", "SUBGRAPH_TIMEOUT",
	"SHUTDOWN_TIMEOUT", "IDENTITY_SERVICE_URL", "CONTACT_SERVICE_URL",
}

func cleanEnv(t *testing.T, set map[string]string) {
	t.Helper()
	for _, k := range vars {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	t.Setenv("STATE_DIR", t.TempDir())
	for k, v := range set {
		t.Setenv(k, v)
	}
}

var production = map[string]string{
	"ENVIRONMENT": "production", "JWT_SIGNING_KEYS": auth.GenerateKeySpec("k1"), "METRICS_TOKEN": "secret",
}

func with(base map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for bk, bv := range base {
		if bk != k {
			out[bk] = bv
		}
	}
	return out
}

func TestTheDefaultsServeADeveloperMachine(t *testing.T) {
	cleanEnv(t, nil)
	c, err := config.Load(services)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Development() || c.GatewayPort != 4000 || c.ShutdownTimeout != 15*time.Second || c.MigrateParallelism != 4 {
		t.Errorf("defaults: %+v", c)
	}
	if c.SubgraphURLs["contact"] != "http://127.0.0.1:8082" {
		t.Errorf("contact URL: %q", c.SubgraphURLs["contact"])
	}
}

func TestProductionStartsWithItsRequiredVariables(t *testing.T) {
	cleanEnv(t, with(production, "CONTACT_SERVICE_URL", "http://contact:8082/"))
	c, err := config.Load(services)
	if err != nil {
		t.Fatal(err)
	}
	if c.Development() || c.Introspection || c.DevSigningKeyFile != "" {
		t.Errorf("production: %+v", c)
	}
	if c.SubgraphURLs["contact"] != "http://contact:8082" {
		t.Errorf("contact URL keeps its trailing slash: %q", c.SubgraphURLs["contact"])
	}
}

// Each bad value stops the process with an error naming the variable.
func TestABadVariableIsRefusedByName(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // the variable the error names
	}{
		{"unknown environment", map[string]string{"ENVIRONMENT": "prod"}, "ENVIRONMENT"},
		{"unknown log level", map[string]string{"LOG_LEVEL": "verbose"}, "LOG_LEVEL"},
		{"malformed database URL", map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:54x32/opencrm"}, "DATABASE_URL"},
		{"database URL of another scheme", map[string]string{"DATABASE_URL": "mysql://root@127.0.0.1/opencrm"}, "DATABASE_URL"},
		{"database string that is neither", map[string]string{"DATABASE_URL": "opencrm on localhost"}, "DATABASE_URL"},
		{"empty database URL", map[string]string{"DATABASE_URL": ""}, "DATABASE_URL"},
		{"Redis URL without scheme", map[string]string{"REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL"},
		{"Redis URL of another scheme", map[string]string{"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL"},
		{"one bad server of a NATS cluster", map[string]string{"NATS_URL": "nats://a:4222,b:4222"}, "NATS_URL"},
		{"subgraph URL without host", map[string]string{"CONTACT_SERVICE_URL": "http:///graphql"}, "CONTACT_SERVICE_URL"},
		{"subgraph URL that is not http", map[string]string{"IDENTITY_SERVICE_URL": "identity:8080"}, "IDENTITY_SERVICE_URL"},
		{"non-numeric port", map[string]string{"PORT": "eighty"}, "PORT"},
		{"port out of range", map[string]string{"GATEWAY_PORT": "70000"}, "GATEWAY_PORT"},
		{"non-numeric limit", map[string]string{"API_KEY_RATE_LIMIT": "lots"}, "API_KEY_RATE_LIMIT"},
		{"negative limit", map[string]string{"API_KEY_RATE_LIMIT": "-1"}, "API_KEY_RATE_LIMIT"},
		{"no migration at all", map[string]string{"MIGRATE_PARALLELISM": "0"}, "MIGRATE_PARALLELISM"},
		{"duration without unit", map[string]string{"SUBGRAPH_TIMEOUT": "5"}, "SUBGRAPH_TIMEOUT"},
		{"negative duration", map[string]string{"SHUTDOWN_TIMEOUT": "-15s"}, "SHUTDOWN_TIMEOUT"},
		{"not a boolean", map[string]string{"INTROSPECTION": "sometimes"}, "INTROSPECTION"},
		{"empty issuer", map[string]string{"JWT_ISSUER": ""}, "JWT_ISSUER"},
		{"malformed signing key", map[string]string{"JWT_SIGNING_KEYS": "k1:not-base64"}, "JWT_SIGNING_KEYS"},
		{"production without signing keys", with(production, "JWT_SIGNING_KEYS", ""), "JWT_SIGNING_KEYS"},
		{"production without metrics token", with(production, "METRICS_TOKEN", ""), "METRICS_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t, tc.env)
			_, err := config.Load(services)
			if err == nil {
				t.Fatalf("%v was accepted", tc.env)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("the error does not name %s: %v", tc.want, err)
			}
		})
	}
}

func TestEveryBadVariableIsReportedAtOnce(t *testing.T) {
	cleanEnv(t, map[string]string{"PORT": "x", "REDIS_URL": "x", "SUBGRAPH_TIMEOUT": "x"})
	_, err := config.Load(services)
	for _, name := range []string{"PORT", "REDIS_URL", "SUBGRAPH_TIMEOUT"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s missing from %v", name, err)
		}
	}
}

func TestErrorsDoNotRepeatPasswords(t *testing.T) {
	cleanEnv(t, map[string]string{"REDIS_URL": "http://user:hunter2@127.0.0.1:6379", "DATABASE_URL": "postgres://u:hunter2@db:x/opencrm"})
	_, err := config.Load(services)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error: %v", err)
	}
}

// `make run` restarted keeps its signing key, so it keeps everyone signed in.
func TestDevelopmentKeepsItsSigningKeyAcrossRestarts(t *testing.T) {
	cleanEnv(t, nil)
	dir := filepath.Join(t.TempDir(), "state")
	t.Setenv("STATE_DIR", dir)

	first, err := config.Load(services)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(first.DevSigningKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	second, err := config.Load(services)
	if err != nil {
		t.Fatal(err)
	}
	if first.JWTSigningKeys == "" || first.JWTSigningKeys != second.JWTSigningKeys {
		t.Fatalf("the second start has another key")
	}

	keys := func(c config.Config) *auth.KeySet {
		ks, err := auth.ParseKeySet(c.JWTSigningKeys)
		if err != nil {
			t.Fatal(err)
		}
		return ks
	}
	issuer := &auth.Issuer{Keys: keys(first), Issuer: first.JWTIssuer, Audience: first.JWTAudience}
	token, _, err := issuer.Issue(auth.Identity{UserID: "u1", TenantID: "01J0000000000000000000TEST", Email: "a@example.com", Role: auth.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	verifier := &auth.Verifier{Keys: keys(second), Issuer: second.JWTIssuer, Audience: second.JWTAudience}
	id, err := verifier.Verify(token)
	if err != nil || id.UserID != "u1" {
		t.Fatalf("a token of the first start does not verify after the restart: %v", err)
	}
}

func TestAnotherStateDirectoryIsAnotherKey(t *testing.T) {
	cleanEnv(t, nil)
	a, err := config.Load(services)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("STATE_DIR", t.TempDir())
	b, err := config.Load(services)
	if err != nil {
		t.Fatal(err)
	}
	if a.JWTSigningKeys == b.JWTSigningKeys {
		t.Error("two state directories share a key")
	}
}

func TestProductionNeverFallsBackToAKeyOnDisk(t *testing.T) {
	cleanEnv(t, with(production, "JWT_SIGNING_KEYS", ""))
	dir := os.Getenv("STATE_DIR")
	if _, err := config.Load(services); err == nil {
		t.Fatal("production started without JWT_SIGNING_KEYS")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("production wrote %v into the state directory", entries)
	}
}

func TestAnUnwritableStateDirectoryIsRefusedByName(t *testing.T) {
	cleanEnv(t, nil)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STATE_DIR", filepath.Join(file, "state"))
	if _, err := config.Load(services); err == nil || !strings.Contains(err.Error(), "STATE_DIR") {
		t.Fatalf("error: %v", err)
	}
}

func TestACorruptKeyFileIsRefusedNotReplaced(t *testing.T) {
	cleanEnv(t, nil)
	dir := os.Getenv("STATE_DIR")
	file := filepath.Join(dir, "jwt-signing-keys")
	if err := os.WriteFile(file, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(services); err == nil || !strings.Contains(err.Error(), "STATE_DIR") {
		t.Fatalf("error: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "garbage" {
		t.Error("the file was overwritten")
	}
}
