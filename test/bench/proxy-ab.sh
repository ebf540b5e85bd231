#!/usr/bin/env bash
# Side-by-side CPU cost of the istio-gateway proxy against the bare node:http + undici proxy, under
# the same load at the same moment: both run on CPU 0 and two wrk clients on CPU 1 load them
# together, round after round. Whatever slows the machine slows both, so the ratio of their CPU
# time per request holds steady where separate runs swing by tens of percent. It answers "what does
# this feature cost", not "how fast is it" (that is proxy.sh).
#
# Usage: test/bench/proxy-ab.sh [extra proxy flags...]     e.g. --no-access-log
# Settings (environment): AB_ROUNDS=8 AB_DURATION=3 (seconds per round), AB_CONNECTIONS=32 (per
#   gateway), AB_PORT_BASE=23300, AB_LOG=file|null (where the proxy's access log goes; default file),
#   AB_SCHEME=http|https (keep-alive over plain HTTP/1.1 or over TLS 1.3; default http).
# Prints each round's CPU microseconds per request of both, then the medians (first round left out:
# it includes the JIT's warm-up) and their ratio. Needs nginx, wrk and taskset (see proxy.sh).
set -euo pipefail
ROUNDS=${AB_ROUNDS:-8}
DURATION=${AB_DURATION:-3}
CONNECTIONS=${AB_CONNECTIONS:-32}
SCHEME=${AB_SCHEME:-http}
[[ $SCHEME == http || $SCHEME == https ]] || { echo "proxy-ab.sh: AB_SCHEME is http or https (got $SCHEME)" >&2; exit 1; }
BASE=${AB_PORT_BASE:-23300}
UPSTREAM=$BASE PROXY_HTTP=$((BASE + 1)) PROXY_HTTPS=$((BASE + 2)) STATUS=$((BASE + 3))
BARE_HTTP=$((BASE + 4)) BARE_HTTPS=$((BASE + 5))
HOST=bench.example.com
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=proxy/two-gateways.sh
source "$ROOT/test/bench/proxy/two-gateways.sh"
export PATH=$PATH:/usr/sbin:/sbin
for tool in nginx wrk taskset openssl; do
  command -v "$tool" >/dev/null || { echo "proxy-ab.sh: $tool is missing (test/bench/proxy.sh installs it)" >&2; exit 1; }
done
((${#} == 0)) || echo "proxy flags: $*"

bench_tmp ab
start_bench_upstream "$UPSTREAM"
log=$TMP/access.log
[[ ${AB_LOG:-file} == null ]] && log=/dev/null
start taskset -c 0 node "$ROOT/provider/bin/istio-gateway.js" proxy --config "$TMP/config" --bind 127.0.0.1 \
  --port "80=$PROXY_HTTP" --port "443=$PROXY_HTTPS" --resolve "upstream.bench.svc.cluster.local=127.0.0.1:$UPSTREAM" \
  --status-port "$STATUS" --drain-timeout 1 "$@" >"$log" 2>"$TMP/proxy.err"
PROXY_PGID=${PGIDS[-1]}
start taskset -c 0 node "$HERE/bare-undici-proxy.mjs" "$BARE_HTTP" "$BARE_HTTPS" "$UPSTREAM" "$TMP/cert.pem" "$TMP/key.pem"
BARE_PGID=${PGIDS[-1]}
ready=0
for _ in $(seq 1 300); do
  if curl -sf -o /dev/null -H "Host: $HOST" "http://127.0.0.1:$PROXY_HTTP/api/ready" &&
    curl -sf -o /dev/null -H "Host: $HOST" "http://127.0.0.1:$BARE_HTTP/api/ready"; then
    ready=1
    break
  fi
  sleep 0.1
done
((ready)) || { echo "proxy-ab.sh: the gateways did not answer: $(tail -5 "$TMP/proxy.err")" >&2; exit 1; }

CLK_TCK=$(getconf CLK_TCK)
PROXY_PORT=$PROXY_HTTP BARE_PORT=$BARE_HTTP
[[ $SCHEME == https ]] && PROXY_PORT=$PROXY_HTTPS BARE_PORT=$BARE_HTTPS
echo "$SCHEME keep-alive, $CONNECTIONS connections per gateway"
PROXY_US=()
BARE_US=()
for round in $(seq 1 "$ROUNDS"); do
  p0=$(ticks "$PROXY_PGID") b0=$(ticks "$BARE_PGID")
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -H "Host: $HOST" "$SCHEME://127.0.0.1:$PROXY_PORT/api/bench" >"$TMP/wrk-proxy.txt" &
  wp=$!
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -H "Host: $HOST" "$SCHEME://127.0.0.1:$BARE_PORT/api/bench" >"$TMP/wrk-bare.txt" &
  wb=$!
  wait "$wp" "$wb"
  p1=$(ticks "$PROXY_PGID") b1=$(ticks "$BARE_PGID")
  pr=$(awk '/requests in/ {print $1}' "$TMP/wrk-proxy.txt")
  br=$(awk '/requests in/ {print $1}' "$TMP/wrk-bare.txt")
  PROXY_US+=($(((p1 - p0) * 1000000 / CLK_TCK / pr)))
  BARE_US+=($(((b1 - b0) * 1000000 / CLK_TCK / br)))
  echo "round $round: istio-gateway ${PROXY_US[-1]} us CPU per request ($pr requests), bare undici ${BARE_US[-1]} us ($br requests)"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
if ((ROUNDS > 1)); then
  mp=$(median "${PROXY_US[@]:1}")
  mb=$(median "${BARE_US[@]:1}")
  echo "median of rounds 2-$ROUNDS: istio-gateway $mp us, bare undici $mb us per request: $(awk -v p="$mp" -v b="$mb" 'BEGIN {printf "%.2f", p / b}')x"
fi
