#!/usr/bin/env bash
# Side-by-side benchmark of the istio-gateway proxy on this machine against the anchors of issue 4,
# item 6: nginx, HAProxy, Caddy, and the Node proxies (a bare node:http + undici `stream` proxy, a
# bare node:http + keep-alive http.Agent proxy, fastify + @fastify/http-proxy, and the `http-proxy`
# package on node:http). Every gateway gets the same rule (host bench.example.com, path prefix
# /api/ to a static nginx upstream, 404 otherwise), keep-alive to the upstream, and TLS 1.3 with an
# ECDSA P-256 certificate made here. nginx, HAProxy, Caddy and the proxy write an access log line
# per request to a file; the Node anchors log nothing, as the issue measured them. The gateways
# under test run on CPU 0; wrk, the upstream and the idle-connection client on CPU 1.
#
# All gateways run at once, each on its own ports, and the load figures are taken in rounds; a
# round takes one figure (HTTP, HTTPS, handshakes, then paced HTTP) from every gateway in turn, nginx
# first, before the next figure. Each figure is the median of its rounds. While one gateway is
# measured the others are stopped (SIGSTOP), so that no idle gateway's background work shares its
# core. On a shared machine whose speed drifts, that compares the gateways under the same
# conditions instead of at different moments; and since the speed also drifts between rounds, a
# target's ratio to nginx is judged round by round too: the proxy's figure over nginx's of the same
# round, taken seconds before it, and the median of those ratios (report.mjs prints both readings).
#
# The Node anchors' npm packages (fastify, @fastify/http-proxy, http-proxy, at the versions pinned
# below) are not project dependencies: the first run installs them with npm into
# ${XDG_CACHE_HOME:-$HOME/.cache}/istio-gateway/bench-node, outside the repository, and later runs
# reuse that directory while it holds those versions.
#
# Usage: test/bench/proxy.sh      (as root when nginx, haproxy, caddy or wrk must be installed)
# Settings (environment): BENCH_ROUNDS=5, BENCH_DURATION=4 BENCH_WARMUP=2 (seconds per measurement
#   and warm-up; the warm-up is two wrk runs sharing its seconds, see wrk_run), BENCH_CONNECTIONS=64,
#   BENCH_HANDSHAKE_CONNECTIONS=16, BENCH_IDLE_CONNECTIONS=1000,
#   BENCH_WORKERS=2 (the extra unpinned `--workers N` row; 0 skips it), BENCH_BARE=1 (the
#   reference row of a bare node:http + undici proxy, as in the issue; 0 skips it), BENCH_CADDY=1
#   (Caddy from Debian; 0 skips it), BENCH_PACED_GAP_MS=16 (the paced HTTP figure's mean pause, in
#   milliseconds, between an answer and the connection's next request, see paced.lua; 0 skips
#   the figure), BENCH_NODE_ANCHORS=1 (the node:http + http.Agent, fastify and
#   http-proxy rows, with their npm install; 0 skips them), BENCH_PORT_BASE=23100 (ports from here:
#   the upstream, then ten per gateway number, 100 in all, kept below the ephemeral range),
#   BENCH_KEEP=1 keeps the temporary directory (logs, wrk outputs) for reading.
set -euo pipefail

ROUNDS=${BENCH_ROUNDS:-5}
DURATION=${BENCH_DURATION:-4}
WARMUP=${BENCH_WARMUP:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
HANDSHAKE_CONNECTIONS=${BENCH_HANDSHAKE_CONNECTIONS:-16}
IDLE_CONNECTIONS=${BENCH_IDLE_CONNECTIONS:-1000}
WORKERS=${BENCH_WORKERS:-2}
CADDY=${BENCH_CADDY:-1}
NODE_ANCHORS=${BENCH_NODE_ANCHORS:-1}
# Read by paced.lua, in wrk.
export PACED_GAP_MS=${BENCH_PACED_GAP_MS:-16}
PORT_BASE=${BENCH_PORT_BASE:-23100}
UPSTREAM_PORT=$PORT_BASE
# Every gateway has a fixed number, its place here, whether or not it runs (istio-gateway-w stands
# for istio-gateway-wN, the unpinned --workers N row). Gateway number i (from 0) listens on HTTP
# PORT_BASE+10(i+1)+1, HTTPS +2, status +3.
GATEWAYS=(nginx istio-gateway haproxy bare-undici istio-gateway-w caddy node-http-agent fastify http-proxy)
number_of() {
  local name=$1 i
  [[ $name == istio-gateway-w* ]] && name=istio-gateway-w
  for i in "${!GATEWAYS[@]}"; do
    if [[ ${GATEWAYS[$i]} == "$name" ]]; then
      echo "$i"
      return 0
    fi
  done
  return 1
}
http_port() { echo $((PORT_BASE + 10 * ($1 + 1) + 1)); }
https_port() { echo $((PORT_BASE + 10 * ($1 + 1) + 2)); }
status_port() { echo $((PORT_BASE + 10 * ($1 + 1) + 3)); }
HOST=bench.example.com

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/test/bench/proxy

say() { printf '%s\n' "$*" >&2; }
die() {
  say "proxy.sh: $*"
  exit 1
}

# --- tools -------------------------------------------------------------------------------------
install_missing() {
  local missing=()
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
  [[ $CADDY != 1 ]] || command -v caddy >/dev/null || missing+=(caddy)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  command -v taskset >/dev/null || missing+=(util-linux)
  command -v ss >/dev/null || missing+=(iproute2)
  command -v pgrep >/dev/null || missing+=(procps)
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] || die "missing ${missing[*]}: run as root to install them, or install them"
  say "installing from Debian: ${missing[*]}"
  # Keep the packages' own services from starting (nginx would take port 80, caddy too).
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  ((made_policy)) && rm -f "$policy"
  return 0
}
install_missing
export PATH=$PATH:/usr/sbin:/sbin

CPUS=$(nproc)
if ((CPUS >= 2)); then
  GATEWAY_CPU=0
  LOAD_CPU=1
else
  GATEWAY_CPU=0
  LOAD_CPU=0
  say "proxy.sh: one CPU only: everything shares CPU 0"
fi
ON_GATEWAY_CPU=(taskset -c "$GATEWAY_CPU")
ON_LOAD_CPU=(taskset -c "$LOAD_CPU")

for port in "$UPSTREAM_PORT" $(for i in "${!GATEWAYS[@]}"; do echo "$(http_port "$i") $(https_port "$i") $(status_port "$i")"; done); do
  if ss -Htln "sport = :$port" | grep -q .; then die "port $port is taken: set BENCH_PORT_BASE"; fi
done

# --- the proxy's command line ------------------------------------------------------------------
PROXY_CMD=(node "$ROOT/provider/bin/istio-gateway.js" proxy)
"${PROXY_CMD[@]}" --help >/dev/null 2>&1 || die "${PROXY_CMD[*]} --help failed: run npm ci first"
HAS_WORKERS=0
if "${PROXY_CMD[@]}" --help 2>/dev/null | grep -q -- '--workers'; then HAS_WORKERS=1; fi

# --- the Node anchors' packages, outside the repository ------------------------------------------
NODE_ANCHOR_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/istio-gateway/bench-node
NODE_ANCHOR_PACKAGES=(fastify@5.12.8 @fastify/http-proxy@11.6.3 http-proxy@1.18.1)
# True when the cache directory holds every pinned package at its pinned version.
node_anchors_present() {
  local spec
  for spec in "${NODE_ANCHOR_PACKAGES[@]}"; do
    [[ $(node -p 'require(process.argv[1]).version' "$NODE_ANCHOR_DIR/node_modules/${spec%@*}/package.json" 2>/dev/null) == "${spec##*@}" ]] ||
      return 1
  done
}
if [[ $NODE_ANCHORS == 1 ]] && ! node_anchors_present; then
  say "installing ${NODE_ANCHOR_PACKAGES[*]} into $NODE_ANCHOR_DIR"
  mkdir -p "$NODE_ANCHOR_DIR"
  # From the cache directory, so that npm never takes the repository's workspace for the project.
  (cd "$NODE_ANCHOR_DIR" && npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$NODE_ANCHOR_DIR" \
    "${NODE_ANCHOR_PACKAGES[@]}" >&2) || true
  if ! node_anchors_present; then
    say "proxy.sh: WARNING: the Node anchors' packages could not be installed: fastify and http-proxy not measured"
    NODE_ANCHORS=0
  fi
fi

# --- temporary directory and cleanup -----------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/istio-gateway-bench.XXXXXX")
GROUPS_STARTED=()
stop_group() {
  local pgid=$1 i
  # A gateway stopped for another's measurement (freeze_others) acts on TERM only once continued.
  kill -CONT -- "-$pgid" 2>/dev/null || true
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for i in $(seq 1 40); do
    kill -0 -- "-$pgid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}
cleanup() {
  local pgid
  for pgid in "${GROUPS_STARTED[@]}"; do stop_group "$pgid"; done
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts "$@" in a process group of its own (so every worker goes with it); sets STARTED_PGID.
start_group() {
  local log=$1
  shift
  setsid "$@" >"$log.out" 2>"$log.err" </dev/null &
  STARTED_PGID=$!
  GROUPS_STARTED+=("$STARTED_PGID")
}

# Waits (at most 30 s) until the URL answers with the status; curl arguments follow.
wait_status() {
  local want=$1 i
  shift
  for i in $(seq 1 300); do
    [[ $(curl -s -o /dev/null -m 1 -w '%{http_code}' "$@" 2>/dev/null) == "$want" ]] && return 0
    sleep 0.1
  done
  return 1
}

# Sum of VmRSS (KiB) over every process of the group, as MiB.
rss_mib() {
  local pgid=$1 pid total=0 kb
  for pid in $(pgrep -g "$pgid"); do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  awk -v kb="$total" 'BEGIN { printf "%.1f", kb / 1024 }'
}

# CPU time (user + system, in clock ticks) used so far by every process of the group. Under a
# noisy neighbour, CPU time per request moves far less than requests per second.
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() {
  local pgid=$1 pid total=0 ticks
  for pid in $(pgrep -g "$pgid"); do
    ticks=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0)
    total=$((total + ${ticks:-0}))
  done
  echo "$total"
}

RESULTS=$TMP/results.tsv
: >"$RESULTS"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; }

# --- certificate, configurations, upstream -----------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=$HOST" -addext "subjectAltName=DNS:$HOST" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
cat "$TMP/cert.pem" "$TMP/key.pem" >"$TMP/haproxy.pem"

# render TEMPLATE OUT [HTTP_PORT HTTPS_PORT]
render() {
  sed -e "s#@TMP@#$TMP#g" -e "s#@CERT@#$TMP/cert.pem#g" -e "s#@KEY@#$TMP/key.pem#g" \
    -e "s#@PEM@#$TMP/haproxy.pem#g" -e "s#@UPSTREAM_PORT@#$UPSTREAM_PORT#g" \
    -e "s#@HTTP_PORT@#${3:-0}#g" -e "s#@HTTPS_PORT@#${4:-0}#g" "$1" >"$2"
}
mkdir -p "$TMP/config"
render "$HERE/gateway.yaml" "$TMP/config/gateway.yaml"
render "$HERE/upstream-nginx.conf" "$TMP/upstream-nginx.conf"

start_group "$TMP/upstream" "${ON_LOAD_CPU[@]}" nginx -e "$TMP/upstream-error.log" -p "$TMP" -c "$TMP/upstream-nginx.conf"
wait_status 200 "http://127.0.0.1:$UPSTREAM_PORT/" ||
  die "the static upstream did not start: $(cat "$TMP/upstream.err" "$TMP/upstream-error.log" 2>/dev/null)"

# --- the gateways, side by side ----------------------------------------------------------------
NAMES=()
PGIDS=()
# add_gateway NAME COMMAND...: starts it on its ports (the next gateway number) and notes its group.
add_gateway() {
  local name=$1
  shift
  start_group "$TMP/$name" "$@"
  NAMES+=("$name")
  PGIDS+=("$STARTED_PGID")
}
proxy_args() {
  echo --config "$TMP/config" --bind 127.0.0.1 --port "80=$(http_port "$1")" --port "443=$(https_port "$1")" \
    --resolve "upstream.bench.svc.cluster.local=127.0.0.1:$UPSTREAM_PORT" --status-port "$(status_port "$1")" \
    --drain-timeout 1
}

# ports NAME: the gateway's HTTP and HTTPS ports, as two words.
ports() {
  local n
  n=$(number_of "$1")
  echo "$(http_port "$n") $(https_port "$n")"
}
# node_anchor NAME SCRIPT: a Node proxy of this directory on its ports, with the certificate and the
# cache directory of the npm packages as its last arguments.
node_anchor() {
  # shellcheck disable=SC2046 # ports prints two words without spaces
  add_gateway "$1" "${ON_GATEWAY_CPU[@]}" node "$HERE/$2" $(ports "$1") "$UPSTREAM_PORT" "$TMP/cert.pem" "$TMP/key.pem" \
    "$NODE_ANCHOR_DIR"
}

# shellcheck disable=SC2046 # ports and proxy_args print words without spaces
{
  render "$HERE/nginx.conf" "$TMP/nginx.conf" $(ports nginx)
  add_gateway nginx "${ON_GATEWAY_CPU[@]}" nginx -e "$TMP/nginx-error.log" -p "$TMP" -c "$TMP/nginx.conf"
  add_gateway istio-gateway "${ON_GATEWAY_CPU[@]}" "${PROXY_CMD[@]}" $(proxy_args "$(number_of istio-gateway)") --workers 1
  render "$HERE/haproxy.cfg" "$TMP/haproxy.cfg" $(ports haproxy)
  add_gateway haproxy "${ON_GATEWAY_CPU[@]}" haproxy -db -f "$TMP/haproxy.cfg"
  if [[ $CADDY == 1 ]]; then
    render "$HERE/Caddyfile" "$TMP/Caddyfile" $(ports caddy)
    # One Go thread running code at a time, as nginx has one worker; Caddy's data and autosaved
    # configuration stay in the temporary directory.
    add_gateway caddy "${ON_GATEWAY_CPU[@]}" env GOMAXPROCS=1 XDG_DATA_HOME="$TMP/caddy-data" \
      XDG_CONFIG_HOME="$TMP/caddy-config" caddy run --config "$TMP/Caddyfile" --adapter caddyfile
  fi
  if [[ ${BENCH_BARE:-1} == 1 ]]; then
    add_gateway bare-undici "${ON_GATEWAY_CPU[@]}" node "$HERE/bare-undici-proxy.mjs" $(ports bare-undici) \
      "$UPSTREAM_PORT" "$TMP/cert.pem" "$TMP/key.pem"
  fi
  if [[ $NODE_ANCHORS == 1 ]]; then
    node_anchor node-http-agent node-http-agent-proxy.mjs
    node_anchor fastify fastify-proxy.mjs
    node_anchor http-proxy http-proxy-proxy.mjs
  fi
  if ((HAS_WORKERS && WORKERS > 0)); then
    add_gateway "istio-gateway-w$WORKERS" "${PROXY_CMD[@]}" $(proxy_args "$(number_of istio-gateway-w)") --workers "$WORKERS"
  fi
}

# The warm-up is two wrk runs that share WARMUP seconds (one run when WARMUP is under 2). wrk ends
# a run by closing its connections with requests in flight, as the measured run will end too. The
# first time a JIT-compiled gateway meets that, its runtime throws away code it had optimized and
# compiles it again (for the proxy: README, "The first requests cut short"), and the run right
# after is slower: in 12 fresh starts of the proxy each way, the first measured run after one
# 2-second warm-up had a median p99 of 5.5 ms, against 4.4 ms after two of a second. Two runs leave
# that to the warm-up; a gateway without a JIT is warmed the same.
WARMUP_RUNS=()
if ((WARMUP >= 2)); then WARMUP_RUNS=($((WARMUP / 2)) $((WARMUP - WARMUP / 2))); else WARMUP_RUNS=("$WARMUP"); fi

# wrk_run NAME PGID KIND URL CONNECTIONS [wrk args...]: warm-up, then the measured run; prints the
# parsed "RPS P50 P99 BAD CPU_US_PER_REQUEST".
wrk_run() {
  local name=$1 pgid=$2 kind=$3 url=$4 conns=$5 before after seconds
  shift 5
  for seconds in "${WARMUP_RUNS[@]}"; do
    "${ON_LOAD_CPU[@]}" wrk -t1 -c"$conns" -d"${seconds}s" -H "Host: $HOST" "$@" "$url" >/dev/null 2>&1 || true
  done
  before=$(cpu_ticks "$pgid")
  "${ON_LOAD_CPU[@]}" wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 5s --latency -H "Host: $HOST" "$@" "$url" \
    >"$TMP/wrk-$name-$kind.txt" 2>&1 || true
  after=$(cpu_ticks "$pgid")
  node "$HERE/report.mjs" wrk "$TMP/wrk-$name-$kind.txt" "$(((after - before) * 1000000 / CLK_TCK))"
}

# check NAME: the gateway routes as configured and speaks TLS 1.3; returns 1 when it does not answer.
check() {
  local name=$1 n http
  n=$(number_of "$name")
  http="http://127.0.0.1:$(http_port "$n")"
  if ! wait_status 200 -H "Host: $HOST" "$http/api/ready"; then
    say "$name: did not answer 200 on $http/api/ready with Host: $HOST"
    tail -n 20 "$TMP/$name.err" >&2 2>/dev/null || true
    return 1
  fi
  # The rule must route, not just answer: another host and another path get 404.
  local other_host other_path proto
  other_host=$(curl -s -o /dev/null -m 2 -w '%{http_code}' -H "Host: other.example.com" "$http/api/bench")
  other_path=$(curl -s -o /dev/null -m 2 -w '%{http_code}' -H "Host: $HOST" "$http/other")
  proto=$(openssl s_client -connect "127.0.0.1:$(https_port "$n")" -servername "$HOST" -brief </dev/null 2>&1 |
    awk -F': ' '/Protocol version/ {print $2}')
  say "$name: routed 200; other host $other_host, other path $other_path; HTTPS $proto"
  [[ $other_host == 404 && $other_path == 404 ]] || say "$name: WARNING: the routing rule does not hold"
  [[ $proto == TLSv1.3 ]] || say "$name: WARNING: HTTPS is not TLS 1.3"
}

# memory NAME PGID: RSS idle, then with IDLE_CONNECTIONS idle keep-alive connections open.
memory() {
  local name=$1 pgid=$2 n open client i
  n=$(number_of "$name")
  record "$name" rss_idle "$(rss_mib "$pgid")"
  mkfifo "$TMP/hold-$name"
  "${ON_LOAD_CPU[@]}" node "$HERE/idle-connections.mjs" "$(http_port "$n")" "$IDLE_CONNECTIONS" 60 "$HOST" /api/idle \
    <"$TMP/hold-$name" >"$TMP/idle-$name.txt" 2>&1 &
  client=$!
  exec 9>"$TMP/hold-$name"
  for i in $(seq 1 300); do
    grep -q '^open' "$TMP/idle-$name.txt" 2>/dev/null && break
    kill -0 "$client" 2>/dev/null || break
    sleep 0.1
  done
  sleep 1
  open=$(ss -Htn state established "( sport = :$(http_port "$n") )" | wc -l)
  record "$name" rss_1k "$(rss_mib "$pgid")"
  exec 9>&-
  wait "$client" 2>/dev/null || true
  say "$name: RSS idle $(awk -F'\t' -v n="$name" '$1==n && $2=="rss_idle" {print $3}' "$RESULTS") MiB," \
    "with $open idle connections open $(awk -F'\t' -v n="$name" '$1==n && $2=="rss_1k" {print $3}' "$RESULTS") MiB"
  ((open >= IDLE_CONNECTIONS * 95 / 100)) || say "$name: WARNING: only $open of $IDLE_CONNECTIONS idle connections were open"
}

# freeze_others PGID / thaw: the other gateways stop (SIGSTOP) while one is measured, and go on
# after. They share its core: an idle gateway's own background work (a Go runtime's collector, a
# Node process's collection after its load ended) would otherwise land in another's figures.
freeze_others() {
  local pgid
  for pgid in "${MEASURED_PGIDS[@]}"; do [[ $pgid == "$1" ]] || kill -STOP -- "-$pgid" 2>/dev/null || true; done
}
thaw() {
  local pgid
  for pgid in "${MEASURED_PGIDS[@]}"; do kill -CONT -- "-$pgid" 2>/dev/null || true; done
}

# measure NAME PGID ROUND KIND: one load figure (http, https, handshake or paced) of one gateway in
# one round, the others frozen.
measure() {
  local name=$1 pgid=$2 round=$3 kind=$4 n rps p50 p99 bad cpu
  freeze_others "$pgid"
  n=$(number_of "$name")
  case $kind in
    http)
      read -r rps p50 p99 bad cpu <<<"$(wrk_run "$name" "$pgid" http "http://127.0.0.1:$(http_port "$n")/api/bench" "$CONNECTIONS")"
      say "round $round, $name: HTTP keep-alive $rps req/s, p50 $p50 ms, p99 $p99 ms, $cpu us CPU per request, $bad bad answers or socket errors"
      ;;
    https)
      read -r rps p50 p99 bad cpu <<<"$(wrk_run "$name" "$pgid" https "https://127.0.0.1:$(https_port "$n")/api/bench" "$CONNECTIONS")"
      say "round $round, $name: HTTPS keep-alive $rps req/s, p50 $p50 ms, p99 $p99 ms, $cpu us CPU per request, $bad bad answers or socket errors"
      ;;
    handshake)
      read -r rps p50 p99 bad cpu <<<"$(wrk_run "$name" "$pgid" handshake "https://127.0.0.1:$(https_port "$n")/api/bench" \
        "$HANDSHAKE_CONNECTIONS" -H "Connection: close")"
      say "round $round, $name: new TLS handshakes $rps/s, $cpu us CPU per handshake, $bad bad answers or socket errors"
      ;;
    paced)
      read -r rps p50 p99 bad cpu <<<"$(wrk_run "$name" "$pgid" paced \
        "http://127.0.0.1:$(http_port "$n")/api/bench" "$CONNECTIONS" -s "$HERE/paced.lua")"
      say "round $round, $name: paced HTTP $rps req/s, p50 $p50 ms, p99 $p99 ms, $cpu us CPU per request, $bad bad answers or socket errors"
      ;;
  esac
  record "$name" "${kind}_rps" "$rps"
  record "$name" "${kind}_cpu" "$cpu"
  if [[ $kind != handshake ]]; then
    record "$name" "${kind}_p50" "$p50"
    record "$name" "${kind}_p99" "$p99"
  fi
  thaw
}

say "proxy under test: ${PROXY_CMD[*]} (access log: JSON lines on stdout, written to a file)"
say "gateways on CPU $GATEWAY_CPU; wrk, upstream and idle client on CPU $LOAD_CPU;" \
  "$ROUNDS rounds of ${DURATION}s per figure after ${WARMUP}s warm-up (${#WARMUP_RUNS[@]} wrk runs)"
MEASURED=()
MEASURED_PGIDS=()
for i in "${!NAMES[@]}"; do
  if check "${NAMES[$i]}"; then
    MEASURED+=("${NAMES[$i]}")
    MEASURED_PGIDS+=("${PGIDS[$i]}")
  else
    say "${NAMES[$i]}: not measured"
  fi
done
sleep 1
for i in "${!MEASURED[@]}"; do memory "${MEASURED[$i]}" "${MEASURED_PGIDS[$i]}"; done
# A round takes one figure from every gateway, nginx first, then the next figure: the runs a ratio
# to nginx compares are taken one after the other, seconds apart.
KINDS=(http https handshake)
if ((PACED_GAP_MS > 0)); then KINDS+=(paced); fi
for round in $(seq 1 "$ROUNDS"); do
  for kind in "${KINDS[@]}"; do
    for i in "${!MEASURED[@]}"; do measure "${MEASURED[$i]}" "${MEASURED_PGIDS[$i]}" "$round" "$kind"; done
  done
done
for name in "${MEASURED[@]}"; do
  if [[ $name == istio-gateway* ]]; then
    total=$(curl -s -m 5 "http://127.0.0.1:$(status_port "$(number_of "$name")")/metrics" |
      awk '/^istio_requests_total/ {s += $NF} END {printf "%d", s}' || true)
    lines=$(wc -l <"$TMP/$name.out" || true)
    say "$name: istio_requests_total sums to $total; access log file has $lines lines"
  elif [[ $name == caddy ]]; then
    say "caddy: access log file has $(wc -l <"$TMP/caddy-access.log" || true) lines"
  fi
done

printf '\n'
printf 'istio-gateway proxy vs nginx %s, HAProxy %s%s%s; %s CPUs, node %s\n' \
  "$(nginx -v 2>&1 | sed 's#.*/##')" "$(haproxy -v | awk 'NR==1 {print $3}')" \
  "$([[ $CADDY == 1 ]] && echo ", Caddy $(caddy version | awk '{print $1}')")" \
  "$([[ $NODE_ANCHORS == 1 || ${BENCH_BARE:-1} == 1 ]] && echo ", Node proxies")" "$CPUS" "$(node -v)"
if [[ $NODE_ANCHORS == 1 ]]; then
  printf 'node-http-agent: node:http + http.Agent keep-alive; fastify: %s; http-proxy: %s\n' \
    "${NODE_ANCHOR_PACKAGES[0]} + ${NODE_ANCHOR_PACKAGES[1]}" "${NODE_ANCHOR_PACKAGES[2]}"
fi
printf 'gateways pinned to CPU %s%s; wrk -t1, upstream, idle client on CPU %s; access logs to a file%s\n' \
  "$GATEWAY_CPU" "$( ((HAS_WORKERS && WORKERS > 0)) && echo " (istio-gateway-w$WORKERS: not pinned)")" "$LOAD_CPU" \
  "$([[ $NODE_ANCHORS == 1 || ${BENCH_BARE:-1} == 1 ]] && echo " (none from the Node anchors)")"
printf 'median of %s rounds of %ss per figure after %ss warm-up (%s wrk runs); %s keep-alive connections; handshakes: wrk -c%s with Connection: close\n' \
  "$ROUNDS" "$DURATION" "$WARMUP" "${#WARMUP_RUNS[@]}" "$CONNECTIONS" "$HANDSHAKE_CONNECTIONS"
if ((PACED_GAP_MS > 0)); then
  printf 'paced HTTP: the same connections, each pausing %s ms on average between an answer and its next request\n' "$PACED_GAP_MS"
fi
printf '\n'
node "$HERE/report.mjs" table "$RESULTS" "$IDLE_CONNECTIONS" "$PACED_GAP_MS"
