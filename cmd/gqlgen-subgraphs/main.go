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
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/goccy/go-yaml"
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
	cfg.AutoBind = append(cfg.AutoBind, own.AutoBind...)
	if cfg.Models == nil {
		cfg.Models = config.TypeMap{}
	}
	for name, m := range own.Models {
		if _, dup := cfg.Models[name]; dup {
			return fmt.Errorf("%s: %s is bound in gqlgen.yml already", path, name)
		}
		cfg.Models[name] = m
	}
	return nil
}
