package manifests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	composetypes "github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// subgraph is an entry of subgraphs.All, read from subgraphs/registry.go
// (this module does not import the product): what the manifests must
// agree with.
type subgraph struct {
	Name, URLVar string
	Port         int32
}

var registryEntry = regexp.MustCompile(`Name: "(\w+)", Port: (\d+), URLVar: "(\w+)"`)

func registry(t *testing.T) []subgraph {
	t.Helper()
	src, err := os.ReadFile("../../subgraphs/registry.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []subgraph
	for _, m := range registryEntry.FindAllStringSubmatch(string(src), -1) {
		port, _ := strconv.Atoi(m[2])
		out = append(out, subgraph{Name: m[1], Port: int32(port), URLVar: m[3]})
	}
	if len(out) != 6 {
		t.Fatalf("found %d subgraphs in subgraphs/registry.go, want 6: has its entry format changed?", len(out))
	}
	return out
}

// objects is a rendering, decoded: every object by kind and name.
type objects struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	hpas        map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs        map[string]*policyv1.PodDisruptionBudget
	policies    map[string]*networkingv1.NetworkPolicy
	jobs        map[string]*batchv1.Job
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	other       []string // kind/name of the rest
}

// render runs kustomize on dir and decodes every object strictly into its
// k8s.io/api type: a field the type does not have (a typo, an indentation
// slip) fails, and so does a kind this test does not know.
func render(t *testing.T, dir string) objects {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize %s: %v", dir, err)
	}
	o := objects{
		deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{}, pdbs: map[string]*policyv1.PodDisruptionBudget{},
		policies: map[string]*networkingv1.NetworkPolicy{}, jobs: map[string]*batchv1.Job{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
	}
	for _, r := range rm.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		kind, name := r.GetKind(), r.GetName()
		var into any
		switch kind {
		case "Deployment":
			v := &appsv1.Deployment{}
			into, o.deployments[name] = v, v
		case "Service":
			v := &corev1.Service{}
			into, o.services[name] = v, v
		case "HorizontalPodAutoscaler":
			v := &autoscalingv2.HorizontalPodAutoscaler{}
			into, o.hpas[name] = v, v
		case "PodDisruptionBudget":
			v := &policyv1.PodDisruptionBudget{}
			into, o.pdbs[name] = v, v
		case "NetworkPolicy":
			v := &networkingv1.NetworkPolicy{}
			into, o.policies[name] = v, v
		case "Job":
			v := &batchv1.Job{}
			into, o.jobs[name] = v, v
		case "ConfigMap":
			v := &corev1.ConfigMap{}
			into, o.configMaps[name] = v, v
		case "Secret":
			v := &corev1.Secret{}
			into, o.secrets[name] = v, v
		case "ServiceAccount":
			into = &corev1.ServiceAccount{}
			o.other = append(o.other, kind+"/"+name)
		case "Namespace":
			into = &corev1.Namespace{}
			o.other = append(o.other, kind+"/"+name)
		default:
			t.Fatalf("%s/%s: a kind this test does not check", kind, name)
		}
		if err := yaml.UnmarshalStrict(y, into); err != nil {
			t.Errorf("%s/%s does not decode strictly into its API type: %v", kind, name, err)
		}
	}
	return o
}

// workloads are the names of the long-running processes: every subgraph and the gateway.
func workloads(t *testing.T) []string {
	var names []string
	for _, sg := range registry(t) {
		names = append(names, sg.Name)
	}
	return append(names, "gateway")
}

func TestTheBaseAndTheProductionOverlayRenderIntoValidObjects(t *testing.T) {
	for _, dir := range []string{"../k8s/base", "../k8s/overlays/production"} {
		t.Run(dir, func(t *testing.T) {
			o := render(t, dir)
			for _, name := range workloads(t) {
				if o.deployments[name] == nil || o.services[name] == nil || o.hpas[name] == nil || o.pdbs[name] == nil {
					t.Errorf("%s lacks its Deployment, Service, HPA or PodDisruptionBudget", name)
				}
			}
			if o.jobs["opencrm-migrate"] == nil {
				t.Error("no migrate Job")
			}
		})
	}
}

func TestEveryDeploymentProbesLimitsAndRunsAsNonRoot(t *testing.T) {
	o := render(t, "../k8s/base")
	shutdown, err := time.ParseDuration(o.configMaps["opencrm-config"].Data["SHUTDOWN_TIMEOUT"])
	if err != nil {
		t.Fatalf("SHUTDOWN_TIMEOUT in the ConfigMap: %v", err)
	}
	ports := map[string]int32{"gateway": 4000}
	for _, sg := range registry(t) {
		ports[sg.Name] = sg.Port
	}
	for name, d := range o.deployments {
		t.Run(name, func(t *testing.T) {
			pod := d.Spec.Template.Spec
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers", len(pod.Containers))
			}
			c := pod.Containers[0]
			want := []string{"subgraph", name}
			if name == "gateway" {
				want = []string{"gateway"}
			}
			if !slices.Equal(c.Args, want) || len(c.Command) != 0 {
				t.Errorf("runs %q %q, want the image's entrypoint with %q", c.Command, c.Args, want)
			}
			if len(c.Ports) != 1 || c.Ports[0].ContainerPort != ports[name] || c.Ports[0].Name != "http" {
				t.Errorf("ports %+v, want http %d (subgraphs/registry.go)", c.Ports, ports[name])
			}
			// Not ready without the database; alive without anything.
			if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/health" {
				t.Errorf("readiness probe %+v, want GET /health", p)
			}
			for what, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "startup": c.StartupProbe} {
				if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/health/live" {
					t.Errorf("%s probe %+v, want GET /health/live (no dependency: Redis or the database down is no restart)", what, p)
				}
			}
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
				if req.IsZero() || lim.IsZero() || req.Cmp(lim) > 0 {
					t.Errorf("%s: request %s, limit %s", r, req.String(), lim.String())
				}
			}
			sc, psc := c.SecurityContext, pod.SecurityContext
			if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != 65532 {
				t.Errorf("pod security context %+v: not non-root 65532", psc)
			}
			if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
				t.Errorf("container security context %+v", sc)
			}
			// SIGKILL comes only after preStop and the whole shutdown timeout.
			var preStop time.Duration
			if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
				preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
			}
			grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
			if pod.TerminationGracePeriodSeconds == nil || grace <= preStop+shutdown {
				t.Errorf("terminationGracePeriodSeconds %v is not past preStop %v + SHUTDOWN_TIMEOUT %v", grace, preStop, shutdown)
			}
			refs := map[string]bool{}
			for _, e := range c.EnvFrom {
				if e.ConfigMapRef != nil {
					refs[e.ConfigMapRef.Name] = true
				}
				if e.SecretRef != nil {
					refs[e.SecretRef.Name] = true
				}
			}
			if !refs["opencrm-config"] || !refs["opencrm-secrets"] {
				t.Errorf("env from %v, want opencrm-config and opencrm-secrets", refs)
			}
			if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
				t.Error("mounts a service account token it has no use for")
			}
			if svc := o.services[name]; svc == nil || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != ports[name] ||
				svc.Spec.Selector["app.kubernetes.io/name"] != name {
				t.Errorf("Service %+v does not select %s on %d", svc, name, ports[name])
			}
		})
	}
}

// The subgraphs accept traffic from the gateway and from the subgraphs
// that call them (pkg/refs checks ids with their owner; every subgraph
// fetches identity's JWKS), and from nothing else, comms' public routes
// excepted.
func TestSubgraphsAcceptOnlyTheGatewayAndTheirCallers(t *testing.T) {
	o := render(t, "../k8s/base")
	callers := map[string][]string{
		"identity": {"comms", "contact", "deal", "gateway", "tenant", "webhooks"},
		"tenant":   {"gateway"},
		"contact":  {"comms", "deal", "gateway"},
		"deal":     {"comms", "gateway"},
		"comms":    {"gateway"},
		"webhooks": {"gateway"},
	}
	for _, sg := range registry(t) {
		t.Run(sg.Name, func(t *testing.T) {
			np := o.policies[sg.Name]
			if np == nil {
				t.Fatal("no NetworkPolicy")
			}
			if np.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] != sg.Name {
				t.Errorf("the policy selects %v", np.Spec.PodSelector.MatchLabels)
			}
			if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || len(np.Spec.Ingress) != 1 {
				t.Fatalf("policy %+v: want one ingress rule", np.Spec)
			}
			var pods, namespaces []string
			for _, from := range np.Spec.Ingress[0].From {
				switch {
				case from.PodSelector != nil && from.NamespaceSelector == nil && from.IPBlock == nil:
					pods = append(pods, from.PodSelector.MatchLabels["app.kubernetes.io/name"])
				case from.NamespaceSelector != nil && from.PodSelector == nil && sg.Name == "comms":
					namespaces = append(namespaces, from.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
				default:
					t.Errorf("a source other than the gateway and subgraphs: %+v", from)
				}
			}
			slices.Sort(pods)
			if !slices.Equal(pods, callers[sg.Name]) {
				t.Errorf("accepts %v, want %v", pods, callers[sg.Name])
			}
			if len(np.Spec.Ingress[0].From) == 0 {
				t.Error("an empty from: everyone")
			}
			if sg.Name == "comms" && !slices.Equal(namespaces, []string{"ingress-nginx"}) {
				t.Errorf("comms' public routes from %v, want the ingress controller", namespaces)
			}
		})
	}
	deny := o.policies["opencrm-default-deny-ingress"]
	if deny == nil || len(deny.Spec.Ingress) != 0 || deny.Spec.PodSelector.MatchLabels["app.kubernetes.io/part-of"] != "opencrm" {
		t.Errorf("default deny: %+v", deny)
	}
}

// The ConfigMap points every *_SERVICE_URL at the Service of its subgraph.
func TestTheServiceURLsAreTheServices(t *testing.T) {
	o := render(t, "../k8s/base")
	data := o.configMaps["opencrm-config"].Data
	for _, sg := range registry(t) {
		want := fmt.Sprintf("http://%s:%d", sg.Name, sg.Port)
		if data[sg.URLVar] != want {
			t.Errorf("%s = %q, want %q", sg.URLVar, data[sg.URLVar], want)
		}
	}
	job := o.jobs["opencrm-migrate"]
	if c := job.Spec.Template.Spec.Containers[0]; !slices.Equal(c.Args, []string{"migrate"}) || job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("the migrate Job runs %q, restart %s", c.Args, job.Spec.Template.Spec.RestartPolicy)
	}
}

func TestProductionRunsThreeReplicasInProductionModeWithoutExampleSecrets(t *testing.T) {
	o := render(t, "../k8s/overlays/production")
	for _, name := range workloads(t) {
		d, hpa := o.deployments[name], o.hpas[name]
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
			t.Errorf("%s: %v replicas, want 3", name, d.Spec.Replicas)
		}
		if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 3 {
			t.Errorf("%s: the HPA may scale down to %v", name, hpa.Spec.MinReplicas)
		}
		if d.Namespace != "opencrm" {
			t.Errorf("%s in namespace %q", name, d.Namespace)
		}
		if img := d.Spec.Template.Spec.Containers[0].Image; strings.HasSuffix(img, ":dev") {
			t.Errorf("%s runs %s", name, img)
		}
	}
	if env := o.configMaps["opencrm-config"].Data["ENVIRONMENT"]; env != "production" {
		t.Errorf("ENVIRONMENT = %q", env)
	}
	if len(o.secrets) != 0 {
		t.Errorf("production renders the example Secret: %v", o.secrets)
	}
}

func TestTheComposeFileRunsTheWholeProduct(t *testing.T) {
	abs, err := filepath.Abs("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := loader.LoadWithContext(context.Background(), composetypes.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []composetypes.ConfigFile{{Filename: abs}},
		Environment: composetypes.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("opencrm", true) })
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, infra := range []string{"postgres", "redis", "nats"} {
		s, ok := p.Services[infra]
		if !ok || s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 {
			t.Errorf("%s: missing or without a health check", infra)
		}
	}
	if !slices.Contains(p.Services["nats"].Command, "--jetstream") {
		t.Error("NATS runs without JetStream")
	}
	migrate := p.Services["migrate"]
	if !slices.Equal([]string(migrate.Command), []string{"migrate"}) || migrate.DependsOn["postgres"].Condition != composetypes.ServiceConditionHealthy {
		t.Errorf("migrate: %q after %+v", migrate.Command, migrate.DependsOn)
	}
	for _, sg := range registry(t) {
		s, ok := p.Services[sg.Name]
		if !ok {
			t.Errorf("no service %s", sg.Name)
			continue
		}
		if !slices.Equal([]string(s.Command), []string{"subgraph", sg.Name}) {
			t.Errorf("%s runs %q", sg.Name, s.Command)
		}
		if s.DependsOn["migrate"].Condition != composetypes.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s does not wait for the migration: %+v", sg.Name, s.DependsOn)
		}
		if s.HealthCheck == nil || !slices.Contains(s.HealthCheck.Test, fmt.Sprintf("http://127.0.0.1:%d/health", sg.Port)) {
			t.Errorf("%s: health check %+v", sg.Name, s.HealthCheck)
		}
		if p.Services["gateway"].DependsOn[sg.Name].Condition != composetypes.ServiceConditionHealthy {
			t.Errorf("the gateway does not wait for %s", sg.Name)
		}
		for _, other := range registry(t) {
			want := fmt.Sprintf("http://%s:%d", other.Name, other.Port)
			if v := s.Environment[other.URLVar]; v == nil || *v != want {
				t.Errorf("%s: %s = %v, want %s", sg.Name, other.URLVar, v, want)
			}
		}
	}
	// A development start writes its key to STATE_DIR: identity's must
	// outlive the container, and no container's filesystem is writable.
	if v := p.Services["identity"].Environment["STATE_DIR"]; v == nil || !strings.HasPrefix(*v, "/home/nonroot/") ||
		len(p.Services["identity"].Volumes) != 1 || p.Services["identity"].Volumes[0].Target != "/home/nonroot" {
		t.Errorf("identity's development key is not in its volume: STATE_DIR %v, volumes %+v", v, p.Services["identity"].Volumes)
	}
	if v := p.Services["contact"].Environment["STATE_DIR"]; v == nil || !strings.HasPrefix(*v, "/tmp/") || !slices.Contains(p.Services["contact"].Tmpfs, "/tmp") {
		t.Errorf("contact cannot write its STATE_DIR %v on a read-only filesystem", v)
	}
	if gw := p.Services["gateway"]; !slices.Equal([]string(gw.Command), []string{"gateway"}) || len(gw.Ports) != 1 || gw.Ports[0].Target != 4000 {
		t.Errorf("gateway: %q on %+v", gw.Command, gw.Ports)
	}
}

// The example Secret names every secret production requires (the
// configuration refuses to start without them), each of the length it
// asks for: who creates opencrm-secrets from it misses none.
func TestTheExampleSecretListsEverySecretProductionRequires(t *testing.T) {
	o := render(t, "../k8s/base")
	s := o.secrets["opencrm-secrets"]
	if s == nil {
		t.Fatal("no example Secret")
	}
	minLen := map[string]int{
		"JWT_SIGNING_KEYS":      1,  // pkg/config
		"METRICS_TOKEN":         1,  // pkg/config
		"COMMS_TRACKING_SECRET": 32, // subgraphs/comms/config.go
		"COMMS_WEBHOOK_SECRET":  32, // subgraphs/comms/config.go
		"WEBHOOK_SECRET_KEY":    32, // subgraphs/webhooks/config.go
	}
	for key, n := range minLen {
		if v, ok := s.StringData[key]; !ok || len(v) < n {
			t.Errorf("%s = %q, want %d bytes or more", key, v, n)
		}
	}
}
