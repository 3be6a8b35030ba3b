// Package k8scorpus generates a deterministic corpus of Kubernetes manifests
// for benchmarking configuration scanners.
//
// The corpus is a tree of multi-document YAML files (DocsPerFile documents
// each) spread over a few namespace directories, e.g. ns-03/app-0412.yaml.
// Roughly 70% of the documents are workloads (every workload kind), 15% RBAC,
// 10% Services and Ingresses and 5% other objects (NetworkPolicy, ConfigMap).
// Security-relevant settings vary from hardened to badly misconfigured so
// that scanners evaluate (and report) a realistic mix of checks.
//
// The same (docs, seed) pair always produces byte-identical files.
package k8scorpus

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DocsPerFile is the number of YAML documents written to each file (the
// last file may hold fewer).
const DocsPerFile = 10

// NamespaceDirs is the number of namespace subdirectories files are spread
// over (fewer when there are fewer files).
const NamespaceDirs = 8

// Stats describes a generated corpus.
type Stats struct {
	Docs  int            // documents written
	Files int            // files written
	Bytes int64          // total size of the files
	Kinds map[string]int // documents per kind
}

// Category counts the documents of s by broad category: "workload", "rbac",
// "network" (Service, Ingress) and "other".
func (s Stats) Category() map[string]int {
	out := map[string]int{}
	for kind, n := range s.Kinds {
		out[CategoryOf(kind)] += n
	}
	return out
}

// String summarises s on one line per kind, sorted by kind.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d docs in %d files (%d bytes)\n", s.Docs, s.Files, s.Bytes)
	for _, kind := range slices.Sorted(maps.Keys(s.Kinds)) {
		fmt.Fprintf(&b, "  %-22s %6d\n", kind, s.Kinds[kind])
	}
	return b.String()
}

// WorkloadKinds lists the workload kinds the generator emits.
var WorkloadKinds = []string{
	"Pod", "Deployment", "StatefulSet", "DaemonSet",
	"ReplicaSet", "ReplicationController", "Job", "CronJob",
}

// RBACKinds lists the RBAC kinds the generator emits.
var RBACKinds = []string{"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}

// CategoryOf returns the broad category of a kind emitted by the generator.
func CategoryOf(kind string) string {
	switch {
	case slices.Contains(WorkloadKinds, kind):
		return "workload"
	case slices.Contains(RBACKinds, kind):
		return "rbac"
	case kind == "Service" || kind == "Ingress":
		return "network"
	default:
		return "other"
	}
}

// Generate writes a corpus of docs Kubernetes documents under dir (created
// if needed), deterministically derived from seed, and reports what it wrote.
func Generate(dir string, docs int, seed int64) (Stats, error) {
	if docs < 0 {
		return Stats{}, fmt.Errorf("k8scorpus: negative document count %d", docs)
	}
	if dir == "" {
		return Stats{}, errors.New("k8scorpus: empty output directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("k8scorpus: create output directory: %w", err)
	}

	g := &generator{
		rng:   rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		stats: Stats{Kinds: map[string]int{}},
	}
	files := (docs + DocsPerFile - 1) / DocsPerFile
	nsDirs := min(NamespaceDirs, max(files, 1))
	for f := range files {
		ns := fmt.Sprintf("ns-%02d", f%nsDirs)
		n := min(DocsPerFile, docs-f*DocsPerFile)
		data, err := g.file(ns, n)
		if err != nil {
			return g.stats, err
		}
		sub := filepath.Join(dir, ns)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return g.stats, fmt.Errorf("k8scorpus: create namespace directory: %w", err)
		}
		name := filepath.Join(sub, fmt.Sprintf("app-%04d.yaml", f))
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return g.stats, fmt.Errorf("k8scorpus: write corpus file: %w", err)
		}
		g.stats.Files++
		g.stats.Bytes += int64(len(data))
	}
	return g.stats, nil
}

type generator struct {
	rng   *rand.Rand
	stats Stats
	seq   int // documents generated so far; makes names unique
}

// file renders n documents for namespace ns as one multi-document YAML file.
func (g *generator) file(ns string, n int) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for range n {
		doc, kind := g.document(ns)
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("k8scorpus: encode %s: %w", kind, err)
		}
		g.stats.Docs++
		g.stats.Kinds[kind]++
		g.seq++
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("k8scorpus: finish YAML stream: %w", err)
	}
	return buf.Bytes(), nil
}

// document picks a category (70/15/10/5) and renders one object.
func (g *generator) document(ns string) (*yaml.Node, string) {
	switch p := g.rng.IntN(100); {
	case p < 70:
		return g.workload(ns)
	case p < 85:
		return g.rbac(ns)
	case p < 95:
		return g.network(ns)
	default:
		return g.other(ns)
	}
}

// ---------------------------------------------------------------------------
// YAML node helpers. Building yaml.Nodes (rather than Go maps) keeps the
// conventional Kubernetes key order and lets the encoder quote scalars.

// obj builds a mapping from alternating keys and values. A value may be a
// *yaml.Node, string, int, bool or []*yaml.Node; nil values drop the pair,
// which keeps optional fields readable at the call site.
func obj(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		v := node(kv[i+1])
		if v == nil {
			continue
		}
		m.Content = append(m.Content, str(kv[i].(string)), v)
	}
	return m
}

// set appends key: value to mapping m; callers must not add a key twice.
func set(m *yaml.Node, key string, value any) {
	if v := node(value); v != nil {
		m.Content = append(m.Content, str(key), v)
	}
}

func list(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

func strs(items ...string) *yaml.Node {
	l := list()
	for _, s := range items {
		l.Content = append(l.Content, str(s))
	}
	return l
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func node(v any) *yaml.Node {
	switch v := v.(type) {
	case nil:
		return nil
	case *yaml.Node:
		return v
	case string:
		return str(v)
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
	case []*yaml.Node:
		return list(v...)
	default:
		panic(fmt.Sprintf("k8scorpus: unsupported YAML value %T", v))
	}
}

// opt returns v when cond holds and nil (field omitted) otherwise.
func opt(cond bool, v any) any {
	if cond {
		return v
	}
	return nil
}

// ---------------------------------------------------------------------------
// Random helpers.

func (g *generator) chance(percent int) bool { return g.rng.IntN(100) < percent }

func pick[T any](g *generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }

type weighted struct {
	name   string
	weight int
}

func (g *generator) weighted(ws []weighted) string {
	total := 0
	for _, w := range ws {
		total += w.weight
	}
	n := g.rng.IntN(total)
	for _, w := range ws {
		if n < w.weight {
			return w.name
		}
		n -= w.weight
	}
	return ws[len(ws)-1].name
}

var appNames = []string{
	"frontend", "checkout", "payments", "cart", "catalog", "search", "auth",
	"gateway", "orders", "inventory", "shipping", "notifier", "billing",
	"reporting", "ledger", "profile", "recommender", "media", "metrics-agent",
	"log-shipper", "redis-cache", "postgres", "kafka", "zookeeper", "etl",
	"backup", "cert-rotator", "ingress-proxy", "admin-console", "webhook",
}

var teams = []string{"core", "growth", "platform", "data", "sre", "security"}

// objectName returns a unique, DNS-compatible name based on app.
func (g *generator) objectName(app string) string {
	return fmt.Sprintf("%s-%05d", app, g.seq)
}

// metadata returns an ObjectMeta mapping; namespaced objects sometimes omit
// the namespace (as hand-written manifests often do).
func (g *generator) metadata(name, ns, app string, namespaced bool) *yaml.Node {
	m := obj("name", name)
	if namespaced && !g.chance(10) {
		set(m, "namespace", ns)
	}
	labels := obj("app.kubernetes.io/name", app)
	if g.chance(60) {
		set(labels, "app.kubernetes.io/part-of", "shop")
		set(labels, "team", pick(g, teams))
	}
	if g.chance(30) {
		set(labels, "version", fmt.Sprintf("v%d.%d", 1+g.rng.IntN(3), g.rng.IntN(20)))
	}
	set(m, "labels", labels)
	if g.chance(25) {
		set(m, "annotations", obj(
			"owner", pick(g, teams)+"@example.com",
			"description", "generated benchmark object for "+app,
		))
	}
	return m
}

// annotate adds an annotation to the ObjectMeta mapping meta.
func annotate(meta *yaml.Node, key, value string) {
	for i := 0; i+1 < len(meta.Content); i += 2 {
		if meta.Content[i].Value == "annotations" {
			set(meta.Content[i+1], key, value)
			return
		}
	}
	set(meta, "annotations", obj(key, value))
}

// ---------------------------------------------------------------------------
// Workloads.

var workloadWeights = []weighted{
	{"Deployment", 30}, {"Pod", 12}, {"StatefulSet", 10}, {"DaemonSet", 9},
	{"Job", 10}, {"CronJob", 10}, {"ReplicaSet", 10}, {"ReplicationController", 9},
}

func (g *generator) workload(ns string) (*yaml.Node, string) {
	kind := g.weighted(workloadWeights)
	app := pick(g, appNames)
	name := g.objectName(app)
	meta := g.metadata(name, ns, app, true)
	selector := obj("app.kubernetes.io/name", app, "instance", name)

	switch kind {
	case "Pod":
		spec := g.podSpec(app, name, pick(g, []string{"Always", "OnFailure", "Never"}))
		return obj("apiVersion", "v1", "kind", kind, "metadata", meta, "spec", spec), kind
	case "Job":
		return obj("apiVersion", "batch/v1", "kind", kind, "metadata", meta,
			"spec", g.jobSpec(app, name, selector)), kind
	case "CronJob":
		schedule := pick(g, []string{"*/5 * * * *", "0 * * * *", "30 2 * * *", "0 0 * * 0", "@hourly"})
		spec := obj(
			"schedule", schedule,
			"concurrencyPolicy", opt(g.chance(60), pick(g, []string{"Forbid", "Allow", "Replace"})),
			"successfulJobsHistoryLimit", opt(g.chance(40), 1+g.rng.IntN(5)),
			"jobTemplate", obj("spec", g.jobSpec(app, name, selector)),
		)
		return obj("apiVersion", "batch/v1", "kind", kind, "metadata", meta, "spec", spec), kind
	}

	apiVersion := "apps/v1"
	spec := obj()
	switch kind {
	case "Deployment", "ReplicaSet", "StatefulSet":
		set(spec, "replicas", pick(g, []int{1, 1, 2, 3, 3, 5, 10}))
	case "ReplicationController":
		apiVersion = "v1"
		set(spec, "replicas", 1+g.rng.IntN(4))
	}
	if kind == "StatefulSet" {
		set(spec, "serviceName", name)
	}
	if kind == "ReplicationController" {
		set(spec, "selector", selector)
	} else {
		set(spec, "selector", obj("matchLabels", selector))
	}
	if kind == "Deployment" && g.chance(40) {
		set(spec, "strategy", obj("type", "RollingUpdate",
			"rollingUpdate", obj("maxSurge", 1, "maxUnavailable", 0)))
	}
	set(spec, "template", g.podTemplate(app, name, selector, "Always"))
	if kind == "StatefulSet" && g.chance(60) {
		set(spec, "volumeClaimTemplates", list(obj(
			"metadata", obj("name", "data"),
			"spec", obj(
				"accessModes", strs("ReadWriteOnce"),
				"resources", obj("requests", obj("storage", pick(g, []string{"1Gi", "10Gi", "50Gi"}))),
			),
		)))
	}
	return obj("apiVersion", apiVersion, "kind", kind, "metadata", meta, "spec", spec), kind
}

func (g *generator) jobSpec(app, name string, selector *yaml.Node) *yaml.Node {
	return obj(
		"backoffLimit", opt(g.chance(70), g.rng.IntN(7)),
		"activeDeadlineSeconds", opt(g.chance(30), 600*(1+g.rng.IntN(6))),
		"ttlSecondsAfterFinished", opt(g.chance(40), 3600),
		"template", g.podTemplate(app, name, selector, pick(g, []string{"Never", "OnFailure"})),
	)
}

func (g *generator) podTemplate(app, name string, selector *yaml.Node, restart string) *yaml.Node {
	labels := obj()
	labels.Content = append(labels.Content, selector.Content...)
	meta := obj("labels", labels)
	if g.chance(20) {
		set(meta, "annotations", obj("prometheus.io/scrape", "true", "prometheus.io/port", "9090"))
	}
	return obj("metadata", meta, "spec", g.podSpec(app, name, restart))
}

type volume struct {
	name, mountPath string
	spec            *yaml.Node
	readOnly        bool
}

var hostPaths = []string{"/var/run/docker.sock", "/", "/var/log", "/etc", "/proc", "/var/lib/kubelet", "/run/containerd/containerd.sock"}

func (g *generator) podSpec(app, name, restart string) *yaml.Node {
	spec := obj()
	if restart != "Always" || g.chance(20) {
		set(spec, "restartPolicy", restart)
	}
	switch {
	case g.chance(50):
		set(spec, "serviceAccountName", app)
	case g.chance(20):
		set(spec, "serviceAccountName", "default")
	}
	if g.chance(30) {
		set(spec, "automountServiceAccountToken", !g.chance(70))
	}
	// Host namespaces: rare, as in real clusters, but present.
	if g.chance(6) {
		set(spec, "hostNetwork", true)
	}
	if g.chance(4) {
		set(spec, "hostPID", true)
	}
	if g.chance(3) {
		set(spec, "hostIPC", true)
	}
	if g.chance(50) {
		psc := obj()
		switch g.rng.IntN(3) {
		case 0: // hardened
			set(psc, "runAsNonRoot", true)
			set(psc, "runAsUser", 10000+g.rng.IntN(1000))
			set(psc, "runAsGroup", 10000+g.rng.IntN(1000))
			set(psc, "fsGroup", 2000)
			set(psc, "seccompProfile", obj("type", "RuntimeDefault"))
		case 1: // partial
			set(psc, "runAsNonRoot", g.chance(50))
			set(psc, "fsGroup", 1000)
		default: // explicitly weak
			set(psc, "runAsUser", 0)
			if g.chance(50) {
				set(psc, "seccompProfile", obj("type", "Unconfined"))
			}
			if g.chance(30) {
				set(psc, "sysctls", list(obj("name", "net.ipv4.ip_unprivileged_port_start", "value", "0")))
			}
		}
		set(spec, "securityContext", psc)
	}
	if g.chance(15) {
		set(spec, "nodeSelector", obj("kubernetes.io/os", "linux"))
	}
	if g.chance(10) {
		set(spec, "tolerations", list(obj("key", "node-role.kubernetes.io/control-plane",
			"operator", "Exists", "effect", "NoSchedule")))
	}

	var vols []volume
	if g.chance(50) {
		vols = append(vols, volume{name: "config", mountPath: "/etc/" + app,
			spec: obj("configMap", obj("name", app+"-config")), readOnly: true})
	}
	if g.chance(30) {
		vols = append(vols, volume{name: "tmp", mountPath: "/tmp", spec: obj("emptyDir", obj())})
	}
	if g.chance(20) {
		vols = append(vols, volume{name: "credentials", mountPath: "/var/run/secrets/" + app,
			spec: obj("secret", obj("secretName", app+"-credentials")), readOnly: true})
	}
	if g.chance(10) {
		p := pick(g, hostPaths)
		hp := obj("path", p)
		if g.chance(50) {
			set(hp, "type", pick(g, []string{"Directory", "Socket", "DirectoryOrCreate"}))
		}
		vols = append(vols, volume{name: "host", mountPath: "/host" + strings.TrimSuffix(p, "/"),
			spec: obj("hostPath", hp), readOnly: g.chance(50)})
	}

	if g.chance(20) {
		var inits []*yaml.Node
		for i := range 1 + g.rng.IntN(2) {
			inits = append(inits, g.container(fmt.Sprintf("init-%d", i), app, vols, true))
		}
		set(spec, "initContainers", list(inits...))
	}
	var cs []*yaml.Node
	for i := range pick(g, []int{1, 1, 1, 1, 1, 1, 2, 2, 2, 3}) {
		cname := app
		if i > 0 {
			cname = pick(g, []string{"sidecar", "proxy", "log-forwarder", "metrics"}) + "-" + strconv.Itoa(i)
		}
		cs = append(cs, g.container(cname, app, vols, false))
	}
	set(spec, "containers", list(cs...))
	if len(vols) > 0 {
		vl := list()
		for _, v := range vols {
			m := obj("name", v.name)
			m.Content = append(m.Content, v.spec.Content...)
			vl.Content = append(vl.Content, m)
		}
		set(spec, "volumes", vl)
	}
	return spec
}

var images = []string{
	"nginx:1.27.2", "nginx", "nginx:latest", "redis:7.4-alpine", "docker.io/library/postgres:16",
	"postgres", "busybox", "busybox:1.36", "alpine:3.20", "ubuntu:latest",
	"quay.io/prometheus/node-exporter:v1.8.2", "gcr.io/distroless/static:nonroot",
	"registry.example.com/shop/%s:2.%d.%d", "registry.example.com/shop/%s",
	"ghcr.io/example/%s:sha-3f9c2d1",
	"registry.example.com/shop/%s@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
}

var secretEnvNames = []string{
	"DB_PASSWORD", "API_KEY", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN",
	"STRIPE_SECRET_KEY", "JWT_SECRET", "REDIS_PASSWORD", "PRIVATE_KEY",
}

func (g *generator) image(app string) string {
	img := pick(g, images)
	switch strings.Count(img, "%") {
	case 1:
		return fmt.Sprintf(img, app)
	case 3:
		return fmt.Sprintf(img, app, g.rng.IntN(10), g.rng.IntN(30))
	}
	return img
}

func (g *generator) container(name, app string, vols []volume, init bool) *yaml.Node {
	c := obj("name", name, "image", g.image(app))
	if g.chance(40) {
		set(c, "imagePullPolicy", pick(g, []string{"Always", "IfNotPresent", "Never"}))
	}
	if init {
		set(c, "command", strs("sh", "-c", pick(g, []string{
			"until nslookup postgres; do sleep 2; done",
			"cp -r /seed/. /data/",
			"chown -R 1000:1000 /data",
		})))
	} else if g.chance(30) {
		set(c, "args", strs("--port=8080", "--log-level="+pick(g, []string{"info", "debug"})))
	}
	port := pick(g, []int{80, 443, 8080, 8443, 9090, 6379, 5432, 3000})
	if !init && g.chance(80) {
		p := obj("name", "http", "containerPort", port)
		if g.chance(30) {
			set(p, "protocol", "TCP")
		}
		if g.chance(5) {
			set(p, "hostPort", port)
		}
		set(c, "ports", list(p))
	}

	if g.chance(60) {
		env := list(obj("name", "LOG_LEVEL", "value", pick(g, []string{"info", "warn", "debug"})))
		if g.chance(50) {
			env.Content = append(env.Content, obj("name", "PORT", "value", strconv.Itoa(port)))
		}
		if g.chance(35) {
			secretName := pick(g, secretEnvNames)
			if g.chance(50) { // literal secret in the manifest: bad
				env.Content = append(env.Content, obj("name", secretName,
					"value", fmt.Sprintf("s3cr3t-%08x", g.rng.Uint32())))
			} else {
				env.Content = append(env.Content, obj("name", secretName,
					"valueFrom", obj("secretKeyRef", obj("name", app+"-credentials", "key", strings.ToLower(secretName)))))
			}
		}
		if g.chance(20) {
			env.Content = append(env.Content, obj("name", "POD_NAME",
				"valueFrom", obj("fieldRef", obj("fieldPath", "metadata.name"))))
		}
		set(c, "env", env)
	}
	if g.chance(15) {
		set(c, "envFrom", list(obj("configMapRef", obj("name", app+"-config"))))
	}

	switch g.rng.IntN(10) {
	case 0, 1, 2: // none
	case 3, 4: // requests only
		set(c, "resources", obj("requests", obj("cpu", "100m", "memory", "128Mi")))
	case 5: // limits only
		set(c, "resources", obj("limits", obj("memory", "512Mi")))
	default:
		set(c, "resources", obj(
			"requests", obj("cpu", pick(g, []string{"50m", "100m", "250m", "500m"}), "memory", pick(g, []string{"64Mi", "128Mi", "256Mi"})),
			"limits", obj("cpu", pick(g, []string{"500m", "1", "2"}), "memory", pick(g, []string{"256Mi", "512Mi", "1Gi"})),
		))
	}

	if !init {
		if g.chance(50) {
			set(c, "livenessProbe", obj(
				"httpGet", obj("path", "/healthz", "port", port),
				"initialDelaySeconds", 10, "periodSeconds", 10))
		}
		if g.chance(50) {
			set(c, "readinessProbe", obj(
				"tcpSocket", obj("port", port),
				"periodSeconds", 5))
		}
	}

	switch g.rng.IntN(10) {
	case 0, 1, 2: // no securityContext
	case 3, 4, 5, 6: // hardened
		set(c, "securityContext", obj(
			"allowPrivilegeEscalation", false,
			"readOnlyRootFilesystem", true,
			"runAsNonRoot", true,
			"runAsUser", opt(g.chance(50), 65532),
			"capabilities", obj("drop", strs("ALL")),
			"seccompProfile", opt(g.chance(60), obj("type", "RuntimeDefault")),
		))
	case 7: // partially hardened
		set(c, "securityContext", obj(
			"allowPrivilegeEscalation", false,
			"capabilities", obj("drop", strs("NET_RAW")),
		))
	default: // dangerous
		sc := obj()
		if g.chance(50) {
			set(sc, "privileged", true)
		}
		if g.chance(50) {
			set(sc, "allowPrivilegeEscalation", true)
		}
		if g.chance(50) {
			set(sc, "runAsUser", 0)
			set(sc, "runAsNonRoot", false)
		}
		if g.chance(60) {
			set(sc, "capabilities", obj("add",
				strs(pick(g, [][]string{{"SYS_ADMIN"}, {"NET_ADMIN", "NET_RAW"}, {"ALL"}, {"SYS_PTRACE"}, {"SYS_MODULE"}})...)))
		}
		if g.chance(20) {
			set(sc, "procMount", "Unmasked")
		}
		if len(sc.Content) == 0 {
			set(sc, "privileged", true)
		}
		set(c, "securityContext", sc)
	}

	if len(vols) > 0 {
		mounts := list()
		for _, v := range vols {
			if g.chance(70) {
				mounts.Content = append(mounts.Content, obj("name", v.name,
					"mountPath", v.mountPath, "readOnly", opt(v.readOnly, true)))
			}
		}
		if len(mounts.Content) > 0 {
			set(c, "volumeMounts", mounts)
		}
	}
	return c
}

// ---------------------------------------------------------------------------
// RBAC.

var rbacWeights = []weighted{{"Role", 30}, {"ClusterRole", 25}, {"RoleBinding", 25}, {"ClusterRoleBinding", 20}}

type policyRule struct{ groups, resources, verbs []string }

var (
	readOnlyVerbs = []string{"get", "list", "watch"}

	namespacedRules = []policyRule{
		{[]string{""}, []string{"pods", "services", "endpoints"}, readOnlyVerbs},
		{[]string{""}, []string{"configmaps"}, []string{"get", "list", "watch", "update"}},
		{[]string{"apps"}, []string{"deployments", "statefulsets"}, readOnlyVerbs},
		{[]string{""}, []string{"secrets"}, []string{"get", "list"}},
		{[]string{""}, []string{"pods/exec", "pods/attach"}, []string{"create"}},
		{[]string{"*"}, []string{"*"}, []string{"*"}},
		{[]string{""}, []string{"pods"}, []string{"*"}},
		{[]string{"batch"}, []string{"jobs", "cronjobs"}, []string{"create", "delete"}},
	}

	clusterRules = append(slices.Clip(namespacedRules),
		policyRule{[]string{""}, []string{"nodes", "nodes/proxy"}, readOnlyVerbs},
		policyRule{[]string{"rbac.authorization.k8s.io"}, []string{"clusterroles", "clusterrolebindings"}, []string{"bind", "escalate"}},
		policyRule{[]string{""}, []string{"users", "groups", "serviceaccounts"}, []string{"impersonate"}},
		policyRule{[]string{"admissionregistration.k8s.io"}, []string{"mutatingwebhookconfigurations"}, []string{"create", "update", "patch"}},
	)
)

func (g *generator) rules(cluster bool) *yaml.Node {
	candidates := namespacedRules
	if cluster {
		candidates = clusterRules
	}
	rs := list()
	for range 1 + g.rng.IntN(3) {
		r := pick(g, candidates)
		rs.Content = append(rs.Content, obj("apiGroups", strs(r.groups...),
			"resources", strs(r.resources...), "verbs", strs(r.verbs...)))
	}
	return rs
}

func (g *generator) subjects(ns, app string) *yaml.Node {
	s := list()
	for range 1 + g.rng.IntN(2) {
		switch g.rng.IntN(6) {
		case 0, 1, 2:
			sa := app
			saNS := ns
			if g.chance(20) {
				sa = "default"
			}
			if g.chance(10) {
				saNS = "kube-system"
			}
			s.Content = append(s.Content, obj("kind", "ServiceAccount", "name", sa, "namespace", saNS))
		case 3:
			s.Content = append(s.Content, obj("kind", "User", "apiGroup", "rbac.authorization.k8s.io",
				"name", pick(g, teams)+"-oncall@example.com"))
		case 4:
			s.Content = append(s.Content, obj("kind", "Group", "apiGroup", "rbac.authorization.k8s.io",
				"name", pick(g, []string{"developers", "sre", "system:authenticated", "system:serviceaccounts"})))
		default:
			s.Content = append(s.Content, obj("kind", "ServiceAccount", "name", "default", "namespace", ns))
		}
	}
	return s
}

func (g *generator) rbac(ns string) (*yaml.Node, string) {
	kind := g.weighted(rbacWeights)
	app := pick(g, appNames)
	name := g.objectName(app)
	const api = "rbac.authorization.k8s.io/v1"
	switch kind {
	case "Role":
		return obj("apiVersion", api, "kind", kind, "metadata", g.metadata(name, ns, app, true),
			"rules", g.rules(false)), kind
	case "ClusterRole":
		return obj("apiVersion", api, "kind", kind, "metadata", g.metadata(name, ns, app, false),
			"rules", g.rules(true)), kind
	case "RoleBinding":
		ref := obj("apiGroup", "rbac.authorization.k8s.io", "kind", "Role", "name", app+"-role")
		if g.chance(40) {
			ref = obj("apiGroup", "rbac.authorization.k8s.io", "kind", "ClusterRole",
				"name", pick(g, []string{"view", "edit", "admin", "cluster-admin"}))
		}
		return obj("apiVersion", api, "kind", kind, "metadata", g.metadata(name, ns, app, true),
			"roleRef", ref, "subjects", g.subjects(ns, app)), kind
	default: // ClusterRoleBinding
		role := pick(g, []string{"cluster-admin", "cluster-admin", "view", "edit", app + "-clusterrole", "system:node-proxier"})
		subjects := g.subjects(ns, app)
		if role == "cluster-admin" && g.chance(60) {
			// The classic finding: cluster-admin handed to a workload's service account.
			subjects = list(obj("kind", "ServiceAccount", "name", app, "namespace", ns))
		}
		return obj("apiVersion", api, "kind", kind, "metadata", g.metadata(name, ns, app, false),
			"roleRef", obj("apiGroup", "rbac.authorization.k8s.io", "kind", "ClusterRole", "name", role),
			"subjects", subjects), kind
	}
}

// ---------------------------------------------------------------------------
// Services and Ingresses.

func (g *generator) network(ns string) (*yaml.Node, string) {
	app := pick(g, appNames)
	name := g.objectName(app)
	if g.chance(30) {
		return g.ingress(ns, app, name), "Ingress"
	}
	typ := g.weighted([]weighted{{"ClusterIP", 60}, {"NodePort", 20}, {"LoadBalancer", 20}})
	port := pick(g, []int{80, 443, 8080, 5432, 6379, 9090})
	p := obj("name", "http", "port", port, "targetPort", pick(g, []int{8080, 8443, 3000, port}))
	if g.chance(40) {
		set(p, "protocol", "TCP")
	}
	if typ == "NodePort" && g.chance(50) {
		set(p, "nodePort", 30000+g.rng.IntN(2768))
	}
	spec := obj()
	if typ != "ClusterIP" || g.chance(50) {
		set(spec, "type", typ)
	}
	set(spec, "selector", obj("app.kubernetes.io/name", app))
	set(spec, "ports", list(p))
	if typ == "LoadBalancer" && g.chance(40) {
		set(spec, "loadBalancerSourceRanges", strs(pick(g, []string{"0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24"})))
	}
	if typ == "ClusterIP" && g.chance(10) {
		set(spec, "clusterIP", "None")
	}
	if typ != "ClusterIP" && g.chance(30) {
		set(spec, "externalTrafficPolicy", pick(g, []string{"Local", "Cluster"}))
	}
	return obj("apiVersion", "v1", "kind", "Service", "metadata", g.metadata(name, ns, app, true), "spec", spec), "Service"
}

func (g *generator) ingress(ns, app, name string) *yaml.Node {
	host := fmt.Sprintf("%s.%s.example.com", app, ns)
	backend := obj("service", obj("name", app, "port", obj("number", pick(g, []int{80, 8080, 443}))))
	paths := list(obj("path", "/", "pathType", "Prefix", "backend", backend))
	if g.chance(30) {
		paths.Content = append(paths.Content, obj("path", "/api", "pathType", pick(g, []string{"Prefix", "Exact", "ImplementationSpecific"}),
			"backend", obj("service", obj("name", app+"-api", "port", obj("name", "http")))))
	}
	r := obj("http", obj("paths", paths))
	if g.chance(80) {
		r = obj("host", host, "http", obj("paths", paths))
	}
	spec := obj("ingressClassName", opt(g.chance(70), pick(g, []string{"nginx", "traefik"})))
	if g.chance(50) {
		set(spec, "tls", list(obj("hosts", strs(host), "secretName", app+"-tls")))
	}
	set(spec, "rules", list(r))
	meta := g.metadata(name, ns, app, true)
	if g.chance(30) {
		annotate(meta, "nginx.ingress.kubernetes.io/ssl-redirect", strconv.FormatBool(g.chance(50)))
	}
	return obj("apiVersion", "networking.k8s.io/v1", "kind", "Ingress", "metadata", meta, "spec", spec)
}

// ---------------------------------------------------------------------------
// Other objects.

func (g *generator) other(ns string) (*yaml.Node, string) {
	app := pick(g, appNames)
	name := g.objectName(app)
	if g.chance(50) {
		var spec *yaml.Node
		switch g.rng.IntN(3) {
		case 0: // default deny
			spec = obj("podSelector", obj(), "policyTypes", strs("Ingress", "Egress"))
		case 1: // allow from same namespace
			spec = obj("podSelector", obj("matchLabels", obj("app.kubernetes.io/name", app)),
				"policyTypes", strs("Ingress"),
				"ingress", list(obj("from", list(obj("podSelector", obj())),
					"ports", list(obj("protocol", "TCP", "port", 8080)))))
		default: // allow all ingress
			spec = obj("podSelector", obj(), "policyTypes", strs("Ingress"), "ingress", list(obj()))
		}
		return obj("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy",
			"metadata", g.metadata(name, ns, app, true), "spec", spec), "NetworkPolicy"
	}
	data := obj(
		"LOG_LEVEL", pick(g, []string{"info", "debug"}),
		"FEATURE_FLAGS", "checkout-v2,fast-search",
		"MAX_CONNECTIONS", strconv.Itoa(10*(1+g.rng.IntN(20))),
	)
	if g.chance(30) {
		set(data, pick(g, secretEnvNames), fmt.Sprintf("plaintext-%08x", g.rng.Uint32()))
	}
	if g.chance(30) {
		set(data, "app.properties", "server.port=8080\nmanagement.endpoints.web.exposure.include=health,info\n")
	}
	return obj("apiVersion", "v1", "kind", "ConfigMap", "metadata", g.metadata(name, ns, app, true), "data", data), "ConfigMap"
}
