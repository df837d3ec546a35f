// Command gqlgen-subgraphs generates the GraphQL layer of every subgraph from
// the one gqlgen.yml: for each folder schema/<subgraph>/ (but shared/), it
// runs gqlgen with {subgraph} in the configuration replaced by the folder's
// name. A subgraph's own bindings of GraphQL types to its domain types (the
// autobind of its domain package, enum values) sit beside its schema in
// schema/<subgraph>/gqlgen.yml and are added to that configuration. Run it
// through `make generate`.
package main

import (
	"bytes"
	"fmt"
	goast "go/ast"
	goparser "go/parser"
	"go/token"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/goccy/go-yaml"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func main() {
	log.SetFlags(0)
	tmpl, err := os.ReadFile("gqlgen.yml")
	if err != nil {
		log.Fatalf("run from the repository root: %v", err)
	}
	subgraphs := os.Args[1:]
	if len(subgraphs) == 0 {
		dirs, _ := filepath.Glob("schema/*")
		for _, d := range dirs {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() && filepath.Base(d) != "shared" {
				subgraphs = append(subgraphs, filepath.Base(d))
			}
		}
	}
	for _, sg := range subgraphs {
		if err := generate(tmpl, sg); err != nil {
			log.Fatalf("gqlgen %s: %v", sg, err)
		}
		fmt.Println("generated subgraph", sg)
	}
}

func generate(tmpl []byte, subgraph string) error {
	cfg, err := config.ReadConfig(bytes.NewReader(bytes.ReplaceAll(tmpl, []byte("{subgraph}"), []byte(subgraph))))
	if err != nil {
		return err
	}
	if len(cfg.SchemaFilename) == 0 || !strings.Contains(strings.Join(cfg.SchemaFilename, " "), "schema/"+subgraph+"/") {
		return fmt.Errorf("no schema files in schema/%s/", subgraph)
	}
	if err := addBindings(cfg, filepath.Join("schema", subgraph, "gqlgen.yml")); err != nil {
		return err
	}
	return api.Generate(cfg)
}

// addBindings adds a subgraph's autobind packages and models, if it has any.
func addBindings(cfg *config.Config, path string) error {
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var own struct {
		AutoBind []string       `yaml:"autobind"`
		Models   config.TypeMap `yaml:"models"`
	}
	if err := yaml.UnmarshalWithOptions(raw, &own, yaml.Strict()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if cfg.Models == nil {
		cfg.Models = config.TypeMap{}
	}
	for name, m := range own.Models {
		if _, dup := cfg.Models[name]; dup {
			return fmt.Errorf("%s: %s is bound in gqlgen.yml already", path, name)
		}
		cfg.Models[name] = m
	}
	return autobind(cfg, own.AutoBind)
}

// autobind binds each type of the schema not bound yet to the Go type of
// the same name in one of pkgs, as gqlgen's own autobind does, but never a
// name gqlgen reserves (_Service, _Entity, _Any): gqlgen's would bind
// federation's _Service to a domain's Service type.
func autobind(cfg *config.Config, pkgs []string) error {
	if len(pkgs) == 0 {
		return nil
	}
	var sources []*ast.Source
	for _, f := range cfg.SchemaFilename {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(raw)})
	}
	doc, err := parser.ParseSchemas(sources...)
	if err != nil {
		return err
	}
	module, err := modulePath()
	if err != nil {
		return err
	}
	for _, pkg := range pkgs {
		goTypes, err := exportedTypes(strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/"))
		if err != nil {
			return fmt.Errorf("autobind %s: %w", pkg, err)
		}
		for _, defs := range []ast.DefinitionList{doc.Definitions, doc.Extensions} {
			for _, def := range defs {
				if !strings.HasPrefix(def.Name, "_") && !cfg.Models.UserDefined(def.Name) && goTypes[def.Name] {
					cfg.Models.Add(def.Name, pkg+"."+def.Name)
				}
			}
		}
	}
	return nil
}

// exportedTypes returns the exported type names declared in a package's
// folder (its non-test files).
func exportedTypes(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := goparser.ParseFile(token.NewFileSet(), name, nil, goparser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			if g, ok := decl.(*goast.GenDecl); ok && g.Tok == token.TYPE {
				for _, spec := range g.Specs {
					if name := spec.(*goast.TypeSpec).Name; name.IsExported() {
						out[name.Name] = true
					}
				}
			}
		}
	}
	return out, nil
}

// modulePath is the module of go.mod in the working directory.
func modulePath() (string, error) {
	raw, err := os.ReadFile("go.mod")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.TrimSpace(m), nil
		}
	}
	return "", fmt.Errorf("go.mod names no module")
}
