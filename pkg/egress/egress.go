// Package egress makes outbound HTTP requests to addresses that customers
// choose (webhook endpoints) without letting them reach the platform's own
// network: the address a connection is about to use is checked at connect
// time (net.Dialer.Control sees the resolved IP), so a name that resolves to
// a public address when checked and to a private one when used (DNS
// rebinding) still fails. Redirects are not followed and response bodies are
// read up to a limit.
package egress

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrRefused is the error of a connection to an address the guard refuses.
var ErrRefused = errors.New("egress: address not allowed")

// Guard decides which addresses outbound connections may reach. The zero
// value is strict: only public unicast addresses.
type Guard struct {
	// AllowLoopback lets connections reach 127.0.0.0/8 and ::1 (development
	// and tests, whose receivers listen there). Never in production.
	AllowLoopback bool
}

// blocked are the networks no outbound request may reach besides loopback:
// private (RFC 1918, unique local), link-local (with the cloud metadata
// service 169.254.169.254), CGNAT shared space, "this network", benchmark,
// documentation, multicast and reserved ranges, IPv4-mapped and NAT64
// forms of them, and AWS's IPv6 metadata address fd00:ec2::254 (inside
// fc00::/7).
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Allowed reports whether a connection may reach ip.
func (g Guard) Allowed(ip netip.Addr) bool {
	ip = ip.Unmap() // ::ffff:10.0.0.1 is 10.0.0.1
	if !ip.IsValid() {
		return false
	}
	if ip.IsLoopback() {
		return g.AllowLoopback
	}
	if ip.IsUnspecified() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// Control is a net.Dialer.Control that refuses every address the guard does
// not allow: it runs after name resolution, on the address about to be
// connected to.
func (g Guard) Control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %s", ErrRefused, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefused, address)
	}
	if !g.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrRefused, ap.Addr())
	}
	return nil
}

// Client returns an HTTP client whose connections pass the guard, that
// never follows redirects (a 3xx is the answer), uses no proxy from the
// environment (a proxy would connect for us, unchecked), and gives up after
// timeout.
func (g Guard) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.Control}
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport:     t,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ReadAtMost reads up to n bytes of r and discards (up to a bound) the
// rest, so the connection can be reused without reading an endless body.
func ReadAtMost(r io.Reader, n int64) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, n))
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10))
	return b
}
