package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// built is the one image every test reads: Build runs once (the static
// compile is the expensive part; the build cache keeps it for `make image`).
var built struct {
	res Result
	img v1.Image // read back from the OCI layout
	fs  map[string]*tar.Header
	crm string // the binary extracted from the image
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "crm-image-")
	if err != nil {
		panic(err)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if err := buildOnce(dir); err != nil {
			// Every test needs the image: fail the run, loudly.
			os.Stderr.WriteString("building the image: " + err.Error() + "\n")
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

func buildOnce(dir string) error {
	res, err := Build(Options{Source: "../..", Out: dir, Version: "1.2.3-test", CACerts: CACerts, Repository: "opencrm/crm", Arch: "amd64"})
	if err != nil {
		return err
	}
	built.res = res
	p, err := layout.FromPath(res.Layout)
	if err != nil {
		return err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	if len(im.Manifests) != 1 {
		return errors.New("the layout does not hold exactly one image")
	}
	if built.img, err = idx.Image(im.Manifests[0].Digest); err != nil {
		return err
	}
	built.fs = map[string]*tar.Header{}
	rc := mutate.Extract(built.img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		built.fs[strings.TrimSuffix(h.Name, "/")] = h
		if h.Name == strings.TrimPrefix(Entrypoint, "/") {
			built.crm = filepath.Join(dir, "extracted-crm")
			b, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			if err := os.WriteFile(built.crm, b, 0o755); err != nil {
				return err
			}
		}
	}
	return nil
}

func config(t *testing.T) v1.Config {
	t.Helper()
	cf, err := built.img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	return cf.Config
}

func TestTheImageRunsCrmAsNonRootWithTheSubcommandAsArgument(t *testing.T) {
	c := config(t)
	if !slices.Equal(c.Entrypoint, []string{"/crm"}) {
		t.Errorf("entrypoint %q, want [/crm]", c.Entrypoint)
	}
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", c.User)
	}
	if !slices.Equal(c.Cmd, []string{"help"}) {
		t.Errorf("cmd %q: without arguments the image prints its usage", c.Cmd)
	}
	for _, p := range []string{"4000/tcp", "8082/tcp", "8085/tcp"} {
		if _, ok := c.ExposedPorts[p]; !ok {
			t.Errorf("port %s not exposed", p)
		}
	}
	if c.Labels["org.opencontainers.image.version"] != "1.2.3-test" {
		t.Errorf("version label %q", c.Labels["org.opencontainers.image.version"])
	}
}

// The image is the binary, CA certificates and a user: no shell, no
// package manager, nothing to run but crm.
func TestTheImageHoldsNothingButCrmCertificatesAndTheUser(t *testing.T) {
	var names []string
	for n := range built.fs {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{"crm", "etc", "etc/group", "etc/passwd", "etc/ssl", "etc/ssl/certs",
		"etc/ssl/certs/ca-certificates.crt", "home", "home/nonroot"}
	if !slices.Equal(names, want) {
		t.Errorf("files %q, want %q", names, want)
	}
	for _, sh := range []string{"bin/sh", "bin/bash", "bin/busybox", "usr/bin/env"} {
		if _, ok := built.fs[sh]; ok {
			t.Errorf("%s is in the image", sh)
		}
	}
	if h := built.fs["home/nonroot"]; h == nil || h.Uid != 65532 {
		t.Errorf("the non-root user's home is not its own: %+v", h)
	}
	if h := built.fs["crm"]; h == nil || h.Uid != 0 || h.Mode&0o022 != 0 {
		t.Errorf("the binary is writable by the user that runs it: %+v", h)
	}
	if h := built.fs["etc/ssl/certs/ca-certificates.crt"]; h == nil || h.Size < 1000 {
		t.Errorf("no CA certificates: %+v", h)
	}
}

func TestTheBinaryIsStatic(t *testing.T) {
	f, err := elf.Open(built.crm)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary needs a dynamic loader, which the image does not have")
		}
	}
}

// run runs the binary taken out of the image, with nothing of this
// machine's environment.
func run(t *testing.T, env []string, args ...string) (out string, code int) {
	t.Helper()
	cmd := exec.Command(built.crm, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return buf.String(), cmd.ProcessState.ExitCode()
}

func TestTheBinaryInTheImageStarts(t *testing.T) {
	if out, code := run(t, nil, "--help"); code != 0 || !strings.Contains(out, "usage: crm") {
		t.Errorf("crm --help: exit %d, %q", code, out)
	}
	if out, code := run(t, nil, "version"); code != 0 || strings.TrimSpace(out) != "1.2.3-test" {
		t.Errorf("crm version: exit %d, %q", code, out)
	}
}

// `crm probe` is the health check of a container without a shell.
func TestProbeFollowsTheHealthStatus(t *testing.T) {
	var status atomic.Int64
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	if out, code := run(t, nil, "probe", srv.URL+"/health"); code != 0 {
		t.Errorf("healthy: exit %d, %s", code, out)
	}
	status.Store(http.StatusServiceUnavailable)
	if out, code := run(t, nil, "probe", srv.URL+"/health"); code != 1 || !strings.Contains(out, "503") {
		t.Errorf("unhealthy: exit %d, %s", code, out)
	}
}

// Misconfigured, the process in the image refuses to start before it
// connects to anything, naming what is missing, with exit code 1.
func TestTheBinaryInTheImageRefusesABadConfiguration(t *testing.T) {
	out, code := run(t, []string{"ENVIRONMENT=production", "SUBGRAPH_TIMEOUT=soon"}, "gateway")
	if code != 1 {
		t.Errorf("exit %d, want 1: %s", code, out)
	}
	for _, name := range []string{"JWT_SIGNING_KEYS", "METRICS_TOKEN", "SUBGRAPH_TIMEOUT"} {
		if !strings.Contains(out, name) {
			t.Errorf("the error does not name %s: %s", name, out)
		}
	}
	if strings.Contains(out, "panic") || strings.Contains(out, "goroutine") {
		t.Errorf("it panicked: %s", out)
	}
}

func TestTheTarballHoldsTheSameImage(t *testing.T) {
	img, err := tarball.ImageFromPath(built.res.Tarball, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The tarball keeps the layers and config (docker load's form): the
	// same config digest as the layout's image.
	a, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	b, err := built.img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("tarball config %s, layout config %s", a, b)
	}
}

func TestTheSameInputsGiveTheSameImage(t *testing.T) {
	img, err := Image(built.res.Binary, CACerts, "1.2.3-test", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if d != built.res.Digest {
		t.Errorf("digest %s, then %s", built.res.Digest, d)
	}
}
