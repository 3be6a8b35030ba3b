package ratelimit

import (
	"context"
	"hash/maphash"
	"log/slog"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// LocalOptions configures the in-memory limiter.
type LocalOptions struct {
	// Shards is rounded up to a power of two; default 64. More shards mean
	// less lock contention between cores.
	Shards int
	// MaxKeys bounds the keys kept per shard; default 4096 (262,144 keys,
	// about 30 MB, with 64 shards). When a shard is full its least recently
	// used key is dropped; see Evictions.
	MaxKeys int
	Logger  *slog.Logger
}

// Local is the in-memory GCRA limiter, the default backend. Keys are hashed
// with a per-process random seed, so memory per key is fixed whatever the
// header or cookie value, and a client cannot aim keys at one shard.
type Local struct {
	seed       maphash.Seed
	shards     []localShard
	shift      uint
	log        *slog.Logger
	evictLive  atomic.Uint64
	evictTotal atomic.Uint64
}

type localShard struct {
	mu  sync.Mutex
	lru *simplelru.LRU[uint64, cell]
	now int64 // the time of the decision in progress, for the eviction callback
	_   [40]byte
}

var _ MultiLimiter = (*Local)(nil)

// NewLocal builds an empty in-memory limiter.
func NewLocal(opts LocalOptions) *Local {
	n := opts.Shards
	if n <= 0 {
		n = 64
	}
	n = 1 << bits.Len(uint(n-1)) // round up to a power of two
	per := opts.MaxKeys
	if per <= 0 {
		per = 4096
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Local{seed: maphash.MakeSeed(), shards: make([]localShard, n), log: log}
	l.shift = uint(64 - bits.Len(uint(n-1)))
	for i := range l.shards {
		s := &l.shards[i]
		// simplelru is hashicorp/golang-lru's unsynchronised LRU: the shard
		// lock must cover the read-modify-write of a cell anyway.
		s.lru, _ = simplelru.NewLRU(per, func(_ uint64, c cell) {
			l.evictTotal.Add(1)
			if c.live(s.now) {
				// The least recently used key still had state: it gets a
				// fresh burst if it comes back. Counted for metrics, and
				// said once in the log so an operator can raise MaxKeys.
				if l.evictLive.Add(1) == 1 {
					l.log.Warn("in-memory rate limit table full, dropping keys that still have state", "max_keys_per_shard", per, "shards", n)
				}
			}
		})
	}
	return l
}

func (l *Local) hash(rule *Rule, key string) uint64 {
	var h maphash.Hash
	h.SetSeed(l.seed)
	h.WriteString(rule.Name)
	h.WriteByte(0)
	h.WriteString(key)
	return h.Sum64()
}

// Allow decides one request at now.
func (l *Local) Allow(_ context.Context, rule *Rule, key string, now time.Time) (Decision, error) {
	h := l.hash(rule, key)
	s := &l.shards[h>>l.shift] // top bits; a shift of 64 gives shard 0
	ns := now.UnixNano()
	s.mu.Lock()
	c, _ := s.lru.Get(h)
	c, d := gcra(c, ns, rule)
	// Every decision leaves a live cell (TAT or block after now), and a
	// refused key must move to the front too, so it is not evicted first.
	s.now = ns
	s.lru.Add(h, c)
	s.mu.Unlock()
	return d, nil
}

// AllowMany decides each hit in turn.
func (l *Local) AllowMany(ctx context.Context, hits []Hit, now time.Time) ([]Decision, error) {
	out := make([]Decision, len(hits))
	for i, h := range hits {
		out[i], _ = l.Allow(ctx, h.Rule, h.Key, now)
	}
	return out, nil
}

// Len is the number of keys held, at most shards × MaxKeys.
func (l *Local) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += s.lru.Len()
		s.mu.Unlock()
	}
	return n
}

// Evictions returns how many keys were dropped because a shard was full,
// and how many of those still had state (their clients got a fresh burst).
func (l *Local) Evictions() (total, live uint64) {
	return l.evictTotal.Load(), l.evictLive.Load()
}
