#!/usr/bin/env bash
# Side-by-side benchmark of the gateway proxy against nginx and HAProxy on this machine, in one run
# with the same pinning: the proxy under test on one core, wrk and the static upstream on another.
#
# Measures, for each proxy configured equivalently (routing by host and path, keep-alive upstream,
# access log on):
#   - HTTP/1.1 keep-alive requests/s and p50/p99 latency at 64 connections;
#   - HTTPS keep-alive requests/s and p50/p99;
#   - new TLS handshakes per second (one request per connection);
#   - RSS when idle and with 1,000 open keep-alive connections.
# and prints each figure with its ratio to nginx.
#
# Usage: test/bench/proxy-compare.sh [seconds-per-run]   (default 10; needs root for apt-get when tools are missing)
set -euo pipefail

DURATION="${1:-10}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PROXY_CPU="${PROXY_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"
CONNS=64

need=()
command -v nginx >/dev/null || need+=(nginx)
command -v haproxy >/dev/null || need+=(haproxy)
command -v wrk >/dev/null || need+=(wrk)
command -v openssl >/dev/null || need+=(openssl)
command -v taskset >/dev/null || need+=(util-linux)
if ((${#need[@]} > 0)); then
  echo "installing ${need[*]} from Debian" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

WORK="$(mktemp -d /tmp/igw-bench.XXXXXX)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

UP_PORT=19080
HTTP_PORT=18080
HTTPS_PORT=18443

# Certificates for the HTTPS runs.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=bench.test -addext subjectAltName=DNS:bench.test \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
cat "$WORK/cert.pem" "$WORK/key.pem" >"$WORK/haproxy.pem"

# The static upstream: nginx answering a small body, pinned with the load generator.
mkdir -p "$WORK/up"
cat >"$WORK/up/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/up/nginx.pid;
error_log $WORK/up/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$UP_PORT reuseport;
    location / { return 200 "hello from upstream\n"; }
  }
}
EOF
taskset -c "$LOAD_CPU" nginx -c "$WORK/up/nginx.conf" -g "daemon off;" >/dev/null 2>&1 &
PIDS+=($!)

# --- the proxies, configured alike -------------------------------------------------------------
mkdir -p "$WORK/igw"
cat >"$WORK/igw/gateway.yaml" <<EOF
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bench-gateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["bench.test", "other.test"]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, serverCertificate: $WORK/cert.pem, privateKey: $WORK/key.pem}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bench, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [bench-gateway]
  http:
  - match: [{uri: {exact: /login}}, {uri: {prefix: /static/}}]
    route: [{destination: {host: static-site, port: {number: 80}}}]
  - match: [{uri: {prefix: /api/}, headers: {x-canary: {exact: "1"}}}]
    route: [{destination: {host: upstream, port: {number: 80}}}]
  - match: [{uri: {prefix: /api/}}]
    route: [{destination: {host: upstream, port: {number: 80}}}]
EOF
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 8192; }
http {
  access_log /dev/null;
  keepalive_requests 1000000;
  upstream up { server 127.0.0.1:$UP_PORT; keepalive 128; }
  upstream static_site { server 127.0.0.1:$UP_PORT; keepalive 16; }
  server {
    listen 127.0.0.1:$HTTP_PORT;
    listen 127.0.0.1:$HTTPS_PORT ssl;
    server_name bench.test other.test _;
    ssl_certificate $WORK/cert.pem;
    ssl_certificate_key $WORK/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /login { proxy_pass http://static_site; proxy_http_version 1.1; proxy_set_header Connection ""; }
    location /static/ { proxy_pass http://static_site; proxy_http_version 1.1; proxy_set_header Connection ""; }
    location /api/ { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$host; }
    location / { return 404; }
  }
}
EOF
cat >"$WORK/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 9000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:$HTTP_PORT
  bind 127.0.0.1:$HTTPS_PORT ssl crt $WORK/haproxy.pem
  acl host_ok hdr(host),field(1,:) -i bench.test other.test
  acl static path /login || path_beg /static/
  acl api path_beg /api/
  use_backend static_site if host_ok static
  use_backend up if host_ok api
  default_backend notfound
backend up
  server s1 127.0.0.1:$UP_PORT
backend static_site
  server s1 127.0.0.1:$UP_PORT
backend notfound
  http-request return status 404
EOF

start_igw() {
  taskset -c "$PROXY_CPU" node "$ROOT/provider/bin/istio-gateway.js" proxy --config "$WORK/igw" \
    --port "80=$HTTP_PORT" --port "443=$HTTPS_PORT" --bind 127.0.0.1 --status-port 0 \
    --resolve "upstream=127.0.0.1:$UP_PORT" --resolve "static-site=127.0.0.1:$UP_PORT" \
    >"$WORK/igw-access.log" 2>"$WORK/igw.log" &
  STARTED=$!
}
start_nginx() {
  taskset -c "$PROXY_CPU" nginx -c "$WORK/nginx.conf" -g "daemon off;" >/dev/null 2>&1 &
  STARTED=$!
}
start_haproxy() {
  taskset -c "$PROXY_CPU" haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
  STARTED=$!
}

wait_ready() {
  for _ in $(seq 1 600); do
    if curl -s -o /dev/null -H "Host: bench.test" "http://127.0.0.1:$HTTP_PORT/api/ready"; then return 0; fi
    sleep 0.1
  done
  echo "proxy did not come up" >&2
  tail -20 "$WORK/igw.log" >&2 2>/dev/null || true
  return 1
}

# RSS in KiB of a process and its children (nginx workers).
rss_of() {
  local pid=$1 total=0 p
  for p in $pid $(pgrep -P "$pid" || true); do
    local v
    v="$(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || true)"
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# wrk summary: "req/s p50_ms p99_ms".
run_wrk() {
  local out
  out="$(taskset -c "$LOAD_CPU" wrk -t1 -c"$1" -d"${DURATION}s" --latency "${@:2}")"
  echo "$out" >>"$WORK/wrk.log"
  local rps p50 p99
  rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  p50="$(echo "$out" | awk '$1 == "50%" {print $2}')"
  p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}
to_ms() {
  local v=$1
  case "$v" in
    *us) awk -v x="${v%us}" 'BEGIN {printf "%.3f", x / 1000}' ;;
    *ms) awk -v x="${v%ms}" 'BEGIN {printf "%.3f", x}' ;;
    *s) awk -v x="${v%s}" 'BEGIN {printf "%.3f", x * 1000}' ;;
    *) echo "nan" ;;
  esac
}

# Opens 1,000 keep-alive connections (one request each) and holds them until stdin closes.
cat >"$WORK/hold.js" <<'EOF'
const net = require("net");
const [port, n] = [Number(process.argv[2]), Number(process.argv[3])];
let ready = 0;
const sockets = [];
for (let i = 0; i < n; i++) {
  const s = net.connect(port, "127.0.0.1", () => s.write("GET /api/hold HTTP/1.1\r\nHost: bench.test\r\n\r\n"));
  s.once("data", () => { if (++ready === n) console.log("held"); });
  s.on("error", () => {});
  sockets.push(s);
}
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
EOF

declare -A R
measure() {
  local name=$1 pid
  "start_$name"
  pid=$STARTED
  PIDS+=("$pid")
  wait_ready
  sleep 0.5
  R[$name.rss_idle]="$(rss_of "$pid")"
  # Warm up, then measure.
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d2s -H "Host: bench.test" "http://127.0.0.1:$HTTP_PORT/api/x" >/dev/null
  read -r R[$name.http_rps] R[$name.http_p50] R[$name.http_p99] < <(run_wrk "$CONNS" -H "Host: bench.test" "http://127.0.0.1:$HTTP_PORT/api/x")
  read -r R[$name.https_rps] R[$name.https_p50] R[$name.https_p99] < <(run_wrk "$CONNS" -H "Host: bench.test" "https://127.0.0.1:$HTTPS_PORT/api/x")
  read -r R[$name.hs_rps] _ _ < <(run_wrk 16 -H "Host: bench.test" -H "Connection: close" "https://127.0.0.1:$HTTPS_PORT/api/x")
  # 1,000 open connections.
  local fifo="$WORK/hold.fifo"
  rm -f "$fifo"
  mkfifo "$fifo"
  taskset -c "$LOAD_CPU" node "$WORK/hold.js" "$HTTP_PORT" 1000 <"$fifo" >"$WORK/hold.out" &
  local holder=$!
  exec 9>"$fifo"
  for _ in $(seq 1 100); do grep -q held "$WORK/hold.out" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  R[$name.rss_1k]="$(rss_of "$pid")"
  exec 9>&-
  wait "$holder" 2>/dev/null || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  sleep 0.5
}

echo "machine: $(nproc) cores, $(node --version), $(nginx -v 2>&1 | sed 's/.*\///'), haproxy $(haproxy -v | head -1 | awk '{print $3}'); proxy on CPU $PROXY_CPU, wrk and upstream on CPU $LOAD_CPU; ${DURATION}s per run"
for p in nginx haproxy igw; do measure "$p"; done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
row() {
  local label=$1 key=$2 unit=$3
  printf "%-34s %12s %12s %12s   %s  %s\n" "$label" "${R[nginx.$key]}$unit" "${R[haproxy.$key]}$unit" "${R[igw.$key]}$unit" \
    "haproxy/nginx $(ratio "${R[haproxy.$key]}" "${R[nginx.$key]}")" "istio-gateway/nginx $(ratio "${R[igw.$key]}" "${R[nginx.$key]}")"
}
printf "\n%-34s %12s %12s %12s\n" "" nginx haproxy istio-gateway
row "HTTP/1.1 keep-alive req/s (c=64)" http_rps ""
row "HTTP/1.1 p50 ms" http_p50 ""
row "HTTP/1.1 p99 ms" http_p99 ""
row "HTTPS keep-alive req/s (c=64)" https_rps ""
row "HTTPS p50 ms" https_p50 ""
row "HTTPS p99 ms" https_p99 ""
row "new TLS handshakes/s (c=16)" hs_rps ""
row "RSS idle KiB" rss_idle ""
row "RSS at 1,000 connections KiB" rss_1k ""
echo
echo "targets: req/s >= 0.33x nginx, p99 <= 3x nginx, HTTPS keep-alive >= 0.35x nginx"
echo "access log lines written by istio-gateway: $(wc -l <"$WORK/igw-access.log")"
