// Command image builds the product's container image without Docker: the
// static `crm` binary on an empty base, with the CA certificates and a
// non-root user, written as an OCI image layout (and a tarball `docker
// load` and `crane push` read). It is what the Dockerfile at the root of
// the repository builds, for machines without a Docker daemon or a
// registry to pull a base image from:
//
//	go run ./image -out ../bin/image            (from deploy/; `make image`)
//
// The image runs as 65532:65532 (the "nonroot" user of distroless) with
// /crm as its entrypoint and the subcommand as its argument
// (`crm subgraph contact`, `crm gateway`, `crm migrate`); it holds no
// shell and nothing else.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Where things are in the image.
const (
	Entrypoint = "/crm"
	CACerts    = "/etc/ssl/certs/ca-certificates.crt"
	User       = "65532:65532"
	Home       = "/home/nonroot"
)

// Ports are the ports the processes listen on by default: the gateway and
// the six subgraphs (subgraphs/registry.go).
var Ports = []string{"4000/tcp", "8080/tcp", "8081/tcp", "8082/tcp", "8083/tcp", "8084/tcp", "8085/tcp"}

// versionVar is the variable the product reports as its version (/health,
// `crm version`).
const versionVar = "github.com/opencrm/opencrm/pkg/gqlserver.Version"

func main() {
	var o Options
	flag.StringVar(&o.Source, "src", "..", "the repository's root (its go.mod)")
	flag.StringVar(&o.Out, "out", "../bin/image", "directory for the OCI layout (oci/), the tarball (crm.tar) and the binary")
	flag.StringVar(&o.Version, "version", "dev", "the version the binary reports and the image is tagged with")
	flag.StringVar(&o.CACerts, "ca-certs", CACerts, "the CA certificate bundle to ship (Debian's ca-certificates)")
	flag.StringVar(&o.Repository, "repository", "opencrm/crm", "the image's name, tagged with -version")
	flag.StringVar(&o.Arch, "arch", runtime.GOARCH, "GOARCH of the image")
	flag.Parse()
	res, err := Build(o)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %s\n  OCI layout %s\n  tarball    %s (docker load -i, crane push)\n", res.Ref, res.Digest, res.Layout, res.Tarball)
}

// Options say what to build and where.
type Options struct {
	Source, Out, Version, CACerts, Repository, Arch string
}

// Result is where Build wrote the image.
type Result struct {
	Ref     string  // repository:version
	Digest  v1.Hash // the manifest's
	Layout  string  // OCI image layout directory
	Tarball string  // docker-style tarball
	Binary  string  // the static binary inside
}

// Build compiles the static binary (CGO_ENABLED=0, -trimpath: the build a
// test and `make image` share in the build cache) and writes the image.
func Build(o Options) (Result, error) {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return Result{}, err
	}
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return Result{}, err
	}
	res := Result{
		Ref: o.Repository + ":" + o.Version, Layout: filepath.Join(out, "oci"),
		Tarball: filepath.Join(out, "crm.tar"), Binary: filepath.Join(out, "crm"),
	}
	if err := CompileStatic(o.Source, res.Binary, o.Version, o.Arch); err != nil {
		return res, err
	}
	img, err := Image(res.Binary, o.CACerts, o.Version, o.Arch)
	if err != nil {
		return res, err
	}
	if res.Digest, err = img.Digest(); err != nil {
		return res, err
	}
	if err := os.RemoveAll(res.Layout); err != nil {
		return res, err
	}
	p, err := layout.Write(res.Layout, empty.Index)
	if err != nil {
		return res, err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": o.Version,
	})); err != nil {
		return res, err
	}
	tag, err := name.NewTag(res.Ref)
	if err != nil {
		return res, err
	}
	return res, tarball.WriteToFile(res.Tarball, tag, img)
}

// CompileStatic builds cmd/crm of the repository at src into bin: no cgo,
// so no libc to ship, and no paths of this machine in it.
func CompileStatic(src, bin, version, arch string) error {
	cmd := exec.Command("go", "build", "-trimpath",
		"-ldflags", "-s -w -X "+versionVar+"="+version, "-o", bin, "./cmd/crm")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/crm: %w", err)
	}
	return nil
}

// epoch is every file's time and the image's creation time, so the same
// inputs give the same digest.
var epoch = time.Unix(0, 0).UTC()

// Image is the image of binary: two layers on nothing, the base (CA
// certificates, the users, a home for the non-root user) and the
// binary, so a new version changes only the second.
func Image(binary, caCerts, version, arch string) (v1.Image, error) {
	certs, err := os.ReadFile(caCerts)
	if err != nil {
		return nil, fmt.Errorf("CA certificates (Debian: apt-get install ca-certificates): %w", err)
	}
	bin, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	base, err := layer([]file{
		{name: "etc/", mode: 0o755},
		{name: "etc/passwd", mode: 0o644, body: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:" + Home + ":/sbin/nologin\n")},
		{name: "etc/group", mode: 0o644, body: []byte("root:x:0:\nnonroot:x:65532:\n")},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: strings.TrimPrefix(CACerts, "/"), mode: 0o644, body: certs},
		{name: "home/", mode: 0o755},
		{name: strings.TrimPrefix(Home, "/") + "/", mode: 0o700, uid: 65532},
	})
	if err != nil {
		return nil, err
	}
	app, err := layer([]file{{name: strings.TrimPrefix(Entrypoint, "/"), mode: 0o755, body: bin}})
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if img, err = mutate.AppendLayers(img, base, app); err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", arch, v1.Time{Time: epoch}
	cf.Config = v1.Config{
		Entrypoint:   []string{Entrypoint},
		Cmd:          []string{"help"},
		User:         User,
		WorkingDir:   Home,
		Env:          []string{"HOME=" + Home, "SSL_CERT_FILE=" + CACerts},
		ExposedPorts: map[string]struct{}{},
		Labels: map[string]string{
			"org.opencontainers.image.title":   "OpenCRM",
			"org.opencontainers.image.version": version,
			"org.opencontainers.image.source":  "https://github.com/opencrm/opencrm",
		},
	}
	for _, p := range Ports {
		cf.Config.ExposedPorts[p] = struct{}{}
	}
	return mutate.ConfigFile(img, cf)
}

type file struct {
	name string // a trailing slash: a directory
	mode int64
	uid  int
	body []byte
}

// layer is a gzipped OCI layer of files, owned by root unless said.
func layer(files []file) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{
			Name: f.name, Mode: f.mode, Uid: f.uid, Gid: f.uid, ModTime: epoch,
			Typeflag: tar.TypeReg, Size: int64(len(f.body)), Format: tar.FormatPAX,
		}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
