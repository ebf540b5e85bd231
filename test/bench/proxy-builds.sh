#!/usr/bin/env bash
# Two builds of the istio-gateway proxy (or one build run two ways) under the same load, taken in
# turns: each round loads A alone, then B alone, for the same time, with the other stopped
# (SIGSTOP). It answers "did this change help", including for changes proxy-ab.sh cannot see: there
# both gateways share a busy CPU, so what a change saves in waking wrk or the upstream (writes held
# to the end of the turn) is not in it. The layout is the benchmark's: the proxy on CPU 0, wrk and
# the upstream on CPU 1.
#
# Usage: test/bench/proxy-builds.sh [BUILD_B]
#   BUILD_B: another checkout of this repository with its node_modules (default: this one).
#   e.g.   git worktree add /tmp/before HEAD~1 && ln -s "$PWD/node_modules" /tmp/before/ &&
#          test/bench/proxy-builds.sh /tmp/before
# Settings (environment): NODE_FLAGS_A, NODE_FLAGS_B (node options of each, e.g.
#   --concurrent-marking), PROXY_FLAGS_A, PROXY_FLAGS_B (istio-gateway proxy flags),
#   BUILDS_ROUNDS=10, BUILDS_DURATION=2 (seconds per run), BUILDS_CONNECTIONS=64,
#   BUILDS_SCHEME=http|https, BUILDS_PORT_BASE=23500.
# Prints each run's requests a second, CPU microseconds per request and wrk's p99, then the medians
# of each build and their ratios. Needs nginx, wrk and taskset (see proxy.sh).
set -euo pipefail
ROUNDS=${BUILDS_ROUNDS:-10}
DURATION=${BUILDS_DURATION:-2}
CONNECTIONS=${BUILDS_CONNECTIONS:-64}
SCHEME=${BUILDS_SCHEME:-http}
[[ $SCHEME == http || $SCHEME == https ]] || { echo "proxy-builds.sh: BUILDS_SCHEME is http or https (got $SCHEME)" >&2; exit 1; }
BASE=${BUILDS_PORT_BASE:-23500}
UPSTREAM=$BASE
HOST=bench.example.com
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_A=$ROOT
BUILD_B=$(cd "${1:-$ROOT}" && pwd)
# shellcheck source-path=SCRIPTDIR source=proxy/two-gateways.sh
source "$ROOT/test/bench/proxy/two-gateways.sh"
export PATH=$PATH:/usr/sbin:/sbin
for tool in nginx wrk taskset openssl; do
  command -v "$tool" >/dev/null || { echo "proxy-builds.sh: $tool is missing (test/bench/proxy.sh installs it)" >&2; exit 1; }
done
[[ -f $BUILD_B/provider/bin/istio-gateway.js ]] || { echo "proxy-builds.sh: $BUILD_B is not a checkout of istio-gateway" >&2; exit 1; }

bench_tmp builds
start_bench_upstream "$UPSTREAM"

# Build A on ports BASE+1.., build B on BASE+4..; each logs to a file, as in the benchmark.
declare -A PGID HTTP_PORT HTTPS_PORT
i=0
for build in A B; do
  dir=$BUILD_A node_flags=${NODE_FLAGS_A:-} proxy_flags=${PROXY_FLAGS_A:-}
  [[ $build == B ]] && dir=$BUILD_B node_flags=${NODE_FLAGS_B:-} proxy_flags=${PROXY_FLAGS_B:-}
  HTTP_PORT[$build]=$((BASE + 1 + i)) HTTPS_PORT[$build]=$((BASE + 2 + i))
  # shellcheck disable=SC2086 # the flags are lists of words
  start taskset -c 0 node $node_flags "$dir/provider/bin/istio-gateway.js" proxy --config "$TMP/config" \
    --bind 127.0.0.1 --port "80=${HTTP_PORT[$build]}" --port "443=${HTTPS_PORT[$build]}" \
    --resolve "upstream.bench.svc.cluster.local=127.0.0.1:$UPSTREAM" --status-port "$((BASE + 3 + i))" \
    --drain-timeout 1 $proxy_flags >"$TMP/access-$build.log" 2>"$TMP/proxy-$build.err"
  PGID[$build]=${PGIDS[-1]}
  i=3
done
for build in A B; do
  ready=0
  for _ in $(seq 1 300); do
    if curl -sf -o /dev/null -H "Host: $HOST" "http://127.0.0.1:${HTTP_PORT[$build]}/api/ready"; then
      ready=1
      break
    fi
    sleep 0.1
  done
  ((ready)) || { echo "proxy-builds.sh: build $build did not answer: $(tail -5 "$TMP/proxy-$build.err")" >&2; exit 1; }
done

CLK_TCK=$(getconf CLK_TCK)
url() {
  local port=${HTTP_PORT[$1]}
  [[ $SCHEME == https ]] && port=${HTTPS_PORT[$1]}
  echo "$SCHEME://127.0.0.1:$port/api/bench"
}
other() { [[ $1 == A ]] && echo B || echo A; }

echo "A: $BUILD_A ${NODE_FLAGS_A:-} ${PROXY_FLAGS_A:-}"
echo "B: $BUILD_B ${NODE_FLAGS_B:-} ${PROXY_FLAGS_B:-}"
echo "$SCHEME keep-alive, $CONNECTIONS connections, $ROUNDS rounds of ${DURATION}s each"
# A warm-up run each, for the JIT.
for build in A B; do
  kill -STOP -- "-${PGID[$(other $build)]}"
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d2s -H "Host: $HOST" "$(url $build)" >/dev/null
  kill -CONT -- "-${PGID[$(other $build)]}"
done
: >"$TMP/runs"
for round in $(seq 1 "$ROUNDS"); do
  for build in A B; do
    kill -STOP -- "-${PGID[$(other $build)]}"
    t0=$(ticks "${PGID[$build]}")
    taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Host: $HOST" "$(url $build)" >"$TMP/wrk.txt"
    t1=$(ticks "${PGID[$build]}")
    kill -CONT -- "-${PGID[$(other $build)]}"
    requests=$(awk '/requests in/ {print $1}' "$TMP/wrk.txt")
    p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else if (v ~ /s$/) v = v * 1000; print v}' "$TMP/wrk.txt")
    us=$(((t1 - t0) * 1000000 / CLK_TCK / requests))
    rps=$(awk -v n="$requests" -v d="$DURATION" 'BEGIN {printf "%d", n / d}')
    echo "round $round, $build: $rps req/s, $us us CPU per request, p99 $p99 ms"
    echo "$build $rps $us $p99" >>"$TMP/runs"
  done
done
awk '
  function median(list, n,    sorted, i, j, t) {
    for (i = 1; i <= n; i++) sorted[i] = list[i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && sorted[j - 1] > sorted[j]; j--) { t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t }
    return (n % 2) ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
  }
  { n[$1]++; rps[$1, n[$1]] = $2; us[$1, n[$1]] = $3; p99[$1, n[$1]] = $4 }
  END {
    for (b = 0; b < 2; b++) {
      build = b ? "B" : "A"
      for (i = 1; i <= n[build]; i++) { r[i] = rps[build, i]; u[i] = us[build, i]; p[i] = p99[build, i] }
      mr[build] = median(r, n[build]); mu[build] = median(u, n[build]); mp[build] = median(p, n[build])
      printf "median %s: %d req/s, %d us CPU per request, p99 %.1f ms\n", build, mr[build], mu[build], mp[build]
    }
    printf "A / B: %.2fx the requests a second, %.2fx the CPU per request, %.2fx the p99\n", mr["A"] / mr["B"], mu["A"] / mu["B"], mp["A"] / mp["B"]
  }' "$TMP/runs"
