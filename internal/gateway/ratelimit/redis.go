package ratelimit

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcraLua is gcra (gcra.go) in microseconds, run atomically by Redis.
//
// It reads the clock with TIME on the Redis server rather than taking the
// caller's: several gateway processes with skewed clocks then still agree on
// every key's TAT, because a key lives on one server (one Cluster master).
// Redis 5+ replicates a script's effects, not the script, so a
// non-deterministic TIME before a write is allowed (7.0 always does this).
//
// KEYS[1] the key's hash; ARGV interval_us, tolerance_us, mitigation_us.
// Returns {allowed, remaining, retry_after_us, reset_after_us}.
const gcraLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local mit = tonumber(ARGV[3])
local st = redis.call('HMGET', KEYS[1], 't', 'b')
local tat = tonumber(st[1]) or 0
local blocked = tonumber(st[2]) or 0
if blocked > now then
  return {0, 0, blocked - now, math.max(tat, blocked) - now}
end
if tat < now then tat = now end
local nxt = tat + interval
if nxt - now > tau then
  local retry = nxt - tau - now
  local reset = tat - now
  if mit > 0 then
    blocked = now + mit
    redis.call('HSET', KEYS[1], 'b', string.format('%.0f', blocked))
    redis.call('PEXPIRE', KEYS[1], math.ceil((math.max(tat, blocked) - now) / 1000) + 1)
    retry = math.max(retry, mit)
    reset = math.max(reset, mit)
  end
  return {0, 0, retry, reset}
end
redis.call('HSET', KEYS[1], 't', string.format('%.0f', nxt))
redis.call('PEXPIRE', KEYS[1], math.ceil((math.max(nxt, blocked) - now) / 1000) + 1)
return {1, math.floor((tau - (nxt - now)) / interval), 0, nxt - now}
`

// script uses EVALSHA and falls back to EVAL on NOSCRIPT (Script.Run).
var script = redis.NewScript(gcraLua)

// RedisOptions configures the Redis limiter.
type RedisOptions struct {
	// KeyPrefix starts every key; default "rampart:rl:".
	KeyPrefix string
	// Timeout bounds one decision (one round trip); default 100ms.
	Timeout time.Duration
	Logger  *slog.Logger
}

// Redis is the GCRA limiter shared by every gateway process that uses the
// same Redis (standalone, Sentinel or Cluster through UniversalClient).
// Decisions use the Redis server's clock; the now argument is ignored.
type Redis struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
	log     *slog.Logger
}

var _ MultiLimiter = (*Redis)(nil)

// NewRedis wraps a client; it does not contact the server.
func NewRedis(client redis.UniversalClient, opts RedisOptions) *Redis {
	r := &Redis{client: client, prefix: opts.KeyPrefix, timeout: opts.Timeout, log: opts.Logger}
	if r.prefix == "" {
		r.prefix = "rampart:rl:"
	}
	if r.timeout <= 0 {
		r.timeout = 100 * time.Millisecond
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// redisKey hashes the rule and key: client-controlled values (API keys,
// cookies) never reach Redis in clear and every key has the same size. The
// whole hash is a Cluster hash tag, so keys spread over slots while each
// script touches exactly one.
func (r *Redis) redisKey(rule *Rule, key string) string {
	h := sha256.New()
	h.Write([]byte(rule.Name))
	h.Write([]byte{0})
	h.Write([]byte(key))
	var sum [sha256.Size]byte
	return r.prefix + "{" + hex.EncodeToString(h.Sum(sum[:0])[:16]) + "}"
}

func scriptArgs(rule *Rule) []any {
	return []any{
		rule.interval().Microseconds(),
		rule.tolerance().Microseconds(),
		rule.MitigationTimeout.Microseconds(),
	}
}

// Allow runs the script once (EVALSHA, EVAL on NOSCRIPT).
func (r *Redis) Allow(ctx context.Context, rule *Rule, key string, _ time.Time) (Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	vals, err := script.Run(ctx, r.client, []string{r.redisKey(rule, key)}, scriptArgs(rule)...).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("redis rate limit %q: %w", rule.Name, err)
	}
	return decode(rule, vals)
}

// AllowMany sends one script call per hit in one pipeline: one round trip
// for every rule of a request (one per node on a Cluster).
func (r *Redis) AllowMany(ctx context.Context, hits []Hit, _ time.Time) ([]Decision, error) {
	switch len(hits) {
	case 0:
		return nil, nil
	case 1:
		d, err := r.Allow(ctx, hits[0].Rule, hits[0].Key, time.Time{})
		if err != nil {
			return nil, err
		}
		return []Decision{d}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	cmds := r.pipeline(ctx, hits, func(p redis.Pipeliner, keys []string, args []any) *redis.Cmd {
		return script.EvalSha(ctx, p, keys, args...)
	})
	// A server that lost its script cache (restart, failover, SCRIPT
	// FLUSH) answers NOSCRIPT. Only those calls did nothing, so only they
	// are sent again, with EVAL, which caches the script again; re-sending
	// the others would charge their keys twice. On a Cluster this may be
	// some nodes and not others.
	var retry []int
	for i, c := range cmds {
		if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			retry = append(retry, i)
		}
	}
	if len(retry) > 0 {
		r.log.Debug("rate limit script not cached on the server, sending it", "calls", len(retry))
		again := make([]Hit, len(retry))
		for j, i := range retry {
			again[j] = hits[i]
		}
		evals := r.pipeline(ctx, again, func(p redis.Pipeliner, keys []string, args []any) *redis.Cmd {
			return script.Eval(ctx, p, keys, args...)
		})
		for j, i := range retry {
			cmds[i] = evals[j]
		}
	}
	out := make([]Decision, len(hits))
	for i, c := range cmds {
		vals, err := c.Int64Slice()
		if err != nil {
			return nil, fmt.Errorf("redis rate limit %q: %w", hits[i].Rule.Name, err)
		}
		if out[i], err = decode(hits[i].Rule, vals); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pipeline sends one call per hit; each command carries its own error
// (Exec's is only the first of them).
func (r *Redis) pipeline(ctx context.Context, hits []Hit, call func(redis.Pipeliner, []string, []any) *redis.Cmd) []*redis.Cmd {
	p := r.client.Pipeline()
	cmds := make([]*redis.Cmd, len(hits))
	for i, h := range hits {
		cmds[i] = call(p, []string{r.redisKey(h.Rule, h.Key)}, scriptArgs(h.Rule))
	}
	_, _ = p.Exec(ctx)
	return cmds
}

func decode(rule *Rule, v []int64) (Decision, error) {
	if len(v) != 4 {
		return Decision{}, fmt.Errorf("redis rate limit %q: script returned %d values, want 4", rule.Name, len(v))
	}
	return Decision{
		Allowed:    v[0] == 1,
		Limit:      rule.Rate,
		Remaining:  int(max(v[1], 0)),
		RetryAfter: time.Duration(max(v[2], 0)) * time.Microsecond,
		ResetAfter: time.Duration(max(v[3], 0)) * time.Microsecond,
		Rule:       rule,
	}, nil
}

// RedisConfig is rate_limit_backend.redis in the gateway config.
type RedisConfig struct {
	// URL is redis://[user@]host:port/db or rediss:// for TLS. Put the
	// password in PasswordEnv, not in the URL.
	URL string `yaml:"url"`
	// Addresses lists host:port seeds; more than one means Redis Cluster.
	Addresses []string `yaml:"addresses"`
	Username  string   `yaml:"username"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `yaml:"password_env"`
	// TLS turns TLS on (system roots, TLS 1.2+); rediss:// implies it.
	TLS bool `yaml:"tls"`
	// Timeout bounds dialing, each read and write, and one decision;
	// default 100ms.
	Timeout   time.Duration `yaml:"timeout"`
	KeyPrefix string        `yaml:"key_prefix"`
}

// ErrInvalidBackend is wrapped by NewRedisClient's config errors.
var ErrInvalidBackend = errors.New("invalid rate_limit_backend")

// NewRedisClient builds the client cfg describes; getenv reads PasswordEnv
// (os.Getenv in production). It does not contact the server.
func NewRedisClient(cfg RedisConfig, getenv func(string) string) (redis.UniversalClient, error) {
	if (cfg.URL == "") == (len(cfg.Addresses) == 0) {
		return nil, fmt.Errorf("%w: redis: set exactly one of url and addresses", ErrInvalidBackend)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 100 * time.Millisecond
	}
	o := &redis.UniversalOptions{Addrs: cfg.Addresses, Username: cfg.Username}
	if cfg.URL != "" {
		u, err := redis.ParseURL(cfg.URL)
		if err != nil {
			// ParseURL's errors may quote the URL, password included.
			return nil, fmt.Errorf("%w: redis.url: not a redis:// or rediss:// URL", ErrInvalidBackend)
		}
		o.Addrs, o.DB, o.Password, o.TLSConfig = []string{u.Addr}, u.DB, u.Password, u.TLSConfig
		if o.Username == "" {
			o.Username = u.Username
		}
	}
	for _, a := range o.Addrs {
		if a == "" || !strings.Contains(a, ":") {
			return nil, fmt.Errorf("%w: redis.addresses: %q: want host:port", ErrInvalidBackend, a)
		}
	}
	if cfg.PasswordEnv != "" {
		pw := getenv(cfg.PasswordEnv)
		if pw == "" {
			return nil, fmt.Errorf("%w: redis.password_env: $%s is empty or unset", ErrInvalidBackend, cfg.PasswordEnv)
		}
		o.Password = pw
	}
	if cfg.TLS && o.TLSConfig == nil {
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = timeout, timeout, timeout
	// One retry at most: the breaker in Fallback, not retries, handles a
	// dead server, and a retry doubles the latency a request sees.
	o.MaxRetries = 1
	return redis.NewUniversalClient(o), nil
}
