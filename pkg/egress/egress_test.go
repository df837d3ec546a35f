package egress_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/egress"
)

func TestControlRefusesEveryNonPublicAddress(t *testing.T) {
	refused := []string{
		"127.0.0.1:443", "127.1.2.3:80", "[::1]:443",
		"10.0.0.1:443", "172.16.5.4:443", "172.31.255.255:443", "192.168.1.1:443",
		"169.254.169.254:80", "169.254.0.1:443", "[fe80::1]:443",
		"100.64.0.1:443", "100.127.255.254:443",
		"[fd00:ec2::254]:80", "[fc00::1]:443", "[fd12:3456::1]:443",
		"0.0.0.0:443", "[::]:443", "[::ffff:10.0.0.1]:443", "[::ffff:127.0.0.1]:443", "[::ffff:169.254.169.254]:80",
		"[64:ff9b::a00:1]:443", "224.0.0.1:443", "[ff02::1]:443", "255.255.255.255:443",
		"192.0.2.1:443", "198.18.0.1:443", "240.0.0.1:443",
	}
	allowed := []string{"93.184.216.34:443", "8.8.8.8:53", "[2606:4700:4700::1111]:443", "100.128.0.1:443", "172.32.0.1:443", "1.1.1.1:80"}
	strict := egress.Guard{}
	for _, a := range refused {
		err := strict.Control("tcp", a, nil)
		assert.ErrorIs(t, err, egress.ErrRefused, "%s must be refused", a)
	}
	for _, a := range allowed {
		assert.NoError(t, strict.Control("tcp", a, nil), "%s is public", a)
	}
	assert.ErrorIs(t, strict.Control("udp", "8.8.8.8:53", nil), egress.ErrRefused, "TCP only")
	assert.ErrorIs(t, strict.Control("tcp", "not-an-address", nil), egress.ErrRefused)

	dev := egress.Guard{AllowLoopback: true}
	assert.NoError(t, dev.Control("tcp", "127.0.0.1:8080", nil), "loopback when configured")
	assert.NoError(t, dev.Control("tcp", "[::1]:8080", nil))
	assert.ErrorIs(t, dev.Control("tcp", "10.0.0.1:443", nil), egress.ErrRefused, "private stays refused")
	assert.ErrorIs(t, dev.Control("tcp", "169.254.169.254:80", nil), egress.ErrRefused, "metadata stays refused")
}

func TestClientRefusesLoopbackAtConnectTimeAndFollowsNoRedirect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, strings.Repeat("x", 5000))
	}))
	t.Cleanup(srv.Close)
	// A name that resolves to loopback is refused like the address itself:
	// the check is on the resolved address.
	host := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	for _, u := range []string{srv.URL, host} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
		_, err := egress.Guard{}.Client(5 * time.Second).Do(req)
		require.Error(t, err, u)
		assert.True(t, errors.Is(err, egress.ErrRefused), "%s: %v", u, err)
	}

	c := egress.Guard{AllowLoopback: true}.Client(5 * time.Second)
	resp, err := c.Get(srv.URL + "/redirect")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode, "the redirect is the answer")

	resp, err = c.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Len(t, egress.ReadAtMost(resp.Body, 1024), 1024)
}
