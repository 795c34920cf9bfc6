#!/usr/bin/env bash
# Builds the end-to-end toolchain from the Go module proxy: the Pulumi CLI, the Kubernetes provider
# plugin, kube-apiserver and an embedded etcd. Each binary is cached outside the repository, keyed
# by its module version, so only the first run pays for the build (tens of minutes on 2 cores).
# Prints the bin folder to put first on PATH.
#   FINETUNE_E2E_CACHE   cache root (default: ~/.cache/finetune-e2e)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${FINETUNE_E2E_CACHE:-$HOME/.cache/finetune-e2e}"

PULUMI_VERSION=v3.274.1
PROVIDER_VERSION=v4.0.0-20260115033456-f47bc2d6f199
PROVIDER_RELEASE=4.25.0
KUBERNETES_VERSION=v1.34.4
ETCD_VERSION=v3.6.13

bin="$cache/bin-pulumi-$PULUMI_VERSION-k8s-$PROVIDER_RELEASE-kube-$KUBERNETES_VERSION-etcd-$ETCD_VERSION"
mkdir -p "$bin"
export GOFLAGS="${GOFLAGS:-} -mod=mod"

build() { # name, module dir, package, extra flags...
  local name="$1" dir="$2" pkg="$3"
  shift 3
  if [ -x "$bin/$name" ]; then
    echo "cached: $bin/$name" >&2
    return
  fi
  echo "building $name ($pkg) ..." >&2
  local start=$SECONDS
  (cd "$here/$dir" && go build -trimpath "$@" -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
  echo "built $name in $((SECONDS - start))s" >&2
}

build pulumi pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"

# The provider's schema files come from its module; they are embedded by main.go.
provider_dir="$(cd "$here/provider" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)"
install -m 0644 "$provider_dir/cmd/pulumi-resource-kubernetes/schema.json" "$here/provider/schema.json"
install -m 0644 "$provider_dir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$here/provider/terraform-mapping.json"
build pulumi-resource-kubernetes provider . \
  -ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PROVIDER_RELEASE"

build kube-apiserver apiserver k8s.io/kubernetes/cmd/kube-apiserver
build etcd etcd .

echo "$bin"
