#!/usr/bin/env bash
# Copies GraphiQL and React from node_modules (pinned by package.json and
# package-lock.json) into assets/, which the gateway embeds: the playground
# then needs no CDN and works offline. --check fails when assets/ differs.
set -euo pipefail

cd "$(dirname "$0")"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error
fi

files=(
  node_modules/graphiql/graphiql.min.js
  node_modules/graphiql/graphiql.min.css
  node_modules/react/umd/react.production.min.js
  node_modules/react-dom/umd/react-dom.production.min.js
)
if [[ ${1:-} == --check ]]; then
  for f in "${files[@]}"; do
    if ! cmp -s "$f" "assets/$(basename "$f")"; then
      echo "playground: assets/$(basename "$f") differs from $f: run 'make compose' and commit the result" >&2
      exit 1
    fi
  done
  exit 0
fi
mkdir -p assets
cp "${files[@]}" assets/
