// Package audit keeps the tamper-evident record of who did what: every
// write, login, reveal of personal data and export. Entries form a hash
// chain (each hash covers the entry and the previous hash), so any row
// changed, deleted or inserted behind the application's back is found by
// Verify, which names the first broken entry.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// Entry is one audited event.
type Entry struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	UserID   int64     `json:"user_id,omitempty"`
	Username string    `json:"username,omitempty"`
	Role     string    `json:"role,omitempty"`
	Action   string    `json:"action"` // e.g. "POST /api/v1/cases", "login", "reveal", "export"
	Target   string    `json:"target,omitempty"`
	Result   string    `json:"result"` // HTTP status or "ok"/"denied"/"failed"
	IP       string    `json:"ip,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	Alg      string    `json:"alg"`
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// Genesis is the previous hash of the first entry.
var Genesis = strings.Repeat("0", 64)

// hashers are the chain's hash functions by name: SHA-256, and SM3 for
// deployments under the 国密 (commercial cryptography) rules.
var hashers = map[string]func() hash.Hash{"sha256": sha256.New, "sm3": sm3.New}

func hasher(name string) (func() hash.Hash, error) {
	h, ok := hashers[name]
	if !ok {
		return nil, fmt.Errorf("audit: unknown hash algorithm %q", name)
	}
	return h, nil
}

// ValidAlg reports whether name is a supported chain hash.
func ValidAlg(name string) bool { _, ok := hashers[name]; return ok }

// Compute returns the entry's hash over its fields and PrevHash, with
// unambiguous framing (length-prefixed fields).
func Compute(e Entry) (string, error) {
	hf, err := hasher(e.Alg)
	if err != nil {
		return "", err
	}
	h := hf()
	for _, f := range []string{
		strconv.FormatInt(e.Seq, 10), strconv.FormatInt(e.At.UnixMilli(), 10), strconv.FormatInt(e.UserID, 10),
		e.Username, e.Role, e.Action, e.Target, e.Result, e.IP, e.Detail, e.Alg, e.PrevHash,
	} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Seal fills in Seq, PrevHash and Hash for an entry following (seq, prev).
func Seal(e Entry, prevSeq int64, prevHash string) (Entry, error) {
	e.Seq, e.PrevHash = prevSeq+1, prevHash
	if e.Alg == "" {
		e.Alg = "sha256"
	}
	e.At = e.At.Truncate(time.Millisecond)
	h, err := Compute(e)
	e.Hash = h
	return e, err
}

// Broken describes where the chain fails.
type Broken struct {
	Seq    int64
	Reason string
}

func (b *Broken) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d: %s", b.Seq, b.Reason)
}

// Verifier checks entries one by one in seq order.
type Verifier struct {
	seq  int64
	prev string
	n    int64
}

// NewVerifier starts at the genesis.
func NewVerifier() *Verifier { return &Verifier{prev: Genesis} }

// Next checks the next entry; it returns *Broken at the first bad one.
func (v *Verifier) Next(e Entry) error {
	switch {
	case e.Seq != v.seq+1:
		return &Broken{Seq: v.seq + 1, Reason: fmt.Sprintf("entry missing (next present is %d)", e.Seq)}
	case e.PrevHash != v.prev:
		return &Broken{Seq: e.Seq, Reason: "previous-hash link does not match the entry before it (entry inserted, or the one before changed)"}
	}
	h, err := Compute(e)
	if err != nil {
		return &Broken{Seq: e.Seq, Reason: err.Error()}
	}
	if h != e.Hash {
		return &Broken{Seq: e.Seq, Reason: "content does not match its hash (entry changed)"}
	}
	v.seq, v.prev = e.Seq, e.Hash
	v.n++
	return nil
}

// Finish checks the chain reached the recorded head.
func (v *Verifier) Finish(headSeq int64, headHash string) error {
	if headSeq != v.seq || (headSeq > 0 && headHash != v.prev) {
		return &Broken{Seq: v.seq + 1, Reason: fmt.Sprintf("chain ends at %d but the head records %d (entries cut off the end)", v.seq, headSeq)}
	}
	return nil
}

// Count is how many entries verified.
func (v *Verifier) Count() int64 { return v.n }

// Recorder is where the HTTP layer collects who made a request, filled in
// by whichever handler authenticates it.
//
// A write request's recorder is also armed (Arm) with what its audit entry
// needs. The store then claims the entry (Claim) inside the transaction of
// the request's first audited write and commits it there, so a write that
// was acknowledged always has its entry: a crash after the commit cannot
// lose it, as it could when the entry was written after the answer. The
// middleware writes an entry of its own only for requests whose entry no
// write claimed (refused or failed writes, repeats answered from an
// idempotency key).
type Recorder struct {
	UserID   int64
	Username string
	Role     string
	Target   string
	Detail   string
	Skip     bool

	mu      sync.Mutex
	armed   bool
	claimed bool
	arm     Arm
}

// Arm is what a write request's committed entry is made of, besides who
// sent it (read from the recorder when the entry is claimed, since
// authentication fills it in after the recorder was armed).
type Arm struct {
	// Action names the route; a function because the router decides it
	// after the middleware armed the recorder.
	Action func() string
	Path   string
	IP     string
	Alg    string
	Now    func() time.Time
}

// Arm prepares the recorder for a write request.
func (r *Recorder) Arm(a Arm) {
	r.mu.Lock()
	r.armed, r.arm = true, a
	r.mu.Unlock()
}

// Claim hands the request's entry, naming target (e.g. "case:12"; empty:
// the request's path), to the write that will commit it. It answers false
// when the recorder is not armed, the request is not to be audited, or an
// earlier write of the same request claimed the entry already. A write
// that then fails must call Unclaim, so that the middleware records the
// refused request instead.
func (r *Recorder) Claim(target string) (Entry, bool) {
	if r == nil {
		return Entry{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.armed || r.claimed || r.Skip {
		return Entry{}, false
	}
	r.claimed = true
	if target == "" {
		target = r.Target
	}
	if target == "" {
		target = r.arm.Path
	}
	action := r.arm.Path
	if r.arm.Action != nil {
		action = r.arm.Action()
	}
	now := time.Now
	if r.arm.Now != nil {
		now = r.arm.Now
	}
	return Entry{At: now(), UserID: r.UserID, Username: r.Username, Role: r.Role, Action: action, Target: target,
		Result: "ok", IP: r.arm.IP, Detail: r.Detail, Alg: r.arm.Alg}, true
}

// Unclaim gives the entry back after the write that claimed it failed.
func (r *Recorder) Unclaim() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.claimed = false
	r.mu.Unlock()
}

// Claimed reports whether a committed write carries the request's entry.
func (r *Recorder) Claimed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.claimed
}

type ctxKey struct{}

// WithRecorder returns ctx carrying a fresh recorder.
func WithRecorder(ctx context.Context) (context.Context, *Recorder) {
	r := &Recorder{}
	return context.WithValue(ctx, ctxKey{}, r), r
}

// FromContext returns the request's recorder, or a throwaway one.
func FromContext(ctx context.Context) *Recorder {
	if r, ok := ctx.Value(ctxKey{}).(*Recorder); ok {
		return r
	}
	return &Recorder{}
}

// ClaimFrom claims the entry of the request ctx belongs to, if any.
func ClaimFrom(ctx context.Context, target string) (Entry, *Recorder, bool) {
	r, ok := ctx.Value(ctxKey{}).(*Recorder)
	if !ok {
		return Entry{}, nil, false
	}
	e, ok := r.Claim(target)
	return e, r, ok
}

// Source is where Verify reads the chain from (the store).
type Source interface {
	AuditEntries(ctx context.Context, after int64, limit int) ([]Entry, error)
	AuditHead(ctx context.Context) (int64, string, error)
}

// VerifyAll walks the whole chain in pages and checks it reaches the
// head. It returns how many entries verified and, for a broken chain, a
// *Broken naming the first bad entry.
func VerifyAll(ctx context.Context, src Source) (n int64, err error) {
	// A store that can read the chain as one snapshot does, so that a
	// server appending meanwhile does not look like a cut chain.
	if sn, ok := src.(interface {
		AuditSnapshot(context.Context, func(Source) error) error
	}); ok {
		err = sn.AuditSnapshot(ctx, func(s Source) error {
			n, err = verifyAll(ctx, s)
			return err
		})
		return n, err
	}
	return verifyAll(ctx, src)
}

func verifyAll(ctx context.Context, src Source) (int64, error) {
	headSeq, headHash, err := src.AuditHead(ctx)
	if err != nil {
		return 0, err
	}
	v := NewVerifier()
	var after int64
	for {
		page, err := src.AuditEntries(ctx, after, 1000)
		if err != nil {
			return v.Count(), err
		}
		for _, e := range page {
			if err := v.Next(e); err != nil {
				return v.Count(), err
			}
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].Seq
	}
	return v.Count(), v.Finish(headSeq, headHash)
}
