package policy

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
)

var (
	bothOnce            sync.Once
	planEng, topdownEng *Engine
	bothErr             error
)

// bothEngines loads the bundled policies once per evaluator.
func bothEngines(tb testing.TB) (plan, topdown *Engine) {
	bothOnce.Do(func() {
		ctx := context.Background()
		if planEng, bothErr = Load(ctx, Options{Evaluator: EvaluatorPlan}); bothErr != nil {
			return
		}
		topdownEng, bothErr = Load(ctx, Options{Evaluator: EvaluatorTopdown})
	})
	if bothErr != nil {
		tb.Fatal(bothErr)
	}
	return planEng, topdownEng
}

// FuzzEvaluatorsAgree feeds arbitrary JSON documents to every bundled
// Kubernetes and Dockerfile query on both evaluators: the plan evaluator
// must neither fail nor differ from topdown on input nobody vetted.
func FuzzEvaluatorsAgree(f *testing.F) {
	for _, s := range []string{
		`{"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "x:latest", "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}}], "hostPID": true}}`,
		`{"kind": "Deployment", "spec": {"template": {"spec": {"securityContext": {"runAsNonRoot": false}, "containers": [{"env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}], "volumes": [{"hostPath": {"path": "/"}}]}}}}`,
		`{"kind": "ClusterRoleBinding", "roleRef": {"name": "cluster-admin"}, "subjects": [{"kind": "Group", "name": "system:authenticated"}]}`,
		`{"kind": "Role", "rules": [{"verbs": ["*"], "resources": ["secrets"]}]}`,
		`{"kind": "Service", "spec": {"type": "NodePort"}}`,
		`{"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": "x"}}}}}}`,
		`{"stages": [{"from": {"image": "ubuntu:latest"}, "instructions": [{"cmd": "run", "value": ["curl x | sh"]}]}]}`,
		`[]`, `null`, `{"kind": 1}`,
	} {
		f.Add(s)
	}
	plan, topdown := bothEngines(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, doc string) {
		v, err := ast.ValueFromReader(strings.NewReader(doc))
		if err != nil {
			return
		}
		kind := ""
		if o, ok := v.(ast.Object); ok {
			if t := o.Get(ast.InternedTerm("kind")); t != nil {
				if k, ok := t.Value.(ast.String); ok {
					kind = string(k)
				}
			}
		}
		for _, input := range []string{KindKubernetes, KindDockerfile} {
			q := Query{Kind: input, Input: v, ResourceKind: kind}
			want, werr := topdown.Decide(ctx, q)
			got, gerr := plan.Decide(ctx, q)
			if (werr != nil) != (gerr != nil) {
				t.Fatalf("%s: topdown error %v, plan error %v", input, werr, gerr)
			}
			if diff := cmp.Diff(summary(want), summary(got)); diff != "" {
				t.Fatalf("%s: evaluators disagree (-topdown +plan):\n%s", input, diff)
			}
		}
	})
}

func summary(d Decision) []string {
	out := make([]string, 0, len(d.Results))
	for _, r := range d.Results {
		out = append(out, strings.Join([]string{r.Rule.ID, r.Message, r.Field}, "|"))
	}
	return out
}
