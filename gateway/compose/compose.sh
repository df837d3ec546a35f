#!/usr/bin/env bash
# Composes the subgraphs of subgraphs.All (subgraphs/registry.go) into the
# files the repository commits (`make compose` runs it; CI runs it with --check):
#   graph.yaml                the list of subgraphs composed (wgc's input), from the registry
#   subgraphs/<name>.graphql  each subgraph's SDL (its _service.sdl)
#   config.json               the router config the gateway embeds (wgc router compose)
#   supergraph.graphql        the Apollo Federation v2 supergraph (@apollo/composition),
#                             proof that Apollo Router or Cosmo Router can serve them too
# and copies the playground's npm assets (../playground/vendor.sh).
# Any composition error fails the script. --check recomposes and fails when a
# committed output differs from what the sources give.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
check=false
[[ ${1:-} == --check ]] && check=true

outputs=(graph.yaml config.json supergraph.graphql subgraphs)
cd "$here"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if $check; then
  mkdir "$tmp/before"
  for f in "${outputs[@]}"; do [[ -e $f ]] && cp -R "$f" "$tmp/before/"; done
fi

# npm ci only when node_modules is missing or older than the lock file, and
# from the local cache when it can (so it works offline once installed).
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error
fi

# Each subgraph's _service.sdl, as gqlgen serves it, and graph.yaml.
mkdir "$tmp/sdl"
(cd "$root" && go run ./cmd/crm sdl "$tmp/sdl")
mv "$tmp/sdl/graph.yaml" graph.yaml
mapfile -t names < <(sed -n 's/^  - name: *//p' graph.yaml)
[[ ${#names[@]} -gt 0 ]] || { echo "compose: no subgraphs in graph.yaml" >&2; exit 1; }
rm -rf subgraphs && mkdir subgraphs
for name in "${names[@]}"; do
  [[ -s $tmp/sdl/$name.graphql ]] || { echo "compose: no SDL for subgraph $name" >&2; exit 1; }
  cp "$tmp/sdl/$name.graphql" subgraphs/
done

npx --no-install wgc router compose -i graph.yaml -o config.json
args=()
for name in "${names[@]}"; do args+=("$name=subgraphs/$name.graphql"); done
node apollo-compose.mjs "${args[@]}" >"$tmp/supergraph.graphql"
mv "$tmp/supergraph.graphql" supergraph.graphql

"$here/../playground/vendor.sh" ${1:-}

if $check; then
  for f in "${outputs[@]}"; do
    if ! diff -ru "$tmp/before/$f" "$f" >&2; then
      echo "compose: gateway/compose/$f is stale: run 'make compose' and commit the result" >&2
      exit 1
    fi
  done
  echo "compose: outputs are current"
fi
