#!/usr/bin/env bash
# Checks that the patch in docs/adding-a-field.md (its one ```diff block)
# still applies to the tree, so the walk-through stays true. Run from
# anywhere in the repository; make lint runs it.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
doc="$root/docs/adding-a-field.md"
patch=$(mktemp)
trap 'rm -f "$patch"' EXIT
awk '/^```diff$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' "$doc" >"$patch"
if [ ! -s "$patch" ]; then
  echo "adding-a-field: no \`\`\`diff block in docs/adding-a-field.md" >&2
  exit 1
fi
if ! git -C "$root" apply --check "$patch"; then
  echo "adding-a-field: the patch in docs/adding-a-field.md no longer applies to the tree:" >&2
  echo "  redo the walk-through (add the field, make generate, test) and paste the new git diff of the hand-written files" >&2
  exit 1
fi
echo "adding-a-field: the walk-through's patch applies"
