package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

const redisAddr = "127.0.0.1:6379"

// testRedis returns a client for the local Redis and a key prefix unique to
// the test; keys under it are deleted at the end. It skips only when Redis
// is unreachable.
func testRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: redisAddr, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		t.Skipf("redis at %s unreachable: %v", redisAddr, err)
	}
	var b [6]byte
	rand.Read(b[:])
	prefix := "rampart:test:" + strings.ReplaceAll(t.Name(), "/", "_") + ":" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		c.Close()
	})
	return c, prefix
}

func TestRedisBurstBoundary(t *testing.T) {
	c, prefix := testRedis(t)
	// T = 36s: nothing refills while the test runs.
	rule := &Rule{Name: "per-ip", Key: mustKey(t, "ip"), Rate: 100, Period: time.Hour, Burst: 20}
	l := NewRedis(c, RedisOptions{KeyPrefix: prefix, Timeout: 2 * time.Second})
	ctx := context.Background()
	var remaining []int
	for range 20 {
		d, err := l.Allow(ctx, rule, "192.0.2.1", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if !d.Allowed {
			t.Fatalf("request %d refused, want the first 20 allowed", len(remaining)+1)
		}
		remaining = append(remaining, d.Remaining)
	}
	want := []int{19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}
	if diff := cmp.Diff(remaining, want); diff != "" {
		t.Errorf("remaining (-got +want):\n%s", diff)
	}
	d, err := l.Allow(ctx, rule, "192.0.2.1", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed {
		t.Fatal("21st request allowed, want refused")
	}
	// Retry after one interval less the time the test took; reset after
	// the whole burst (B*T = 720s) less the same.
	if d.RetryAfter <= 0 || d.RetryAfter > 36*time.Second {
		t.Errorf("RetryAfter %s, want in (0, 36s]", d.RetryAfter)
	}
	if d.ResetAfter <= 719*time.Second || d.ResetAfter > 720*time.Second {
		t.Errorf("ResetAfter %s, want in (719s, 720s]", d.ResetAfter)
	}
	// Another key is independent.
	if d, _ := l.Allow(ctx, rule, "192.0.2.2", time.Time{}); !d.Allowed {
		t.Error("another key refused")
	}
}

func TestRedisKeysHashedAndExpiring(t *testing.T) {
	c, prefix := testRedis(t)
	rule := &Rule{Name: "api-key", Key: mustKey(t, "header:X-Api-Key"), Rate: 10, Period: time.Minute, Burst: 5}
	l := NewRedis(c, RedisOptions{KeyPrefix: prefix, Timeout: 2 * time.Second})
	ctx := context.Background()
	secret := "sk_live_do_not_store_me"
	if _, err := l.Allow(ctx, rule, secret, time.Time{}); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("keys %q, want one", keys)
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `\{[0-9a-f]{32}\}$`).MatchString(keys[0]) {
		t.Errorf("key %q, want prefix{32 hex digits} (a hash tag)", keys[0])
	}
	if strings.Contains(keys[0], secret) {
		t.Errorf("key %q holds the client's value", keys[0])
	}
	// One request: TAT is now+T (6s), so the key expires within ~6s.
	ttl, err := c.PTTL(ctx, keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > 6*time.Second+2*time.Millisecond {
		t.Errorf("PTTL %s, want in (0, 6.002s]", ttl)
	}
}

func TestRedisMitigationTimeout(t *testing.T) {
	c, prefix := testRedis(t)
	rule := &Rule{Name: "login", Key: mustKey(t, "ip"), Rate: 1, Period: time.Second, Burst: 1, MitigationTimeout: time.Hour}
	l := NewRedis(c, RedisOptions{KeyPrefix: prefix, Timeout: 2 * time.Second})
	ctx := context.Background()
	var got []bool
	for range 2 {
		d, err := l.Allow(ctx, rule, "203.0.113.9", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d.Allowed)
		if !d.Allowed && (d.RetryAfter <= 59*time.Minute || d.RetryAfter > time.Hour) {
			t.Errorf("RetryAfter %s, want about 1h", d.RetryAfter)
		}
	}
	if diff := cmp.Diff(got, []bool{true, false}); diff != "" {
		t.Errorf("allowed (-got +want):\n%s", diff)
	}
	// Even after the 1s interval has passed the key stays blocked; we
	// check the stored block instead of sleeping.
	key := l.redisKey(rule, "203.0.113.9")
	ttl, err := c.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl < 59*time.Minute {
		t.Errorf("PTTL %s, want about 1h (the block outlives the TAT)", ttl)
	}
}

// TestRedisPipelineAndNoScript: several rules in one pipeline, also after
// the server lost its script cache (EVALSHA answers NOSCRIPT).
func TestRedisPipelineAndNoScript(t *testing.T) {
	c, prefix := testRedis(t)
	a := &Rule{Name: "a", Key: mustKey(t, "ip"), Rate: 1, Period: time.Hour, Burst: 1}
	b := &Rule{Name: "b", Key: mustKey(t, "ip"), Rate: 1, Period: time.Hour, Burst: 2}
	l := NewRedis(c, RedisOptions{KeyPrefix: prefix, Timeout: 2 * time.Second})
	ctx := context.Background()
	hits := []Hit{{Rule: a, Key: "k"}, {Rule: b, Key: "k"}}
	var got [][]bool
	for i := range 3 {
		if i == 1 {
			if err := c.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
		ds, err := l.AllowMany(ctx, hits, time.Time{})
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		got = append(got, []bool{ds[0].Allowed, ds[1].Allowed})
		if ds[0].Rule != a || ds[1].Rule != b {
			t.Errorf("round %d: decisions out of order", i)
		}
	}
	want := [][]bool{{true, true}, {false, true}, {false, false}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("allowed (-got +want):\n%s", diff)
	}
}

// TestRedisFourProcesses: four limiters with their own clients (four gateway
// processes) hammering one key admit the configured limit within 1%.
func TestRedisFourProcesses(t *testing.T) {
	_, prefix := testRedis(t)
	const limit = 1000
	// T = 3.6s: the test's few seconds refill at most a couple of requests.
	rule := &Rule{Name: "shared", Key: mustKey(t, "ip"), Rate: limit, Period: time.Hour, Burst: limit}
	var admitted, errs atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		c := redis.NewClient(&redis.Options{Addr: redisAddr, PoolSize: 4, ReadTimeout: 5 * time.Second})
		defer c.Close()
		l := NewRedis(c, RedisOptions{KeyPrefix: prefix, Timeout: 5 * time.Second})
		for range 4 {
			wg.Go(func() {
				for range 2 * limit / 16 {
					d, err := l.Allow(context.Background(), rule, "192.0.2.77", time.Time{})
					if err != nil {
						errs.Add(1)
						continue
					}
					if d.Allowed {
						admitted.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	if n := errs.Load(); n > 0 {
		t.Fatalf("%d Redis errors", n)
	}
	got := admitted.Load()
	t.Logf("admitted %d of %d attempts, limit %d", got, 2*limit, limit)
	if got < limit || got > limit+limit/100 {
		t.Errorf("admitted %d of %d, want %d within 1%%", got, 2*limit, limit)
	}
}

func TestNewRedisClient(t *testing.T) {
	env := map[string]string{"RL_PW": "s3cret"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name    string
		cfg     RedisConfig
		want    string // client type
		wantErr string
	}{
		{name: "url", cfg: RedisConfig{URL: "redis://127.0.0.1:6379/2", PasswordEnv: "RL_PW"}, want: "*redis.Client"},
		{name: "one address", cfg: RedisConfig{Addresses: []string{"127.0.0.1:6379"}}, want: "*redis.Client"},
		{name: "cluster", cfg: RedisConfig{Addresses: []string{"127.0.0.1:7000", "127.0.0.1:7001"}, TLS: true}, want: "*redis.ClusterClient"},
		{name: "neither", cfg: RedisConfig{}, wantErr: "invalid rate_limit_backend: redis: set exactly one of url and addresses"},
		{name: "both", cfg: RedisConfig{URL: "redis://a:1", Addresses: []string{"b:2"}}, wantErr: "invalid rate_limit_backend: redis: set exactly one of url and addresses"},
		{name: "bad url keeps the password out", cfg: RedisConfig{URL: "http://user:hunter2@host"}, wantErr: "invalid rate_limit_backend: redis.url: not a redis:// or rediss:// URL"},
		{name: "bad address", cfg: RedisConfig{Addresses: []string{"localhost"}}, wantErr: `invalid rate_limit_backend: redis.addresses: "localhost": want host:port`},
		{name: "unset password env", cfg: RedisConfig{URL: "redis://127.0.0.1:6379", PasswordEnv: "NOPE"}, wantErr: "invalid rate_limit_backend: redis.password_env: $NOPE is empty or unset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewRedisClient(tt.cfg, getenv)
			gotErr, got := "", ""
			if err != nil {
				gotErr = err.Error()
				if !errors.Is(err, ErrInvalidBackend) {
					t.Errorf("error does not wrap ErrInvalidBackend")
				}
			} else {
				defer c.Close()
				got = typeName(c)
			}
			if diff := cmp.Diff([]string{got, gotErr}, []string{tt.want, tt.wantErr}); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
		})
	}
	c, err := NewRedisClient(RedisConfig{URL: "redis://127.0.0.1:6379/2", PasswordEnv: "RL_PW", Timeout: 250 * time.Millisecond}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	o := c.(*redis.Client).Options()
	if diff := cmp.Diff([]any{o.Addr, o.DB, o.Password, o.ReadTimeout}, []any{"127.0.0.1:6379", 2, "s3cret", 250 * time.Millisecond}); diff != "" {
		t.Errorf("options (-got +want):\n%s", diff)
	}
}

func typeName(c redis.UniversalClient) string {
	switch c.(type) {
	case *redis.Client:
		return "*redis.Client"
	case *redis.ClusterClient:
		return "*redis.ClusterClient"
	}
	return "other"
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestFallbackHealthyRedis: with Redis up every decision is Redis's and the
// breaker stays closed.
func TestFallbackHealthyRedis(t *testing.T) {
	c, prefix := testRedis(t)
	f := NewFallback(NewRedis(c, RedisOptions{KeyPrefix: prefix, Timeout: 2 * time.Second}), FallbackOptions{})
	rule := &Rule{Name: "r", Key: mustKey(t, "ip"), Rate: 3, Period: time.Hour, Burst: 3}
	var got []bool
	for range 4 {
		d, err := f.Allow(context.Background(), rule, "k", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d.Allowed)
	}
	if diff := cmp.Diff(got, []bool{true, true, true, false}); diff != "" {
		t.Errorf("allowed (-got +want):\n%s", diff)
	}
	want := BackendState{Breaker: "closed", Healthy: true, OnError: "local"}
	if diff := cmp.Diff(f.State(), want); diff != "" {
		t.Errorf("State (-got +want):\n%s", diff)
	}
	if n := f.Local().Len(); n != 0 {
		t.Errorf("local limiter holds %d keys, want 0 while Redis answers", n)
	}
}
