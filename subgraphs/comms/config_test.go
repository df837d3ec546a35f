package comms

import (
	"strings"
	"testing"
)

// A bad mail or URL setting stops the process at start-up, named.
func TestLoadConfigRefusesBadValuesByName(t *testing.T) {
	for _, tc := range []struct{ key, value string }{
		{"SMTP_PORT", "smtp"},
		{"SMTP_PORT", "70000"},
		{"SMTP_TLS", "maybe"},
		{"COMMS_PUBLIC_URL", "crm.example.com/comms"},
		{"APP_URL", "ftp://crm.example.com"},
		{"MAIL_FROM", "no address here"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			_, err := LoadConfig(func(k string) string {
				if k == tc.key {
					return tc.value
				}
				return ""
			})
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("error %v does not name %s", err, tc.key)
			}
		})
	}
}

func TestLoadConfigRequiresTheSecretsInProduction(t *testing.T) {
	_, err := LoadConfig(func(k string) string {
		if k == "ENVIRONMENT" {
			return "production"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "COMMS_TRACKING_SECRET") {
		t.Errorf("error: %v", err)
	}
}
