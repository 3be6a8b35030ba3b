package ratelimit

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkLocalAllow: parallel decisions over distinct keys (every request
// a new client, the LRU churning) and over one hot key (one shard lock).
func BenchmarkLocalAllow(b *testing.B) {
	rule := &Rule{Name: "per-ip", Key: mustKey(b, "ip"), Rate: 100, Period: time.Minute, Burst: 20}
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = "10.0." + strconv.Itoa(i>>8) + "." + strconv.Itoa(i&0xff)
	}
	b.Run("distinct", func(b *testing.B) {
		l := NewLocal(LocalOptions{})
		now := time.Unix(1_800_000_000, 0)
		var next atomic.Uint64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := next.Add(1 << 12)
			for pb.Next() {
				i++
				l.Allow(context.Background(), rule, keys[i&(1<<16-1)], now)
			}
		})
	})
	b.Run("hot", func(b *testing.B) {
		l := NewLocal(LocalOptions{})
		now := time.Unix(1_800_000_000, 0)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Allow(context.Background(), rule, "192.0.2.1", now)
			}
		})
	})
}

// BenchmarkRedisAllow: one script call per decision against the local
// Redis, and three rules of one request in one pipeline.
func BenchmarkRedisAllow(b *testing.B) {
	c, prefix := testRedis(b)
	rule := &Rule{Name: "per-ip", Key: mustKey(b, "ip"), Rate: 100, Period: time.Minute, Burst: 20}
	l := NewRedis(c, RedisOptions{KeyPrefix: prefix, Timeout: 2 * time.Second})
	ctx := context.Background()
	b.Run("one", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := l.Allow(ctx, rule, strconv.Itoa(i&1023), time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pipeline3", func(b *testing.B) {
		r2 := &Rule{Name: "per-key", Key: rule.Key, Rate: 1000, Period: time.Minute, Burst: 100}
		r3 := &Rule{Name: "login", Key: rule.Key, Rate: 5, Period: time.Minute}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			k := strconv.Itoa(i & 1023)
			if _, err := l.AllowMany(ctx, []Hit{{rule, k}, {r2, k}, {r3, k}}, time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
