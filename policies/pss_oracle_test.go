package policies_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	psa "k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/rampart-sec/rampart/internal/policy"
)

// The differential test below checks Rampart's Pod Security Standards
// policies (rules k8s-pss-*) against the reference implementation, the
// Kubernetes Pod Security admission library, at its latest policy version:
// for thousands of pods, the set of controls that fail must be the same.

// psaControls maps every Pod Security admission check to the Rampart control
// that mirrors it. Baseline checks map to pss-baseline:*, restricted checks to
// pss-restricted:*; each control is compared with its own check, so the
// restricted checks that replace baseline ones (capabilities, seccomp,
// volumes) do not hide the baseline control's answer.
var psaControls = map[psa.CheckID]string{
	"windowsHostProcess":        "pss-baseline:host-process",
	"hostNamespaces":            "pss-baseline:host-namespaces",
	"privileged":                "pss-baseline:privileged",
	"capabilities_baseline":     "pss-baseline:capabilities",
	"hostPathVolumes":           "pss-baseline:host-path-volumes",
	"hostPorts":                 "pss-baseline:host-ports",
	"appArmorProfile":           "pss-baseline:apparmor",
	"seLinuxOptions":            "pss-baseline:selinux",
	"procMount":                 "pss-baseline:proc-mount",
	"seccompProfile_baseline":   "pss-baseline:seccomp",
	"sysctls":                   "pss-baseline:sysctls",
	"restrictedVolumes":         "pss-restricted:volume-types",
	"allowPrivilegeEscalation":  "pss-restricted:privilege-escalation",
	"runAsNonRoot":              "pss-restricted:running-as-non-root",
	"runAsUser":                 "pss-restricted:running-as-non-root-user",
	"seccompProfile_restricted": "pss-restricted:seccomp",
	"capabilities_restricted":   "pss-restricted:capabilities",
}

// psaIgnored are the Pod Security admission checks with no control of their
// own among Rampart's PSS policies; their answers are not compared:
//   - hostProbesAndHostLifecycle (baseline, since 1.34): a host in probes'
//     and lifecycle handlers' httpGet/tcpSocket. The generator never sets it.
//   - procMount_restricted (restricted, since 1.35): the baseline procMount
//     rule without its relaxation for user-namespace pods (hostUsers: false);
//     it replaces procMount at the restricted level. The per-control
//     comparison uses procMount itself; pods it fails are left out of the
//     whole-level comparison of the restricted profile.
var psaIgnored = map[psa.CheckID]bool{
	"hostProbesAndHostLifecycle": true,
	"procMount_restricted":       true,
}

// oracleSeed fixes the pseudo-random pods, so that a failure is reproducible.
const oracleSeed = 20240601

// oracleRandomPods is how many pseudo-random pods the test generates.
const oracleRandomPods = 3000

type obj = map[string]any

// absent marks a key the generator leaves out (nil means an explicit null).
var absent = &struct{ name string }{"absent"}

// oraclePod is a pod as a manifest author writes it: JSON-like maps.
type oraclePod struct {
	meta obj // pod metadata: annotations
	spec obj // pod spec
}

// oracleCase is one pod, and the workload kind it is wrapped in for Rampart.
type oracleCase struct {
	name string
	kind string // Pod, Deployment or CronJob
	pod  oraclePod
}

// psaCheck is the latest version of one Pod Security admission check.
type psaCheck struct {
	id    psa.CheckID
	level psaapi.Level
	fn    psa.CheckPodFn
}

func latestPSAChecks() []psaCheck {
	var out []psaCheck
	for _, c := range psa.DefaultChecks() {
		v := c.Versions[len(c.Versions)-1]
		out = append(out, psaCheck{id: c.ID, level: c.Level, fn: v.CheckPod})
	}
	return out
}

func TestPSSOracle(t *testing.T) {
	ctx := t.Context()
	eng, err := policy.Load(ctx, policy.Options{})
	if err != nil {
		t.Fatalf("load policies: %v", err)
	}
	checks := latestPSAChecks()
	evaluator, err := psa.NewEvaluator(psa.DefaultChecks(), nil)
	if err != nil {
		t.Fatalf("pod security evaluator: %v", err)
	}

	t.Run("mapping", func(t *testing.T) {
		testOracleMapping(t, eng, checks)
	})
	if t.Failed() {
		return
	}

	// Baseline controls that a restricted check replaces at the restricted
	// level, from the checks' own override lists.
	overridden := map[string]bool{}
	for _, c := range psa.DefaultChecks() {
		for _, id := range c.Versions[len(c.Versions)-1].OverrideCheckIDs {
			if ctl, ok := psaControls[id]; ok {
				overridden[ctl] = true
			}
		}
	}

	cases := oracleCases()
	failed := map[string]int{} // control → pods PSA fails
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			manifest, err := c.manifest()
			if err != nil {
				t.Fatal(err)
			}
			meta, spec, err := c.pod.typed()
			if err != nil {
				t.Fatal(err)
			}
			want, ignoredFailed := psaFailing(checks, meta, spec)
			dec, err := eng.Decide(ctx, policy.Query{Kind: policy.KindKubernetes, Input: manifest})
			if err != nil {
				t.Fatalf("decide: %v", err)
			}
			got, findings := rampartFailing(dec)
			for _, ctl := range want {
				failed[ctl]++
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("failing controls differ (-PSA +Rampart):\n%s\nPSA:     %v\nRampart: %v\nRampart findings:\n%s\n%s",
					diff, want, got, strings.Join(findings, "\n"), manifestYAML(manifest))
				return
			}
			// Whole profiles: the admission verdict agrees with the controls.
			for _, level := range []psaapi.Level{psaapi.LevelBaseline, psaapi.LevelRestricted} {
				if level == psaapi.LevelRestricted && ignoredFailed {
					continue
				}
				results := evaluator.EvaluatePod(psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}, meta, spec)
				psaAllowed := psa.AggregateCheckResults(results).Allowed
				ourAllowed := levelAllowed(level, got, overridden)
				if psaAllowed != ourAllowed {
					t.Errorf("%s profile: PSA allowed=%v, Rampart allowed=%v (failing controls %v)\n%s",
						level, psaAllowed, ourAllowed, got, manifestYAML(manifest))
				}
			}
		})
	}

	// Guard against a vacuous agreement: every control must have been seen
	// both failing and passing.
	for _, ctl := range sortedValues(psaControls) {
		if n := failed[ctl]; n == 0 || n == len(cases) {
			t.Errorf("control %s failed for %d of %d pods; the corpus must exercise both answers", ctl, n, len(cases))
		}
	}
	for _, ctl := range sortedValues(psaControls) {
		t.Logf("%-40s fails for %4d of %d pods", ctl, failed[ctl], len(cases))
	}
	t.Logf("%d pods compared (%d table cases, %d pseudo-random, seed %d)", len(cases), len(cases)-oracleRandomPods, oracleRandomPods, oracleSeed)
}

// testOracleMapping checks that every PSA check is mapped or knowingly
// ignored, and that each mapped control is claimed by exactly one k8s-pss-*
// rule.
func testOracleMapping(t *testing.T, eng *policy.Engine, checks []psaCheck) {
	for _, c := range checks {
		_, mapped := psaControls[c.id]
		if !mapped && !psaIgnored[c.id] {
			t.Errorf("PSA check %q (%s) has no Rampart control and is not listed as ignored", c.id, c.level)
		}
		if ctl, ok := psaControls[c.id]; ok && !strings.HasPrefix(ctl, "pss-"+string(c.level)+":") {
			t.Errorf("PSA check %q is %s but maps to %s", c.id, c.level, ctl)
		}
	}
	claims := map[string][]string{}
	for _, r := range eng.Rules() {
		if !strings.HasPrefix(r.ID, "k8s-pss-") {
			continue
		}
		var pss []string
		for _, ctl := range r.Controls {
			if strings.HasPrefix(ctl, "pss-") {
				pss = append(pss, ctl)
				claims[ctl] = append(claims[ctl], r.ID)
			}
		}
		if len(pss) != 1 {
			t.Errorf("rule %s claims PSS controls %v; want exactly one", r.ID, pss)
		}
	}
	for _, ctl := range sortedValues(psaControls) {
		if len(claims[ctl]) != 1 {
			t.Errorf("control %s is claimed by rules %v; want exactly one k8s-pss-* rule", ctl, claims[ctl])
		}
	}
}

// psaFailing runs every latest PSA check and returns the mapped controls that
// fail, sorted, and whether an ignored check failed.
func psaFailing(checks []psaCheck, meta *metav1.ObjectMeta, spec *corev1.PodSpec) (failing []string, ignoredFailed bool) {
	failing = []string{}
	for _, c := range checks {
		if c.fn(meta, spec).Allowed {
			continue
		}
		if ctl, ok := psaControls[c.id]; ok {
			failing = append(failing, ctl)
		} else {
			ignoredFailed = true
		}
	}
	sort.Strings(failing)
	return failing, ignoredFailed
}

// rampartFailing returns the PSS controls of the k8s-pss-* rules that
// reported something, sorted, and those findings for the error message.
func rampartFailing(dec policy.Decision) (failing, findings []string) {
	set := map[string]bool{}
	for _, r := range dec.Results {
		if !strings.HasPrefix(r.Rule.ID, "k8s-pss-") {
			continue
		}
		findings = append(findings, fmt.Sprintf("  %s: %s (%s)", r.Rule.ID, r.Message, r.Field))
		for _, ctl := range r.Rule.Controls {
			if strings.HasPrefix(ctl, "pss-") {
				set[ctl] = true
			}
		}
	}
	failing = []string{}
	for ctl := range set {
		failing = append(failing, ctl)
	}
	sort.Strings(failing)
	sort.Strings(findings)
	return failing, findings
}

// levelAllowed is Rampart's verdict for a whole profile: baseline fails on
// any baseline control; restricted on any restricted control or any baseline
// control that no restricted check replaces.
func levelAllowed(level psaapi.Level, failing []string, overridden map[string]bool) bool {
	for _, ctl := range failing {
		switch {
		case strings.HasPrefix(ctl, "pss-baseline:"):
			if level == psaapi.LevelBaseline || !overridden[ctl] {
				return false
			}
		case strings.HasPrefix(ctl, "pss-restricted:"):
			if level == psaapi.LevelRestricted {
				return false
			}
		}
	}
	return true
}

func sortedValues(m map[psa.CheckID]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// typed decodes the pod into the API types the admission library takes,
// as the API server would.
func (p oraclePod) typed() (*metav1.ObjectMeta, *corev1.PodSpec, error) {
	var meta metav1.ObjectMeta
	var spec corev1.PodSpec
	if err := roundTrip(p.meta, &meta); err != nil {
		return nil, nil, fmt.Errorf("decode pod metadata: %w", err)
	}
	if err := roundTrip(p.spec, &spec); err != nil {
		return nil, nil, fmt.Errorf("decode pod spec: %w", err)
	}
	return &meta, &spec, nil
}

func roundTrip(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("marshal: %w", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("unmarshal: %w", err)
	}
	return nil
}

// manifest wraps the pod in its workload kind and returns it JSON-like, as
// the scanner hands manifests to the policies.
func (c oracleCase) manifest() (obj, error) {
	const name = "oracle"
	meta := obj{}
	for k, v := range c.pod.meta {
		meta[k] = v
	}
	var m obj
	switch c.kind {
	case "Pod":
		meta["name"], meta["namespace"] = name, "oracle"
		m = obj{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": c.pod.spec}
	case "Deployment":
		meta["labels"] = obj{"app": name}
		m = obj{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": obj{"name": name, "namespace": "oracle"},
			"spec": obj{
				"selector": obj{"matchLabels": obj{"app": name}},
				"template": obj{"metadata": meta, "spec": c.pod.spec},
			},
		}
	case "CronJob":
		m = obj{
			"apiVersion": "batch/v1", "kind": "CronJob",
			"metadata": obj{"name": name, "namespace": "oracle"},
			"spec": obj{
				"schedule":    "0 * * * *",
				"jobTemplate": obj{"spec": obj{"template": obj{"metadata": meta, "spec": c.pod.spec}}},
			},
		}
	default:
		return nil, fmt.Errorf("unknown kind %q", c.kind)
	}
	var out obj
	if err := roundTrip(m, &out); err != nil {
		return nil, fmt.Errorf("normalise manifest: %w", err)
	}
	return out, nil
}

func manifestYAML(m obj) string {
	b, err := yaml.Marshal(m)
	if err != nil {
		return fmt.Sprintf("(cannot print manifest: %v)", err)
	}
	return string(b)
}

// ---------------------------------------------------------------------------
// Building pods.

// set stores v under key unless v is absent.
func set(m obj, key string, v any) {
	if v != absent {
		m[key] = v
	}
}

// child returns m[key] as a map, creating it when missing or null.
func child(m obj, key string) obj {
	if c, ok := m[key].(obj); ok {
		return c
	}
	c := obj{}
	m[key] = c
	return c
}

func (p oraclePod) podSC() obj { return child(p.spec, "securityContext") }

// ctr returns container i of the given list (containers, initContainers,
// ephemeralContainers), appending containers as needed.
func (p oraclePod) ctr(list string, i int) obj {
	l, _ := p.spec[list].([]any)
	for len(l) <= i {
		l = append(l, newContainer(fmt.Sprintf("%s-%d", strings.TrimSuffix(list, "s"), len(l))))
	}
	p.spec[list] = l
	return l[i].(obj)
}

func (p oraclePod) sc(list string, i int) obj { return child(p.ctr(list, i), "securityContext") }

func newContainer(name string) obj {
	return obj{"name": name, "image": "registry.example/" + name + ":1.0"}
}

// compliantContainer passes every restricted check once the pod sets
// runAsNonRoot and a seccomp profile.
func compliantContainer(name string) obj {
	c := newContainer(name)
	c["securityContext"] = obj{
		"allowPrivilegeEscalation": false,
		"capabilities":             obj{"drop": []any{"ALL"}},
	}
	return c
}

// restrictedPod passes every baseline and restricted check.
func restrictedPod() oraclePod {
	return oraclePod{
		meta: obj{},
		spec: obj{
			"securityContext": obj{
				"runAsNonRoot":   true,
				"seccompProfile": obj{"type": "RuntimeDefault"},
			},
			"initContainers": []any{compliantContainer("init")},
			"containers":     []any{compliantContainer("app"), compliantContainer("sidecar")},
		},
	}
}

// mutation is one named change to a pod; the table cases apply one each to a
// restricted pod, and the random generator combines several.
type mutation struct {
	name  string
	apply func(p oraclePod)
}

func mutations() []mutation {
	var ms []mutation
	add := func(name string, f func(p oraclePod)) { ms = append(ms, mutation{name, f}) }

	lists := []string{"initContainers", "containers", "ephemeralContainers"}

	// host-process
	for _, v := range []any{true, false, nil} {
		add(fmt.Sprintf("pod hostProcess %v", v), func(p oraclePod) { child(p.podSC(), "windowsOptions")["hostProcess"] = v })
		for _, l := range lists {
			add(fmt.Sprintf("%s hostProcess %v", l, v), func(p oraclePod) { child(p.sc(l, 0), "windowsOptions")["hostProcess"] = v })
		}
	}
	add("pod windowsOptions null", func(p oraclePod) { p.podSC()["windowsOptions"] = nil })

	// host-namespaces
	for _, key := range []string{"hostNetwork", "hostPID", "hostIPC"} {
		for _, v := range []any{true, false, nil} {
			add(fmt.Sprintf("%s %v", key, v), func(p oraclePod) { p.spec[key] = v })
		}
	}

	// privileged
	for _, v := range []any{true, false, nil} {
		for _, l := range lists {
			add(fmt.Sprintf("%s privileged %v", l, v), func(p oraclePod) { p.sc(l, 0)["privileged"] = v })
		}
	}
	add("second container privileged", func(p oraclePod) { p.sc("containers", 1)["privileged"] = true })

	// capabilities (baseline and restricted)
	capNames := []string{
		"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
		"SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT", "NET_RAW", "SYS_ADMIN", "SYS_PTRACE",
		"ALL", "chown", "CAP_CHOWN", "",
	}
	for _, c := range capNames {
		add(fmt.Sprintf("containers add %q", c), func(p oraclePod) {
			child(p.sc("containers", 0), "capabilities")["add"] = []any{c}
		})
	}
	for _, l := range lists {
		add(l+" add NET_ADMIN", func(p oraclePod) {
			child(p.sc(l, 0), "capabilities")["add"] = []any{"NET_BIND_SERVICE", "NET_ADMIN"}
		})
		add(l+" capabilities null", func(p oraclePod) { p.sc(l, 0)["capabilities"] = nil })
		add(l+" capabilities empty", func(p oraclePod) { p.sc(l, 0)["capabilities"] = obj{} })
		add(l+" securityContext null", func(p oraclePod) { p.ctr(l, 0)["securityContext"] = nil })
		add(l+" no securityContext", func(p oraclePod) { delete(p.ctr(l, 0), "securityContext") })
	}
	for _, drop := range [][]any{{}, {"all"}, {"NET_RAW"}, {"NET_RAW", "ALL"}, {"ALL", "ALL"}} {
		add(fmt.Sprintf("containers drop %v", drop), func(p oraclePod) { child(p.sc("containers", 0), "capabilities")["drop"] = drop })
	}
	add("containers drop null", func(p oraclePod) { child(p.sc("containers", 0), "capabilities")["drop"] = nil })
	add("containers add null", func(p oraclePod) { child(p.sc("containers", 0), "capabilities")["add"] = nil })
	add("containers add empty", func(p oraclePod) { child(p.sc("containers", 0), "capabilities")["add"] = []any{} })

	// hostPath and other volume types
	volumes := map[string]any{
		"configMap": obj{"name": "cfg"}, "csi": obj{"driver": "csi.example.com"}, "downwardAPI": obj{},
		"emptyDir": obj{}, "ephemeral": obj{"volumeClaimTemplate": obj{"spec": obj{}}}, "image": obj{"reference": "example/data:1"},
		"persistentVolumeClaim": obj{"claimName": "data"}, "projected": obj{"sources": []any{}}, "secret": obj{"secretName": "s"},
		"hostPath": obj{"path": "/var/log"}, "gcePersistentDisk": obj{"pdName": "d"}, "awsElasticBlockStore": obj{"volumeID": "v"},
		"gitRepo": obj{"repository": "https://example.com/r.git"}, "nfs": obj{"server": "nfs", "path": "/"},
		"iscsi":     obj{"targetPortal": "10.0.0.1:3260", "iqn": "iqn.2001-04.com.example:x", "lun": 0},
		"glusterfs": obj{"endpoints": "e", "path": "p"}, "rbd": obj{"monitors": []any{"m"}, "image": "i"},
		"flexVolume": obj{"driver": "d"}, "cinder": obj{"volumeID": "v"}, "cephfs": obj{"monitors": []any{"m"}},
		"flocker": obj{"datasetName": "d"}, "fc": obj{}, "azureFile": obj{"secretName": "s", "shareName": "s"},
		"vsphereVolume": obj{"volumePath": "p"}, "quobyte": obj{"registry": "r", "volume": "v"},
		"azureDisk": obj{"diskName": "d", "diskURI": "u"}, "photonPersistentDisk": obj{"pdID": "p"},
		"portworxVolume": obj{"volumeID": "v"}, "scaleIO": obj{"gateway": "g", "system": "s", "secretRef": obj{"name": "n"}},
		"storageos": obj{},
	}
	for _, typ := range sortedKeys(volumes) {
		add("volume "+typ, func(p oraclePod) { appendVolume(p, obj{"name": "v-" + strings.ToLower(typ), typ: volumes[typ]}) })
	}
	add("volume without source", func(p oraclePod) { appendVolume(p, obj{"name": "nothing"}) })
	add("volume emptyDir null", func(p oraclePod) { appendVolume(p, obj{"name": "null", "emptyDir": nil}) })
	add("volume hostPath null", func(p oraclePod) { appendVolume(p, obj{"name": "hp-null", "hostPath": nil}) })
	add("volume hostPath empty", func(p oraclePod) { appendVolume(p, obj{"name": "hp-empty", "hostPath": obj{}}) })
	add("volume emptyDir and hostPath", func(p oraclePod) {
		appendVolume(p, obj{"name": "both", "emptyDir": obj{}, "hostPath": obj{"path": "/"}})
	})
	add("volume nfs and secret", func(p oraclePod) {
		appendVolume(p, obj{"name": "both2", "secret": obj{"secretName": "s"}, "nfs": obj{"server": "n", "path": "/"}})
	})

	// host ports
	for _, hp := range []any{80, 0, nil, absent} {
		for _, l := range lists {
			add(fmt.Sprintf("%s hostPort %v", l, hp), func(p oraclePod) {
				port := obj{"containerPort": 8080}
				set(port, "hostPort", hp)
				p.ctr(l, 0)["ports"] = []any{obj{"containerPort": 9090}, port}
			})
		}
	}

	// AppArmor
	apparmor := []any{
		nil, obj{}, obj{"type": "RuntimeDefault"}, obj{"type": "Localhost", "localhostProfile": "k8s-app"},
		obj{"type": "Unconfined"}, obj{"type": "runtime/default"}, obj{"type": ""}, obj{"type": nil},
	}
	for i, v := range apparmor {
		add(fmt.Sprintf("pod appArmorProfile #%d", i), func(p oraclePod) { p.podSC()["appArmorProfile"] = v })
		for _, l := range lists {
			add(fmt.Sprintf("%s appArmorProfile #%d", l, i), func(p oraclePod) { p.sc(l, 0)["appArmorProfile"] = v })
		}
	}
	for _, v := range []string{"", "runtime/default", "localhost/k8s-app", "localhost/", "unconfined", "docker/default", "localhost", "Runtime/Default"} {
		for _, ctr := range []string{"app-0", "ghost"} {
			add(fmt.Sprintf("apparmor annotation %s=%q", ctr, v), func(p oraclePod) {
				child(p.meta, "annotations")["container.apparmor.security.beta.kubernetes.io/"+ctr] = v
			})
		}
	}
	add("apparmor-like annotations", func(p oraclePod) {
		a := child(p.meta, "annotations")
		a["container.apparmor.security.beta.kubernetes.io"] = "unconfined"
		a["x.container.apparmor.security.beta.kubernetes.io/app"] = "unconfined"
	})

	// SELinux
	selinux := []any{
		nil, obj{}, obj{"level": "s0:c1,c2"}, obj{"user": "system_u"}, obj{"role": "system_r"}, obj{"user": "", "role": ""},
		obj{"type": nil, "user": nil, "role": nil},
	}
	for _, typ := range []string{"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", "spc_t", "unconfined_t", "Container_t"} {
		selinux = append(selinux, obj{"type": typ})
	}
	for i, v := range selinux {
		add(fmt.Sprintf("pod seLinuxOptions #%d", i), func(p oraclePod) { p.podSC()["seLinuxOptions"] = v })
		for _, l := range lists {
			add(fmt.Sprintf("%s seLinuxOptions #%d", l, i), func(p oraclePod) { p.sc(l, 0)["seLinuxOptions"] = v })
		}
	}

	// procMount and user namespaces
	for _, v := range []any{"Default", "Unmasked", "", nil} {
		for _, l := range lists {
			add(fmt.Sprintf("%s procMount %q", l, v), func(p oraclePod) { p.sc(l, 0)["procMount"] = v })
		}
	}
	for _, v := range []any{true, false, nil} {
		add(fmt.Sprintf("hostUsers %v", v), func(p oraclePod) { p.spec["hostUsers"] = v })
	}

	// seccomp (baseline and restricted)
	seccomp := []any{
		nil, obj{}, obj{"type": "RuntimeDefault"}, obj{"type": "Localhost", "localhostProfile": "profiles/p.json"},
		obj{"type": "Unconfined"}, obj{"type": "runtime/default"}, obj{"type": ""}, obj{"type": nil},
	}
	for i, v := range seccomp {
		add(fmt.Sprintf("pod seccompProfile #%d", i), func(p oraclePod) { p.podSC()["seccompProfile"] = v })
		for _, l := range lists {
			add(fmt.Sprintf("%s seccompProfile #%d", l, i), func(p oraclePod) { p.sc(l, 0)["seccompProfile"] = v })
		}
	}
	add("no pod seccomp, every container RuntimeDefault", func(p oraclePod) {
		delete(p.podSC(), "seccompProfile")
		for _, l := range lists {
			cs, _ := p.spec[l].([]any)
			for i := range cs {
				p.sc(l, i)["seccompProfile"] = obj{"type": "RuntimeDefault"}
			}
		}
	})
	add("seccomp annotations", func(p oraclePod) {
		a := child(p.meta, "annotations")
		a["seccomp.security.alpha.kubernetes.io/pod"] = "unconfined"
		a["container.seccomp.security.alpha.kubernetes.io/app-0"] = "unconfined"
	})

	// sysctls
	for _, name := range []any{
		"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_local_reserved_ports",
		"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
		"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
		"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
		"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
		"kernel.msgmax", "net.core.somaxconn", "vm.swappiness", "net.ipv4.ip_forward", "", nil, absent,
	} {
		add(fmt.Sprintf("sysctl %v", name), func(p oraclePod) {
			s := obj{"value": "1"}
			set(s, "name", name)
			p.podSC()["sysctls"] = []any{obj{"name": "kernel.shm_rmid_forced", "value": "1"}, s}
		})
	}
	add("sysctls null", func(p oraclePod) { p.podSC()["sysctls"] = nil })

	// allowPrivilegeEscalation
	for _, v := range []any{true, false, nil, absent} {
		for _, l := range lists {
			add(fmt.Sprintf("%s allowPrivilegeEscalation %v", l, v), func(p oraclePod) {
				sc := p.sc(l, 0)
				delete(sc, "allowPrivilegeEscalation")
				set(sc, "allowPrivilegeEscalation", v)
			})
		}
	}

	// runAsNonRoot and runAsUser
	for _, v := range []any{true, false, nil, absent} {
		add(fmt.Sprintf("pod runAsNonRoot %v", v), func(p oraclePod) {
			delete(p.podSC(), "runAsNonRoot")
			set(p.podSC(), "runAsNonRoot", v)
		})
		for _, l := range lists {
			add(fmt.Sprintf("%s runAsNonRoot %v", l, v), func(p oraclePod) { set(p.sc(l, 0), "runAsNonRoot", v) })
		}
	}
	add("no pod runAsNonRoot, every container true", func(p oraclePod) {
		delete(p.podSC(), "runAsNonRoot")
		for _, l := range lists {
			cs, _ := p.spec[l].([]any)
			for i := range cs {
				p.sc(l, i)["runAsNonRoot"] = true
			}
		}
	})
	for _, v := range []any{0, 1000, nil} {
		add(fmt.Sprintf("pod runAsUser %v", v), func(p oraclePod) { p.podSC()["runAsUser"] = v })
		for _, l := range lists {
			add(fmt.Sprintf("%s runAsUser %v", l, v), func(p oraclePod) { p.sc(l, 0)["runAsUser"] = v })
		}
	}

	// Windows pods and the os field
	for _, v := range []any{obj{"name": "windows"}, obj{"name": "linux"}, obj{"name": "Windows"}, obj{}, nil} {
		add(fmt.Sprintf("os %v", v), func(p oraclePod) { p.spec["os"] = v })
	}

	// Pod and container shapes
	add("no containers at all", func(p oraclePod) {
		p.spec["containers"] = []any{}
		delete(p.spec, "initContainers")
	})
	add("pod securityContext null", func(p oraclePod) { p.spec["securityContext"] = nil })
	add("pod securityContext empty", func(p oraclePod) { p.spec["securityContext"] = obj{} })
	add("ephemeral container compliant", func(p oraclePod) {
		p.spec["ephemeralContainers"] = []any{compliantContainer("debug")}
	})
	return ms
}

func appendVolume(p oraclePod, v obj) {
	l, _ := p.spec["volumes"].([]any)
	p.spec["volumes"] = append(l, v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var oracleKinds = []string{"Pod", "Deployment", "CronJob"}

// oracleCases is the table cases (a restricted pod with one mutation each,
// plus the same on a bare pod) followed by the pseudo-random pods.
func oracleCases() []oracleCase {
	ms := mutations()
	var cases []oracleCase
	cases = append(cases,
		oracleCase{name: "table/restricted pod", kind: "Pod", pod: restrictedPod()},
		oracleCase{name: "table/bare pod", kind: "Pod", pod: oraclePod{meta: obj{}, spec: obj{"containers": []any{newContainer("app")}}}},
	)
	for i, m := range ms {
		p := restrictedPod()
		m.apply(p)
		cases = append(cases, oracleCase{name: "table/" + m.name, kind: oracleKinds[i%len(oracleKinds)], pod: p})
		bare := oraclePod{meta: obj{}, spec: obj{"containers": []any{newContainer("app")}}}
		m.apply(bare)
		cases = append(cases, oracleCase{name: "table/bare, " + m.name, kind: oracleKinds[(i+1)%len(oracleKinds)], pod: bare})
	}
	r := rand.New(rand.NewPCG(oracleSeed, oracleSeed>>7))
	for i := range oracleRandomPods {
		var p oraclePod
		var how string
		switch r.IntN(3) {
		case 0: // near the restricted profile: a compliant pod with a few changes
			p = restrictedPod()
			var names []string
			for range r.IntN(4) {
				m := ms[r.IntN(len(ms))]
				m.apply(p)
				names = append(names, m.name)
			}
			how = "restricted+" + strings.Join(names, "+")
		default:
			p = randomPod(r)
			how = "random"
		}
		cases = append(cases, oracleCase{
			name: fmt.Sprintf("random/%04d %s", i, how),
			kind: oracleKinds[r.IntN(len(oracleKinds))],
			pod:  p,
		})
	}
	return cases
}

// pick returns one of the options, uniformly.
func pick(r *rand.Rand, options ...any) any { return options[r.IntN(len(options))] }

// maybe returns v with probability p, else absent.
func maybe(r *rand.Rand, p float64, v func() any) any {
	if r.Float64() < p {
		return v()
	}
	return absent
}

func randomPod(r *rand.Rand) oraclePod {
	p := oraclePod{meta: obj{}, spec: obj{}}
	bools := []any{true, false, nil, absent, absent}
	for _, key := range []string{"hostNetwork", "hostPID", "hostIPC"} {
		set(p.spec, key, maybe(r, 0.3, func() any { return pick(r, bools...) }))
	}
	set(p.spec, "hostUsers", maybe(r, 0.3, func() any { return pick(r, true, false, nil) }))
	set(p.spec, "os", maybe(r, 0.25, func() any {
		return pick(r, obj{"name": "windows"}, obj{"name": "linux"}, obj{"name": "Windows"}, obj{}, nil)
	}))
	set(p.spec, "securityContext", pick(r, absent, nil, obj{}, randomPodSC(r), randomPodSC(r), randomPodSC(r)))

	names := map[string][]string{}
	for _, l := range []struct {
		list     string
		min, max int
	}{{"initContainers", 0, 2}, {"containers", 1, 3}, {"ephemeralContainers", 0, 2}} {
		n := l.min + r.IntN(l.max-l.min+1)
		if l.list == "containers" && r.IntN(40) == 0 {
			n = 0
		}
		if n == 0 && r.IntN(2) == 0 {
			continue
		}
		cs := []any{}
		for i := range n {
			name := fmt.Sprintf("%s-%d", strings.TrimSuffix(l.list, "s"), i)
			names[l.list] = append(names[l.list], name)
			cs = append(cs, randomContainer(r, name))
		}
		p.spec[l.list] = cs
	}

	if r.IntN(3) == 0 {
		var vols []any
		for i := range 1 + r.IntN(3) {
			vols = append(vols, randomVolume(r, i))
		}
		p.spec["volumes"] = vols
	}

	if r.IntN(3) == 0 {
		ann := obj{"example.com/owner": "team-a"}
		for range 1 + r.IntN(3) {
			target := pick(r, "app", "ghost", "container-0", "initContainer-0").(string)
			key := pick(r,
				"container.apparmor.security.beta.kubernetes.io/"+target,
				"container.apparmor.security.beta.kubernetes.io/"+target,
				"seccomp.security.alpha.kubernetes.io/pod",
				"container.seccomp.security.alpha.kubernetes.io/"+target,
			).(string)
			ann[key] = pick(r, "", "runtime/default", "localhost/k8s-app", "localhost/", "unconfined", "docker/default", "localhost").(string)
		}
		p.meta["annotations"] = ann
	}
	return p
}

func randomPodSC(r *rand.Rand) obj {
	sc := obj{}
	set(sc, "runAsNonRoot", maybe(r, 0.5, func() any { return pick(r, true, true, false, nil) }))
	set(sc, "runAsUser", maybe(r, 0.3, func() any { return pick(r, 0, 1000, 65534, nil) }))
	set(sc, "seccompProfile", maybe(r, 0.5, func() any { return randomProfile(r, "seccomp") }))
	set(sc, "appArmorProfile", maybe(r, 0.25, func() any { return randomProfile(r, "apparmor") }))
	set(sc, "seLinuxOptions", maybe(r, 0.25, func() any { return randomSELinux(r) }))
	set(sc, "windowsOptions", maybe(r, 0.15, func() any { return randomWindowsOptions(r) }))
	set(sc, "sysctls", maybe(r, 0.25, func() any {
		var l []any
		for range 1 + r.IntN(3) {
			s := obj{"value": "1"}
			set(s, "name", pick(r,
				"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
				"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_rmem", "net.ipv4.tcp_notsent_lowat",
				"net.ipv4.tcp_slow_start_after_idle", "kernel.msgmax", "net.core.somaxconn", "", absent,
			))
			l = append(l, s)
		}
		return l
	}))
	return sc
}

func randomContainer(r *rand.Rand, name string) obj {
	c := newContainer(name)
	set(c, "securityContext", pick(r, absent, nil, obj{}, randomContainerSC(r), randomContainerSC(r), randomContainerSC(r), randomContainerSC(r)))
	set(c, "ports", maybe(r, 0.25, func() any {
		var ports []any
		for i := range 1 + r.IntN(2) {
			port := obj{"containerPort": 8080 + i}
			set(port, "hostPort", pick(r, absent, 0, nil, 8080+i))
			ports = append(ports, port)
		}
		return ports
	}))
	return c
}

func randomContainerSC(r *rand.Rand) obj {
	sc := obj{}
	set(sc, "privileged", maybe(r, 0.2, func() any { return pick(r, true, false, nil) }))
	set(sc, "allowPrivilegeEscalation", maybe(r, 0.6, func() any { return pick(r, false, false, true, nil) }))
	set(sc, "runAsNonRoot", maybe(r, 0.4, func() any { return pick(r, true, true, false, nil) }))
	set(sc, "runAsUser", maybe(r, 0.3, func() any { return pick(r, 0, 1000, nil) }))
	set(sc, "procMount", maybe(r, 0.2, func() any { return pick(r, "Default", "Unmasked", "", nil) }))
	set(sc, "seccompProfile", maybe(r, 0.35, func() any { return randomProfile(r, "seccomp") }))
	set(sc, "appArmorProfile", maybe(r, 0.2, func() any { return randomProfile(r, "apparmor") }))
	set(sc, "seLinuxOptions", maybe(r, 0.2, func() any { return randomSELinux(r) }))
	set(sc, "windowsOptions", maybe(r, 0.1, func() any { return randomWindowsOptions(r) }))
	set(sc, "capabilities", maybe(r, 0.6, func() any {
		if r.IntN(6) == 0 {
			return pick(r, nil, obj{})
		}
		caps := obj{}
		set(caps, "drop", pick(r, absent, nil, []any{"ALL"}, []any{"ALL"}, []any{"ALL"}, []any{"all"}, []any{"NET_RAW"}, []any{"NET_RAW", "ALL"}, []any{}))
		set(caps, "add", maybe(r, 0.5, func() any {
			if r.IntN(8) == 0 {
				return nil
			}
			var add []any
			for range r.IntN(3) {
				add = append(add, pick(r,
					"NET_BIND_SERVICE", "NET_BIND_SERVICE", "CHOWN", "SETUID", "KILL", "SYS_CHROOT", "AUDIT_WRITE",
					"NET_RAW", "SYS_ADMIN", "SYS_PTRACE", "ALL", "chown", "CAP_NET_RAW",
				))
			}
			if add == nil {
				return []any{}
			}
			return add
		}))
		return caps
	}))
	return sc
}

func randomProfile(r *rand.Rand, kind string) any {
	switch r.IntN(8) {
	case 0:
		return nil
	case 1:
		return obj{}
	case 2:
		return obj{"type": pick(r, "", nil)}
	}
	t := pick(r, "RuntimeDefault", "RuntimeDefault", "Localhost", "Unconfined", "runtime/default").(string)
	p := obj{"type": t}
	if t == "Localhost" {
		if kind == "seccomp" {
			p["localhostProfile"] = "profiles/p.json"
		} else {
			p["localhostProfile"] = "k8s-app"
		}
	}
	return p
}

func randomSELinux(r *rand.Rand) any {
	if r.IntN(8) == 0 {
		return nil
	}
	o := obj{}
	set(o, "type", maybe(r, 0.6, func() any {
		return pick(r, "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", "spc_t", "unconfined_t", nil)
	}))
	set(o, "user", maybe(r, 0.15, func() any { return pick(r, "", "system_u", nil) }))
	set(o, "role", maybe(r, 0.15, func() any { return pick(r, "", "system_r", nil) }))
	set(o, "level", maybe(r, 0.3, func() any { return "s0:c1,c2" }))
	return o
}

func randomWindowsOptions(r *rand.Rand) any {
	if r.IntN(6) == 0 {
		return pick(r, nil, obj{})
	}
	o := obj{"hostProcess": pick(r, true, false, nil)}
	set(o, "runAsUserName", maybe(r, 0.3, func() any { return "ContainerUser" }))
	return o
}

func randomVolume(r *rand.Rand, i int) obj {
	v := obj{"name": fmt.Sprintf("vol-%d", i)}
	types := []string{
		"configMap", "secret", "emptyDir", "projected", "persistentVolumeClaim", "csi", "downwardAPI", "ephemeral", "image",
		"hostPath", "hostPath", "nfs", "gitRepo", "iscsi", "cephfs", "azureDisk", "flexVolume",
	}
	for range 1 + r.IntN(2) {
		typ := types[r.IntN(len(types))]
		v[typ] = pick(r, obj{}, obj{}, obj{}, nil)
	}
	if r.IntN(15) == 0 {
		v = obj{"name": fmt.Sprintf("vol-%d", i)} // no source at all
	}
	return v
}
