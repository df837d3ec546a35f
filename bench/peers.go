package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// peer is a gateway measured next to ours, serving the same supergraph
// (gateway/compose/supergraph.graphql) in front of the same subgraph
// processes: Apollo Gateway on Apollo Server, and Hive Gateway. Both are
// npm packages pinned in bench/peers/package-lock.json.
type peer struct {
	name   string
	port   int
	health string // a path answering 200 once the gateway serves
	args   func(supergraph string, port int) []string
}

// peers listen on base+20 and up, clear of the subgraphs on base+1...
// (services).
func peers(base int) []peer {
	return []peer{
		{name: "apollo-gateway", port: base + 20, health: "/graphql?query=%7B__typename%7D",
			args: func(sg string, port int) []string { return []string{"node", "apollo.mjs", sg, strconv.Itoa(port)} }},
		// Hive Gateway forks a worker per CPU when NODE_ENV=production, the
		// way it is meant to run on a machine of its own (ours uses every
		// CPU too); the CPU of its workers counts with it (processTree).
		{name: "hive-gateway", port: base + 21, health: "/healthcheck",
			args: func(sg string, port int) []string {
				return []string{"node_modules/.bin/hive-gateway", "supergraph", sg, "--port", strconv.Itoa(port), "--host", "127.0.0.1"}
			}},
	}
}

var joinGraphURL = regexp.MustCompile(`@join__graph\(name: "([a-z]+)", url: "[^"]*"\)`)

// supergraphFor writes the committed supergraph with each subgraph's URL
// set to where the harness runs it.
func supergraphFor(dir string, urls map[string]string) (string, error) {
	sdl, err := os.ReadFile("gateway/compose/supergraph.graphql")
	if err != nil {
		return "", err
	}
	missing := ""
	out := joinGraphURL.ReplaceAllStringFunc(string(sdl), func(m string) string {
		name := joinGraphURL.FindStringSubmatch(m)[1]
		u, ok := urls[name]
		if !ok {
			missing = name
		}
		return fmt.Sprintf(`@join__graph(name: %q, url: %q)`, name, u+"/graphql")
	})
	if missing != "" {
		return "", fmt.Errorf("supergraph: no URL for subgraph %s", missing)
	}
	path := filepath.Join(dir, "supergraph.graphql")
	return path, os.WriteFile(path, []byte(out), 0o600)
}

// installPeers installs the pinned peer gateways (npm ci, from the cache
// when it can) unless they are installed.
func installPeers() error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node is not installed: the peer gateways need Node.js 20 (Debian: apt-get install nodejs npm)")
	}
	if fi, err := os.Stat("bench/peers/node_modules/.package-lock.json"); err == nil {
		if lock, err := os.Stat("bench/peers/package-lock.json"); err == nil && !lock.ModTime().After(fi.ModTime()) {
			return nil
		}
	}
	c := exec.Command("npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error")
	c.Dir, c.Stdout, c.Stderr = "bench/peers", os.Stderr, os.Stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("npm ci in bench/peers: %w", err)
	}
	return nil
}

// processTree is pid and its descendants (Hive Gateway's workers), read
// from /proc.
func processTree(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if pp, err := strconv.Atoi(f[1]); err == nil {
			children[pp] = append(children[pp], p)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}
