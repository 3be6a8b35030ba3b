package ratelimit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// startCluster starts a three-master Redis Cluster on loopback from the
// redis-server binary, in a temporary directory, and returns its addresses.
// It skips when redis-server is not installed.
func startCluster(t *testing.T) []string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed: Cluster test skipped")
	}
	ctx := context.Background()
	var addrs, logs []string
	for range 3 {
		addr := closedAddr(t)
		_, port, _ := strings.Cut(addr, ":")
		dir := t.TempDir()
		cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--dir", dir, "--logfile", filepath.Join(dir, "log"),
			"--save", "", "--appendonly", "no", "--cluster-node-timeout", "2000")
		logs = append(logs, filepath.Join(dir, "log"))
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		addrs = append(addrs, addr)
	}
	clients := make([]*redis.Client, len(addrs))
	for i, a := range addrs {
		clients[i] = redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1})
		defer clients[i].Close()
		if err := poll(func() error { return clients[i].Ping(ctx).Err() }); err != nil {
			log, _ := os.ReadFile(logs[i])
			t.Fatalf("node %s: %v\n%s", a, err, log)
		}
	}
	// Split the 16384 slots over the three masters and introduce them.
	for i, c := range clients {
		lo, hi := i*16384/3, (i+1)*16384/3-1
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			t.Fatalf("addslots on %s: %v", addrs[i], err)
		}
		if i > 0 {
			host, port, _ := strings.Cut(addrs[i], ":")
			if err := clients[0].ClusterMeet(ctx, host, port).Err(); err != nil {
				t.Fatalf("meet: %v", err)
			}
		}
	}
	for _, c := range clients {
		err := poll(func() error {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
				return fmt.Errorf("cluster not ready")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return addrs
}

// poll retries f for up to 20 seconds.
func poll(f func() error) error {
	var err error
	for range 200 {
		if err = f(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// TestRedisCluster: keys spread over the masters (hash tags), a pipeline of
// several rules spans nodes, and each key keeps its own GCRA state.
func TestRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	addrs := startCluster(t)
	client, err := NewRedisClient(RedisConfig{Addresses: addrs, Timeout: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, ok := client.(*redis.ClusterClient); !ok {
		t.Fatalf("client %T, want *redis.ClusterClient", client)
	}
	l := NewRedis(client, RedisOptions{Timeout: 2 * time.Second})
	ctx := context.Background()
	var rules []*Rule
	var hits []Hit
	for i := range 12 {
		r := &Rule{Name: "r" + strconv.Itoa(i), Key: mustKey(t, "ip"), Rate: 2, Period: time.Hour, Burst: 2}
		rules = append(rules, r)
		hits = append(hits, Hit{Rule: r, Key: "192.0.2.1"})
	}
	var got [][]bool
	for range 3 {
		ds, err := l.AllowMany(ctx, hits, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var round []bool
		for i, d := range ds {
			if d.Rule != rules[i] {
				t.Fatalf("decision %d for rule %s", i, d.Rule.Name)
			}
			round = append(round, d.Allowed)
		}
		got = append(got, round)
	}
	all := func(v bool) []bool {
		s := make([]bool, len(hits))
		for i := range s {
			s[i] = v
		}
		return s
	}
	if diff := cmp.Diff(got, [][]bool{all(true), all(true), all(false)}); diff != "" {
		t.Errorf("allowed (-got +want):\n%s", diff)
	}
	// The twelve keys landed on more than one master.
	cc := client.(*redis.ClusterClient)
	var masters atomic.Int32 // ForEachMaster runs concurrently
	err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		if n, err := c.DBSize(ctx).Result(); err == nil && n > 0 {
			masters.Add(1)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := masters.Load(); n < 2 {
		t.Errorf("keys on %d master(s), want them spread over at least 2", n)
	}
}
