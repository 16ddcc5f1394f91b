package store

import (
	"context"

	"github.com/yiwang-gov/yiwang/internal/audit"
)

// AuditStore keeps the hash-chained audit log.
type AuditStore interface {
	// AppendAudit seals e onto the chain (Seq, PrevHash, Hash set) and
	// stores it, serialised across nodes.
	AppendAudit(ctx context.Context, e *audit.Entry) error
	// AppendAuditBatch appends several entries, in order, in one transaction.
	AppendAuditBatch(ctx context.Context, entries []*audit.Entry) error
	// AuditEntries returns entries with seq > after, in order.
	AuditEntries(ctx context.Context, after int64, limit int) ([]audit.Entry, error)
	// AuditHead returns the last seq and hash recorded.
	AuditHead(ctx context.Context) (int64, string, error)
	// ChainPendingAudit moves up to limit entries that writes committed
	// unchained (audit.Recorder.Claim) onto the chain, oldest first, and
	// answers how many it moved.
	ChainPendingAudit(ctx context.Context, limit int) (int, error)
	// PendingAuditCount is how many entries wait to be chained.
	PendingAuditCount(ctx context.Context) (int64, error)
}
