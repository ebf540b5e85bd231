# shellcheck shell=bash
# Shared by proxy-ab.sh and proxy-builds.sh (sourced, not run): a temporary directory removed on
# exit with every process group started in it, the benchmark's gateway configuration and static
# upstream (nginx) in it, and the CPU time of a process group. Needs ROOT and HOST set.

HERE=$ROOT/test/bench/proxy

# Makes TMP (named after $1) and arranges for it and every group `start` made to go on exit.
bench_tmp() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/istio-gateway-$1.XXXXXX")
  PGIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local pgid
  # A stopped group (SIGSTOP) takes no SIGTERM until it runs again.
  for pgid in "${PGIDS[@]}"; do kill -CONT -- "-$pgid" 2>/dev/null || true; done
  for pgid in "${PGIDS[@]}"; do kill -TERM -- "-$pgid" 2>/dev/null || true; done
  sleep 1
  for pgid in "${PGIDS[@]}"; do kill -KILL -- "-$pgid" 2>/dev/null || true; done
  rm -rf "$TMP"
}

# Runs a command in a process group of its own; its group id is the last of PGIDS.
start() {
  setsid "$@" </dev/null &
  PGIDS+=($!)
}

# Writes a certificate for HOST, the gateway's configuration (TMP/config) and the static upstream's
# nginx configuration (TMP/upstream.conf) for the upstream on port $1, and starts that upstream on
# CPU 1.
start_bench_upstream() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=$HOST" \
    -addext "subjectAltName=DNS:$HOST" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
  mkdir -p "$TMP/config"
  sed -e "s#@TMP@#$TMP#g" -e "s#@CERT@#$TMP/cert.pem#g" -e "s#@KEY@#$TMP/key.pem#g" \
    -e "s#@UPSTREAM_PORT@#$1#g" "$HERE/gateway.yaml" >"$TMP/config/gateway.yaml"
  sed -e "s#@TMP@#$TMP#g" -e "s#@UPSTREAM_PORT@#$1#g" "$HERE/upstream-nginx.conf" >"$TMP/upstream.conf"
  start taskset -c 1 nginx -e "$TMP/upstream-error.log" -p "$TMP" -c "$TMP/upstream.conf"
}

# CPU time (clock ticks) used so far by process group $1.
ticks() {
  local total=0 pid
  for pid in $(pgrep -g "$1"); do
    total=$((total + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}
