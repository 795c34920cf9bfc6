#!/usr/bin/env bash
# Builds the end-to-end toolchain from the Go module proxy (and Node.js 22 from the npm registry):
# the Pulumi CLI and its Node.js language host, the Kubernetes provider plugin, etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, KWOK, the Kubeflow training operator
# v1, Kubeflow Trainer v2's controller manager with JobSet, Kueue (with its rendered install), KWOK's
# stages, and actionlint.
# Each binary is cached outside the repository under its name and module version, so only the
# first run pays for the build (30 to 45 minutes on 2 cores), and a version bump rebuilds only
# what changed. Prints the bin folder to put first on PATH: hard links to the cached binaries,
# all in one folder because the CLI looks
# for its language host beside itself.
# Runs are serialized by a lock in the cache folder, so two at once on one cache (two CI jobs on one
# runner, a bench beside a test run) both succeed: the second waits, then finds the binaries built.
#   build.sh             build what is missing, print the bin folder
#   build.sh --sources   print the files it reads from module sources, downloading them
#                        if needed, and build nothing (the guard in test/toolchain.test.ts)
#   build.sh --playground  build only what `npm run playground` runs besides the Pulumi CLI (the
#                        cluster, KWOK, the training operator v1 and its rendered install, the
#                        provider plugin); the CLI and its language host are the user's
#   FINETUNE_E2E_CACHE   cache root (default: ~/.cache/finetune-e2e)
#   FINETUNE_SHARED      the shared reference folder beside the project (default: ../shared)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${FINETUNE_E2E_CACHE:-$HOME/.cache/finetune-e2e}"
shared="${FINETUNE_SHARED:-$(cd "$here/../../.." && pwd)/../shared}"

PULUMI_VERSION=v3.274.1
PROVIDER_VERSION=v4.0.0-20260115033456-f47bc2d6f199
PROVIDER_RELEASE=4.25.0
KUBERNETES_VERSION=v1.34.4
ETCD_VERSION=v3.6.13
OPERATOR_VERSION=v1.9.4
KWOK_VERSION=v0.8.0
TRAINER_VERSION=v2.3.0
JOBSET_VERSION=v0.12.0
KUEUE_VERSION=v0.19.0
ACTIONLINT_VERSION=v1.7.12
# The language host's source is pulumi/pulumi v3.259.0 built against the CLI's v3.274.1 modules.
LANGHOST_VERSION=v3.259.0-sdk-$PULUMI_VERSION
NODE_VERSION=22.23.5

store="$cache/store"
bin="$cache/bin"
export GOFLAGS="${GOFLAGS:-} -mod=mod"

# The folder of a module's source at the version the given go.mod selects. `go list -m` alone
# prints an empty folder until the module is extracted in the module cache (it never downloads),
# so the module is downloaded first (nothing is fetched when it is already there).
module_dir() { # go.mod folder, module path
  local dir
  (cd "$1" && go mod download "$2") || { echo "could not download $2 (selected by $1/go.mod)" >&2; return 1; }
  dir="$(cd "$1" && go list -m -f '{{.Dir}}' "$2")"
  [ -n "$dir" ] && [ -d "$dir" ] || { echo "no source folder for $2 after downloading it" >&2; return 1; }
  printf '%s\n' "$dir"
}
# The sources read as files, not only built: the provider's schema files, the Kueue and training
# operator installs, KWOK's stages.
provider_schema_dir() { local d; d="$(module_dir "$here/provider" github.com/pulumi/pulumi-kubernetes/provider/v4)" && printf '%s\n' "$d/cmd/pulumi-resource-kubernetes"; }
kueue_install_dir() { local d; d="$(module_dir "$here/kueue" sigs.k8s.io/kueue)" && printf '%s\n' "$d/config/default"; }
operator_install_dir() { local d; d="$(module_dir "$here/controllers" github.com/kubeflow/training-operator)" && printf '%s\n' "$d/manifests/overlays/standalone"; }
kwok_stage_dir() { local d; d="$(module_dir "$here/controllers" sigs.k8s.io/kwok)" && printf '%s\n' "$d/kustomize/stage"; }
# KWOK's own stages that the e2e cluster starts from, in the order it applies them
# (harness/controllers.ts makes its own from these).
KWOK_STAGE_FILES="node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml pod/fast/pod-ready.yaml pod/fast/pod-delete.yaml pod/fast/pod-complete.yaml pod/chaos/pod-container-running-failed.yaml"

if [ "${1:-}" = "--sources" ]; then
  schema_dir="$(provider_schema_dir)"
  install_dir="$(kueue_install_dir)"
  operator_dir="$(operator_install_dir)"
  stage_dir="$(kwok_stage_dir)"
  stage_files=()
  for stage in $KWOK_STAGE_FILES; do stage_files+=("$stage_dir/$stage"); done
  for file in "$schema_dir/schema.json" "$schema_dir/terraform-mapping.json" "$install_dir/kustomization.yaml" "$operator_dir/kustomization.yaml" "${stage_files[@]}"; do
    [ -f "$file" ] || { echo "missing: $file" >&2; exit 1; }
    printf '%s\n' "$file"
  done
  exit 0
fi

full=true
[ "${1:-}" = "--playground" ] && full=false

mkdir -p "$store" "$bin"
exec 9>"$cache/build.lock"
if ! flock -n 9; then
  echo "waiting for another build.sh on $cache ..." >&2
  flock 9
fi

# Writes manifests/NAME beside the bin folder once, from what the command prints: under a name of
# its own, then renamed into place, so a half-written file is never found.
manifest() { # file name, command...
  local file="$cache/manifests/$1" rendered
  shift
  [ -s "$file" ] && return 0
  mkdir -p "$cache/manifests"
  rendered="$(mktemp "$cache/manifests/.$(basename "$file")-XXXXXX")"
  "$@" > "$rendered" || { rm -f "$rendered"; return 1; }
  chmod 0644 "$rendered"
  mv "$rendered" "$file"
}

# Links a cached file into the bin folder under its plain name.
link() { ln -f "$store/$1-$2" "$bin/$1"; }

build() { # name, version, module dir, package, extra flags...
  local name="$1" version="$2" dir="$3" pkg="$4"
  shift 4
  if [ ! -x "$store/$name-$version" ]; then
    echo "building $name $version ($pkg) ..." >&2
    local start=$SECONDS scratch
    # Built under a name of its own, then renamed into place: a half-written binary is never found.
    scratch="$(mktemp -d "$store/.$name-XXXXXX")"
    (cd "$dir" && go build -trimpath "$@" -o "$scratch/$name" "$pkg")
    mv "$scratch/$name" "$store/$name-$version"
    rmdir "$scratch"
    echo "built $name in $((SECONDS - start))s" >&2
  fi
  link "$name" "$version"
}

# The Pulumi CLI and its language host (the playground uses the user's).
if $full; then
  build pulumi "$PULUMI_VERSION" "$here/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"

  # The Node.js language host is not served by the proxy: its source is kept in the shared folder
  # and built from a scratch copy, so nothing is written there.
  if [ ! -x "$store/pulumi-language-nodejs-$LANGHOST_VERSION" ]; then
    src="$shared/toolchain/pulumi-language-nodejs"
    [ -f "$src/main.go" ] || { echo "the language host's source is missing: $src" >&2; exit 1; }
    scratch="$(mktemp -d)"
    cp -r "$src/." "$scratch/"
    build pulumi-language-nodejs "$LANGHOST_VERSION" "$scratch" .
    rm -rf "$scratch"
  fi
  link pulumi-language-nodejs "$LANGHOST_VERSION"
fi

# The provider's schema files come from its module; they are embedded by main.go.
if [ ! -x "$store/pulumi-resource-kubernetes-$PROVIDER_RELEASE" ]; then
  schema_dir="$(provider_schema_dir)"
  install -m 0644 "$schema_dir/schema.json" "$here/provider/schema.json"
  install -m 0644 "$schema_dir/terraform-mapping.json" "$here/provider/terraform-mapping.json"
fi
build pulumi-resource-kubernetes "$PROVIDER_RELEASE" "$here/provider" . \
  -ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PROVIDER_RELEASE"

build etcd "$ETCD_VERSION" "$here/etcd" .
for component in kube-controller-manager kube-scheduler; do
  build "$component" "$KUBERNETES_VERSION" "$here/kubernetes" "k8s.io/kubernetes/cmd/$component"
done
# The API server reports its version (/version) as the release does, which Kueue parses at start;
# a plain go build says v0.0.0-master. Cached under its own key, since earlier builds lack it.
minor="${KUBERNETES_VERSION#v1.}"
minor="${minor%%.*}"
build kube-apiserver "$KUBERNETES_VERSION-stamped" "$here/kubernetes" k8s.io/kubernetes/cmd/kube-apiserver \
  -ldflags "-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
build training-operator "$OPERATOR_VERSION" "$here/controllers" github.com/kubeflow/training-operator/cmd/training-operator.v1
build kwok "$KWOK_VERSION" "$here/controllers" sigs.k8s.io/kwok/cmd/kwok
# The training operator v1's install, as its release renders it: manifests/overlays/standalone of
# the same module (kubectl's kustomize, offline), for the playground's stack.
render_operator() { local d; d="$(operator_install_dir)" || return 1; kubectl kustomize "$d"; }
manifest "training-operator-$OPERATOR_VERSION.yaml" render_operator
# KWOK's stages (its module's kustomize/stage), in one file.
concat_stages() {
  local d stage
  d="$(kwok_stage_dir)" || return 1
  for stage in $KWOK_STAGE_FILES; do
    printf -- '---\n'
    cat "$d/$stage"
  done
}
manifest "kwok-stages-$KWOK_VERSION.yaml" concat_stages
if ! $full; then
  echo "$bin"
  exit 0
fi

build trainer-controller-manager "$TRAINER_VERSION" "$here/trainer" github.com/kubeflow/trainer/v2/cmd/trainer-controller-manager
build jobset "$JOBSET_VERSION" "$here/trainer" sigs.k8s.io/jobset
build kueue "$KUEUE_VERSION" "$here/kueue" sigs.k8s.io/kueue/cmd/kueue
# The workflow linter npm test runs on examples/ci.
build actionlint "$ACTIONLINT_VERSION" "$here/actionlint" github.com/rhysd/actionlint/cmd/actionlint
# Kueue's install, as its release renders it: config/default of the same module (kubectl's
# kustomize, offline), beside the binaries.
render_kueue() { local d; d="$(kueue_install_dir)" || return 1; kubectl kustomize "$d"; }
manifest "kueue-$KUEUE_VERSION.yaml" render_kueue

# Node.js 22, the oldest release line @pulumi/pulumi supports, for the CLI's runs of the program.
bash "$here/node.sh" "$NODE_VERSION" >/dev/null
link node "$NODE_VERSION"

echo "$bin"
