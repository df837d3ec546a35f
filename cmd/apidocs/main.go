// Command apidocs writes docs/api.md, the public API reference, from the
// descriptions in the composed supergraph (gateway/compose/supergraph.graphql),
// so the reference says what the schema says and cannot drift from it.
//
//	go run ./cmd/apidocs          regenerate docs/api.md
//	go run ./cmd/apidocs -check   fail when docs/api.md is stale
//
// Run it from the repository root after `make compose`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
)

func main() {
	schema := flag.String("schema", "gateway/compose/supergraph.graphql", "the composed supergraph to document")
	out := flag.String("out", "docs/api.md", "the reference to write")
	check := flag.Bool("check", false, "write nothing; fail when -out differs from what -schema gives")
	flag.Parse()
	if err := run(*schema, *out, *check); err != nil {
		fmt.Fprintln(os.Stderr, "apidocs:", err)
		os.Exit(1)
	}
}

// run renders the reference of the schema at schemaPath and writes it to
// outPath or, with check, compares it with what outPath holds.
func run(schemaPath, outPath string, check bool) error {
	sdl, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	doc, err := Render(schemaPath, string(sdl))
	if err != nil {
		return err
	}
	if !check {
		return os.WriteFile(outPath, doc, 0o644)
	}
	have, err := os.ReadFile(outPath)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if !bytes.Equal(have, doc) {
		return fmt.Errorf("%s is stale (it does not match %s): run `go run ./cmd/apidocs` and commit it", outPath, schemaPath)
	}
	return nil
}
