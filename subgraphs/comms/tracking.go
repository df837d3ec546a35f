package comms

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// Tracking routes on the comms HTTP server. Every tracking link is signed
// with the tracking secret over what it names (the tenant, the message and,
// for a click, the target), so a link cannot be forged or pointed elsewhere:
// a tampered link answers 404 and records nothing.
const (
	OpenPath    = "/comms/o/"
	ClickPath   = "/comms/c/"
	WebhookPath = "/comms/webhooks/delivery"
	// SignatureHeader carries a webhook's "sha256=<hex HMAC of the body>".
	SignatureHeader = "X-Signature"
)

// Routes returns the comms subgraph's extra HTTP routes: the open pixel, the
// click redirect and the delivery webhook.
func (s *Service) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET " + OpenPath + "{tenant}/{message}/{sig}":  http.HandlerFunc(s.serveOpen),
		"GET " + ClickPath + "{tenant}/{message}/{sig}": http.HandlerFunc(s.serveClick),
		"POST " + WebhookPath:                           http.HandlerFunc(s.serveWebhook),
	}
}

func (s *Service) sign(parts ...string) string {
	mac := hmac.New(sha256.New, s.Config.TrackingSecret)
	mac.Write([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:24])
}

func (s *Service) signed(sig string, parts ...string) bool {
	return hmac.Equal([]byte(sig), []byte(s.sign(parts...)))
}

// OpenURL is the open pixel's address for a message.
func (s *Service) OpenURL(tenantID, messageID string) string {
	return s.Config.PublicURL + OpenPath + tenantID + "/" + messageID + "/" + s.sign("open", tenantID, messageID)
}

// ClickURL is the address that records a click on target and redirects to it.
func (s *Service) ClickURL(tenantID, messageID, target string) string {
	return s.Config.PublicURL + ClickPath + tenantID + "/" + messageID + "/" +
		s.sign("click", tenantID, messageID, target) + "?u=" + url.QueryEscape(target)
}

var link = regexp.MustCompile(`(?i)(<a\s[^>]*?href\s*=\s*)("[^"]*"|'[^']*')`)

// tracked rewrites the http(s) links of an HTML body into click redirects
// and appends the open pixel.
func (s *Service) tracked(tenantID, messageID, body string) string {
	body = link.ReplaceAllStringFunc(body, func(m string) string {
		sub := link.FindStringSubmatch(m)
		target := html.UnescapeString(sub[2][1 : len(sub[2])-1])
		if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return m
		}
		return sub[1] + `"` + html.EscapeString(s.ClickURL(tenantID, messageID, target)) + `"`
	})
	pixel := `<img src="` + html.EscapeString(s.OpenURL(tenantID, messageID)) + `" width="1" height="1" alt="" style="display:none">`
	if i := strings.LastIndex(strings.ToLower(body), "</body>"); i >= 0 {
		return body[:i] + pixel + body[i:]
	}
	return body + pixel
}

// A transparent 1×1 GIF.
var pixelGIF, _ = base64.StdEncoding.DecodeString("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

func (s *Service) serveOpen(w http.ResponseWriter, r *http.Request) {
	tenant, msg := r.PathValue("tenant"), r.PathValue("message")
	if !s.signed(r.PathValue("sig"), "open", tenant, msg) || s.record(r.Context(), tenant, msg, "") != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/gif")
	w.Header().Set("Cache-Control", "no-store, max-age=0")
	_, _ = w.Write(pixelGIF)
}

func (s *Service) serveClick(w http.ResponseWriter, r *http.Request) {
	tenant, msg, target := r.PathValue("tenant"), r.PathValue("message"), r.URL.Query().Get("u")
	if !s.signed(r.PathValue("sig"), "click", tenant, msg, target) || s.record(r.Context(), tenant, msg, target) != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// record counts an open (target "") or a click of a message, emitting
// email.opened at the first open and email.clicked at every click.
func (s *Service) record(ctx context.Context, tenantID, messageID, target string) error {
	if ValidID("", tenantID) != nil || ValidID("", messageID) != nil {
		return errors.New("not an id")
	}
	err := s.q.In(ctx, tenantID, func(q *store.Queries, tx pgx.Tx) error {
		before, err := q.GetEmailMessage(ctx, messageID)
		if err != nil {
			return err
		}
		if target == "" {
			m, err := q.RecordOpen(ctx, messageID)
			if err != nil || before.OpenedAt != nil {
				return err
			}
			p := emailPayload(m)
			p.OpenedAt = m.OpenedAt
			return events.Emit(ctx, tx, events.EmailOpened, tenantID, "", p)
		}
		m, err := q.RecordClick(ctx, messageID)
		if err != nil {
			return err
		}
		p := emailPayload(m)
		p.OpenedAt, p.ClickedAt, p.URL = m.OpenedAt, ptr(s.clock().UTC()), target
		return events.Emit(ctx, tx, events.EmailClicked, tenantID, "", p)
	})
	if err != nil && !isNoRows(err) {
		s.Log.ErrorContext(ctx, "comms: tracking not recorded", "tenant", tenantID, "message", messageID, "err", err)
	}
	return err
}

func emailPayload(m store.EmailMessage) events.EmailPayload {
	return events.EmailPayload{
		EmailID: m.ID, ActivityID: deref(m.ActivityID), TemplateID: deref(m.TemplateID), To: m.EmailAddress,
		Subject: m.Subject, ContactID: deref(m.ContactID), DealID: deref(m.DealID),
	}
}

// DeliveryReport is what the delivery webhook receives from the mail
// provider: the Message-ID, "delivered" or "bounced", why, and when.
type DeliveryReport struct {
	MessageID string    `json:"messageId"`
	Event     string    `json:"event"`
	Reason    string    `json:"reason,omitempty"`
	Timestamp time.Time `json:"timestamp"`
}

// SignWebhook returns the signature header value of a webhook body.
func SignWebhook(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// serveWebhook applies a signed delivery report: 401 when the signature is
// missing or wrong, 400 for a report it cannot read, 404 for an unknown
// message, 204 when applied.
func (s *Service) serveWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !hmac.Equal([]byte(r.Header.Get(SignatureHeader)), []byte(SignWebhook(s.Config.WebhookSecret, body))) {
		http.Error(w, "bad or missing signature", http.StatusUnauthorized)
		return
	}
	var rep DeliveryReport
	if err := json.Unmarshal(body, &rep); err != nil || (rep.Event != "delivered" && rep.Event != "bounced") {
		http.Error(w, `want {"messageId", "event": "delivered"|"bounced", "reason", "timestamp"}`, http.StatusBadRequest)
		return
	}
	if rep.Timestamp.IsZero() {
		rep.Timestamp = s.clock()
	}
	switch err := s.applyReport(r.Context(), rep); {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case isNoRows(err):
		http.NotFound(w, r)
	default:
		s.Log.ErrorContext(r.Context(), "comms: delivery report not applied", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

func (s *Service) applyReport(ctx context.Context, rep DeliveryReport) error {
	tenantID, _, ok := parseMessageID(rep.MessageID)
	if !ok {
		return pgx.ErrNoRows
	}
	return s.q.In(ctx, tenantID, func(q *store.Queries, tx pgx.Tx) error {
		if rep.Event == "delivered" {
			m, err := q.RecordDelivered(ctx, store.RecordDeliveredParams{MessageID: rep.MessageID, At: rep.Timestamp})
			if err != nil {
				return err
			}
			return events.Emit(ctx, tx, events.EmailDelivered, tenantID, "", emailPayload(m))
		}
		m, err := q.RecordBounced(ctx, store.RecordBouncedParams{MessageID: rep.MessageID, At: rep.Timestamp, Reason: &rep.Reason})
		if err != nil {
			return err
		}
		p := emailPayload(m)
		p.Reason = rep.Reason
		return events.Emit(ctx, tx, events.EmailBounced, tenantID, "", p)
	})
}
