package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// WebhookSink POSTs each message as JSON to a URL, signed with HMAC-SHA256
// over the body (header X-Yiwang-Signature: sha256=<hex>). A receiver
// answers 2xx to acknowledge; anything else is retried later with back-off.
// Receivers deduplicate by X-Yiwang-Event-Id: delivery is at least once.
type WebhookSink struct {
	url    string
	secret []byte
	client *http.Client
}

// NewWebhookSink returns a sink for url signed with secret.
func NewWebhookSink(url, secret string) *WebhookSink {
	return &WebhookSink{url: url, secret: []byte(secret), client: &http.Client{Timeout: 10 * time.Second}}
}

// Name is the sink's name in the outbox.
func (s *WebhookSink) Name() string { return "webhook" }

// Sign returns the signature header value for body.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Deliver posts messages one by one, stopping at the first failure.
func (s *WebhookSink) Deliver(ctx context.Context, msgs []Message) ([]int64, error) {
	done := make([]int64, 0, len(msgs))
	for _, m := range msgs {
		body := encode(m)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
		if err != nil {
			return done, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Yiwang-Event-Id", strconv.FormatInt(m.ID, 10))
		req.Header.Set("X-Yiwang-Signature", Sign(s.secret, body))
		res, err := s.client.Do(req)
		if err != nil {
			return done, err
		}
		io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			return done, fmt.Errorf("webhook %s answered %d", s.url, res.StatusCode)
		}
		done = append(done, m.ID)
	}
	return done, nil
}
