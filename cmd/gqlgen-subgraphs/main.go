// Command gqlgen-subgraphs generates the GraphQL layer of every subgraph from
// the one gqlgen.yml: for each folder schema/<subgraph>/ (but shared/), it
// runs gqlgen with {subgraph} in the configuration replaced by the folder's
// name. Run it through `make generate`.
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
	return api.Generate(cfg)
}
