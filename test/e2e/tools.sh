#!/usr/bin/env bash
# Builds the real toolchain the end-to-end tests run against — the Pulumi CLI, the Kubernetes
# resource plugin, kube-apiserver, kubectl and etcd — from Go modules with `go`, and caches each
# under $ISTIO_GATEWAY_TOOLS_CACHE (default ~/.cache/istio-gateway/tools)/<tool>-<version>/.
# A tool whose stamp file is present is reused as it is; delete its directory to rebuild it.
#
# Usage: test/e2e/tools.sh [--print-env] [TOOL...]
#   (pulumi includes the CLI's Node.js language host, installed beside the CLI)
#   TOOL         pulumi, pulumi-resource-kubernetes, etcd or kubernetes (default: all of them)
#   --print-env  print `export` lines that put the cached tools on PATH (after building them)
#
# Go's own module and build caches are kept beside the tools (…/istio-gateway/go/), so a build
# does not depend on, or disturb, whatever else the machine has cached.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools.env
source "$here/tools.env"

cache_root="${ISTIO_GATEWAY_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/istio-gateway/tools}"
go_root="$(dirname "$cache_root")/go"
print_env=false
selected=()
for arg in "$@"; do
  case "$arg" in
    --print-env) print_env=true ;;
    pulumi | pulumi-resource-kubernetes | etcd | kubernetes) selected+=("$arg") ;;
    *)
      echo "usage: $0 [--print-env] [pulumi|pulumi-resource-kubernetes|etcd|kubernetes]..." >&2
      exit 2
      ;;
  esac
done
[ "${#selected[@]}" -eq 0 ] && selected=(pulumi pulumi-resource-kubernetes etcd kubernetes)

# Progress goes to stderr so that --print-env's stdout stays machine-readable.
log() { printf '[tools %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  log "go is not installed: cannot build the end-to-end toolchain"
  exit 1
fi

export GOMODCACHE="$go_root/mod"
export GOCACHE="$go_root/build"
export GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
# The machine is shared: builds run at low priority and never ask for more than two jobs.
nice_go() { nice -n 15 go "$@"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/istio-gateway-tools.XXXXXX")"
heartbeat_pid=""
cleanup() {
  [ -n "$heartbeat_pid" ] && kill "$heartbeat_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# run_step LABEL CMD... — runs CMD, printing the elapsed time every 30 s so a long build shows life.
run_step() {
  local label="$1"
  shift
  local start=$SECONDS
  log "$label"
  (
    while sleep 30; do log "  $label: $((SECONDS - start))s"; done
  ) &
  heartbeat_pid=$!
  local rc=0
  "$@" >"$work/step.log" 2>&1 || rc=$?
  kill "$heartbeat_pid" 2>/dev/null || true
  wait "$heartbeat_pid" 2>/dev/null || true
  heartbeat_pid=""
  if [ "$rc" -ne 0 ]; then
    log "  $label failed (exit $rc):"
    tail -n 40 "$work/step.log" >&2
    exit "$rc"
  fi
  log "  $label: done in $((SECONDS - start))s"
}

# go_mod_file MODULE@VERSION — the path of that module's go.mod in the module cache.
go_mod_file() {
  nice_go mod download -json "$1" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p'
}

# go_mod_dir MODULE@VERSION — the directory of that module's source in the module cache.
go_mod_dir() {
  nice_go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# replace_lines GO_MOD — prints every replace directive of GO_MOD, one per line, as
# "LEFT => RIGHT" (the single-line and the block form alike).
replace_lines() {
  awk '
    /^replace[[:space:]]*\($/ { block = 1; next }
    block && /^\)/ { block = 0; next }
    block && /=>/ { sub(/^[[:space:]]+/, ""); print; next }
    /^replace[[:space:]]/ && /=>/ { sub(/^replace[[:space:]]+/, ""); print }
  ' "$1"
}

# remote_replaces GO_MOD — the replace directives of GO_MOD that point at other modules (not at
# local paths). A module's replace lines bind only its own builds, so a wrapper that depends on
# it must repeat them.
remote_replaces() {
  replace_lines "$1" | awk -F'=>' '{ r = $2; sub(/^[[:space:]]+/, "", r); if (r !~ /^\.\.?\//) print "replace " $0 }'
}

# local_replaced_modules GO_MOD — the module paths that GO_MOD replaces with local directories.
local_replaced_modules() {
  replace_lines "$1" | awk -F'=>' '{ r = $2; sub(/^[[:space:]]+/, "", r); if (r ~ /^\.\.?\//) { split($1, l, " "); print l[1] } }'
}

# tool_dir NAME VERSION — the cache directory of one tool.
tool_dir() { printf '%s/%s-%s' "$cache_root" "$1" "$2"; }

# cached NAME VERSION — true when that tool was built completely before. Takes the tool's lock
# first (held until this script exits), so two runs never build the same tool at once: the second
# waits, then finds the first one's result.
cached() {
  local dir lock_fd
  dir="$(tool_dir "$1" "$2")"
  mkdir -p "$cache_root"
  exec {lock_fd}>"$dir.lock"
  if ! flock -n "$lock_fd"; then
    log "$1 $2: another run is building it; waiting"
    flock "$lock_fd"
  fi
  if [ -f "$dir/.stamp" ]; then
    log "$1 $2: cached in $dir ($(cat "$dir/.stamp"))"
    return 0
  fi
  return 1
}

# finish NAME VERSION START — moves the freshly built tool into place and writes its stamp.
finish() {
  local dir
  dir="$(tool_dir "$1" "$2")"
  printf 'built %s in %ss\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$((SECONDS - $3))" >"$dir.new/.stamp"
  rm -rf "$dir"
  mv "$dir.new" "$dir"
  log "$1 $2: built in $((SECONDS - $3))s into $dir"
}

# begin NAME VERSION — prepares an empty staging directory for a tool and a directory for its
# wrapper module.
begin() {
  local dir
  dir="$(tool_dir "$1" "$2")"
  rm -rf "$dir.new"
  mkdir -p "$dir.new/bin" "$work/$1"
}

build_pulumi() {
  local v="v$PULUMI_VERSION" start=$SECONDS
  cached pulumi "$PULUMI_VERSION" && return 0
  begin pulumi "$PULUMI_VERSION"
  local out w pkg_mod
  out="$(tool_dir pulumi "$PULUMI_VERSION").new"
  w="$work/pulumi"
  run_step "pulumi $v: downloading github.com/pulumi/pulumi/pkg/v3" \
    nice_go mod download github.com/pulumi/pulumi/pkg/v3@"$v"
  pkg_mod="$(go_mod_file github.com/pulumi/pulumi/pkg/v3@"$v")"
  {
    echo "module e2etools/pulumi"
    echo
    echo "go 1.25"
    echo
    echo "require github.com/pulumi/pulumi/pkg/v3 $v"
    # pkg/v3 replaces these with sibling directories of its repository: take the same release.
    local m
    for m in $(local_replaced_modules "$pkg_mod"); do echo "require $m $v"; done
    remote_replaces "$pkg_mod"
  } >"$w/go.mod"
  (
    cd "$w"
    run_step "pulumi $v: resolving dependencies" nice_go get github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@"$v"
    run_step "pulumi $v: compiling cmd/pulumi" nice_go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
      -o "$out/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  finish pulumi "$PULUMI_VERSION" "$start"
}

# The Node.js language host, built into the CLI's bin directory (see tools.env). Added to a cached
# CLI too, so a cache made before the language host was part of the toolchain gains it.
build_language_nodejs() {
  local v="v$PULUMI_LANGUAGE_NODEJS_SDK_VERSION" start=$SECONDS bin w sdk_mod
  bin="$(tool_dir pulumi "$PULUMI_VERSION")/bin"
  [ -x "$bin/pulumi-language-nodejs" ] && return 0
  w="$work/pulumi-language-nodejs"
  mkdir -p "$w"
  run_step "pulumi-language-nodejs $v: downloading github.com/pulumi/pulumi/sdk/v3" \
    nice_go mod download github.com/pulumi/pulumi/sdk/v3@"$v"
  sdk_mod="$(go_mod_file github.com/pulumi/pulumi/sdk/v3@"$v")"
  {
    echo "module e2etools/languagehost"
    echo
    echo "go 1.18"
    echo
    echo "require github.com/pulumi/pulumi/sdk/v3 $v"
    remote_replaces "$sdk_mod"
  } >"$w/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"\n' >"$w/tools.go"
  (
    cd "$w"
    run_step "pulumi-language-nodejs $v: resolving dependencies" nice_go mod tidy
    run_step "pulumi-language-nodejs $v: compiling" nice_go build -trimpath -ldflags "-s -w" \
      -o "$bin/pulumi-language-nodejs.new" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  )
  mv "$bin/pulumi-language-nodejs.new" "$bin/pulumi-language-nodejs"
  log "pulumi-language-nodejs $v: built in $((SECONDS - start))s into $bin"
}

build_pulumi_kubernetes() {
  local v="$PULUMI_KUBERNETES_VERSION" mv="$PULUMI_KUBERNETES_MODULE" start=$SECONDS
  local module=github.com/pulumi/pulumi-kubernetes/provider/v4
  cached pulumi-resource-kubernetes "$v" && return 0
  begin pulumi-resource-kubernetes "$v"
  local out w provider_mod provider_dir
  out="$(tool_dir pulumi-resource-kubernetes "$v").new"
  w="$work/pulumi-resource-kubernetes"
  run_step "pulumi-resource-kubernetes $v: downloading $module@$mv" nice_go mod download "$module@$mv"
  provider_mod="$(go_mod_file "$module@$mv")"
  provider_dir="$(go_mod_dir "$module@$mv")"
  {
    echo "module e2etools/pulumi-resource-kubernetes"
    echo
    echo "go 1.24"
    echo
    echo "require $module $mv"
    # provider/v4 replaces its SDK with ../sdk; the SDK release next to that commit stands in.
    echo "require github.com/pulumi/pulumi-kubernetes/sdk/v4 $PULUMI_KUBERNETES_SDK_MODULE"
    remote_replaces "$provider_mod"
  } >"$w/go.mod"
  # The module's own cmd/pulumi-resource-kubernetes embeds files generated at release time; this
  # main serves the schema.json the module ships instead.
  cp "$provider_dir/cmd/pulumi-resource-kubernetes/schema.json" "$w/schema.json"
  cp "$provider_dir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$w/terraform-mapping.json"
  chmod u+w "$w"/*.json
  cat >"$w/main.go" <<'GO'
// Command pulumi-resource-kubernetes serves the Kubernetes provider with the schema its module ships.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var pulumiSchema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
GO
  (
    cd "$w"
    run_step "pulumi-resource-kubernetes $v: resolving dependencies" nice_go mod tidy
    run_step "pulumi-resource-kubernetes $v: compiling" nice_go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$v" \
      -o "$out/bin/pulumi-resource-kubernetes" .
  )
  # The layout of a Pulumi plugin cache ($PULUMI_HOME/plugins), so the engine finds the plugin
  # under the version @pulumi/kubernetes asks for and never tries to download it.
  mkdir -p "$out/plugins/resource-kubernetes-v$v"
  ln -s ../../bin/pulumi-resource-kubernetes "$out/plugins/resource-kubernetes-v$v/pulumi-resource-kubernetes"
  finish pulumi-resource-kubernetes "$v" "$start"
}

build_kubernetes() {
  local v="v$KUBERNETES_VERSION" start=$SECONDS
  local staging="v0.${KUBERNETES_VERSION#*.}"
  cached kubernetes "$KUBERNETES_VERSION" && return 0
  begin kubernetes "$KUBERNETES_VERSION"
  local out w k8s_mod minor
  out="$(tool_dir kubernetes "$KUBERNETES_VERSION").new"
  w="$work/kubernetes"
  minor="${KUBERNETES_VERSION#*.}"
  minor="${minor%%.*}"
  run_step "kubernetes $v: downloading k8s.io/kubernetes" nice_go mod download k8s.io/kubernetes@"$v"
  k8s_mod="$(go_mod_file k8s.io/kubernetes@"$v")"
  {
    echo "module e2etools/kubernetes"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $v"
    # k8s.io/kubernetes replaces its staging modules (k8s.io/api, k8s.io/apiserver, …) with
    # directories of its own repository; each is published as v0.MINOR.PATCH of the same release.
    local m
    for m in $(local_replaced_modules "$k8s_mod"); do echo "replace $m => $m $staging"; done
    remote_replaces "$k8s_mod"
  } >"$w/go.mod"
  local ldflags="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  (
    cd "$w"
    run_step "kubernetes $v: resolving dependencies" \
      nice_go get k8s.io/kubernetes/cmd/kube-apiserver@"$v" k8s.io/kubernetes/cmd/kubectl@"$v"
    run_step "kubernetes $v: compiling cmd/kube-apiserver and cmd/kubectl" nice_go build -trimpath \
      -ldflags "$ldflags" -o "$out/bin/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
  )
  finish kubernetes "$KUBERNETES_VERSION" "$start"
}

build_etcd() {
  local v="v$ETCD_VERSION" start=$SECONDS
  cached etcd "$ETCD_VERSION" && return 0
  begin etcd "$ETCD_VERSION"
  local out w server_mod
  out="$(tool_dir etcd "$ETCD_VERSION").new"
  w="$work/etcd"
  run_step "etcd $v: downloading go.etcd.io/etcd/server/v3" nice_go mod download go.etcd.io/etcd/server/v3@"$v"
  server_mod="$(go_mod_file go.etcd.io/etcd/server/v3@"$v")"
  {
    echo "module e2etools/etcd"
    echo
    echo "go 1.24"
    echo
    echo "require go.etcd.io/etcd/server/v3 $v"
    # server/v3 replaces its sibling modules with local directories (and forbids two of them
    # with a placeholder path): take the siblings from the same release.
    local m
    for m in $(local_replaced_modules "$server_mod"); do
      case "$m" in go.etcd.io/etcd/*/v3) echo "require $m $v" ;; esac
    done
    remote_replaces "$server_mod"
  } >"$w/go.mod"
  cat >"$w/main.go" <<'GO'
// Command etcd runs the etcd server, as the main package of etcd's own repository does.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
GO
  (
    cd "$w"
    run_step "etcd $v: resolving dependencies" nice_go mod tidy
    run_step "etcd $v: compiling" nice_go build -trimpath \
      -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=release" -o "$out/bin/etcd" .
  )
  finish etcd "$ETCD_VERSION" "$start"
}

total_start=$SECONDS
log "cache: $cache_root (go caches: $go_root)"
for tool in "${selected[@]}"; do
  case "$tool" in
    pulumi) build_pulumi && build_language_nodejs ;;
    pulumi-resource-kubernetes) build_pulumi_kubernetes ;;
    etcd) build_etcd ;;
    kubernetes) build_kubernetes ;;
  esac
done
log "toolchain ready in $((SECONDS - total_start))s"
pulumi_bin="$(tool_dir pulumi "$PULUMI_VERSION")/bin/pulumi"
if [ -x "$pulumi_bin" ]; then
  log "pulumi version: $(PULUMI_SKIP_UPDATE_CHECK=true "$pulumi_bin" version)"
fi

if $print_env; then
  printf 'export PATH=%q:%q:%q:"$PATH"\n' \
    "$(tool_dir pulumi "$PULUMI_VERSION")/bin" \
    "$(tool_dir kubernetes "$KUBERNETES_VERSION")/bin" \
    "$(tool_dir etcd "$ETCD_VERSION")/bin"
fi
