#!/usr/bin/env bash
# HTTP throughput of booking-server with wrk: every figure of
# docs/PERFORMANCE.md's "wrk" table. Loopback only, bounded in time (about
# 10 phases of SECONDS each per database, plus set-up).
#
# Usage: scripts/bench-wrk.sh [SECONDS] [CONNECTIONS] [DATABASES]
#   SECONDS      per phase (default 10)
#   CONNECTIONS  wrk -c (default 16); wrk runs 2 threads
#   DATABASES    "sqlite postgres" (default), "sqlite" or "postgres"
# Environment:
#   BENCH_BIN     server binary to use (default: build and use the release one)
#   BENCH_PG_URL  PostgreSQL to create the scratch database on
#                 (default postgres://postgres@127.0.0.1:5432/postgres)
#   BENCH_EVENTS  bookings in the feed room (default 1000)
#
# Every database is fresh: a new SQLite file, or a PostgreSQL database that
# is created here and dropped at the end. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
conns=${2:-16}
databases=${3:-sqlite postgres}
threads=2
events=${BENCH_EVENTS:-1000}
pg_admin=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq wrk >/dev/null
  else
    echo "bench-wrk: wrk is not installed (Debian: apt-get install wrk)" >&2
    exit 2
  fi
fi
if [ -n "${BENCH_BIN:-}" ]; then
  bin=$BENCH_BIN
else
  cargo build -q --release -p booking-server --bin booking-server
  bin=target/release/booking-server
fi

work=$(mktemp -d)
pids=()
pg_dbs=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for d in "${pg_dbs[@]}"; do psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

export BOOKING_JWT_SECRET
BOOKING_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export RUST_LOG=warn
# As the systemd unit and the Dockerfile run it (docs/OPERATIONS.md,
# "Memory"): glibc then gives each sign-in's 19 MiB password hash back.
export MALLOC_MMAP_THRESHOLD_=131072
password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server URL PORT: a server on URL; its pid in $server_pid. Prints the
# milliseconds from exec to the first 200 of /readyz.
start_server() {
  local url=$1 port=$2
  python3 - "$bin" "$url" "$port" "$work/server-$port.log" <<'EOF'
import subprocess, sys, time, http.client, os
bin, url, port, log = sys.argv[1:5]
t0 = time.monotonic()
p = subprocess.Popen([bin, "serve", "--bind", f"127.0.0.1:{port}", "--database-url", url],
                     stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
while True:
    if p.poll() is not None:
        sys.exit(f"server exited: see {log}")
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=1)
        c.request("GET", "/readyz")
        if c.getresponse().status == 200:
            break
    except OSError:
        pass
    if time.monotonic() - t0 > 60:
        sys.exit("server not ready after 60 s")
    time.sleep(0.002)
print(f"{(time.monotonic() - t0) * 1000:.0f} {p.pid}")
EOF
}

rss_mb() { awk -v f="$2" '$1 == f":" {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

rows=()
# phase DB NAME LUA [ENV=VALUE…]: one wrk run against $port; a table row.
phase() {
  local db=$1 name=$2 lua=$3 c=$conns
  shift 3
  local out
  out=$(env "$@" BENCH_LUA="$PWD/scripts/wrk" BENCH_THREADS=$threads BENCH_TOKEN="$token" \
    wrk -t$threads -c"$c" -d"${seconds}s" --timeout 5s -s "scripts/wrk/$lua" "http://127.0.0.1:$port" \
    | awk '/^RESULT/ {print $2, $3, $4, $5, $6, $7}')
  read -r rps p50 p99 max bad total <<<"$out"
  if [ -z "$rps" ]; then
    echo "bench-wrk: wrk gave no result for $name" >&2
    exit 1
  fi
  rows+=("| $db | $name | $c | $rps | $p50 | $p99 | $max | $bad |")
  echo "  $name: $rps req/s, p99 $p99 ms, $bad bad of $total" >&2
}

bench_database() {
  local db=$1 url
  case $db in
    sqlite) url="sqlite://$work/bench.db?mode=rwc" ;;
    postgres)
      local name="bench_$(python3 -c 'import secrets; print(secrets.token_hex(6))')"
      psql -q "$pg_admin" -c "CREATE DATABASE $name" >/dev/null
      pg_dbs+=("$name")
      url="${pg_admin%/*}/$name"
      ;;
  esac
  echo "$db:" >&2
  printf '%s\n' "$password" | "$bin" create-admin --email bench@bench.example --password-stdin \
    --database-url "$url" >/dev/null
  port=$(free_port)
  local started
  started=$(start_server "$url" "$port")
  local cold_ms=${started% *} pid=${started#* }
  pids+=("$pid")
  eval "$(python3 scripts/wrk/setup.py "http://127.0.0.1:$port" bench@bench.example "$password" 25 "$events")"
  token=$BENCH_TOKEN
  local idle
  idle=$(rss_mb "$pid" VmRSS)
  # People who book, signed in after the idle reading: each sign-in hashes
  # a password (argon2, 19 MiB of working memory; docs/OPERATIONS.md).
  eval "$(python3 scripts/wrk/setup.py "http://127.0.0.1:$port" bench@bench.example "$password" --people-only 16)"

  phase "$db" "GET /api/v1/rooms (25 rooms)" get.lua BENCH_PATHS=/api/v1/rooms
  phase "$db" "GET /api/v1/rooms, gzip" get.lua BENCH_PATHS=/api/v1/rooms "BENCH_HEADERS=Accept-Encoding: gzip"
  local avail="" r
  for r in ${BENCH_ROOMS//,/ }; do avail+="/api/v1/rooms/$r/availability?date=$BENCH_DAY,"; done
  phase "$db" "GET /rooms/{id}/availability" get.lua "BENCH_PATHS=$avail"
  phase "$db" "GET /find-room" get.lua \
    "BENCH_PATHS=/api/v1/find-room?start=${BENCH_DAY}T09:00:00Z&end=${BENCH_DAY}T10:00:00Z&capacity=4"
  phase "$db" "GET feed, $events events, unchanged" get.lua "BENCH_PATHS=$BENCH_FEED_PATH"
  phase "$db" "GET feed, $events events, unchanged, gzip" get.lua "BENCH_PATHS=$BENCH_FEED_PATH" \
    "BENCH_HEADERS=Accept-Encoding: gzip"
  phase "$db" "GET feed, If-None-Match → 304" get.lua "BENCH_PATHS=$BENCH_FEED_PATH" \
    "BENCH_HEADERS=If-None-Match: $BENCH_FEED_ETAG"
  phase "$db" "POST booking + GET feed (pairs)" create.lua BENCH_ROOMS="$BENCH_FEED_ROOM" \
    BENCH_FIRST=$((BENCH_FIRST - 280 * 86400)) "BENCH_FEED=$BENCH_FEED_PATH"
  phase "$db" "POST /api/v1/bookings" create.lua BENCH_ROOMS="$BENCH_ROOMS" BENCH_FIRST="$BENCH_FIRST"
  phase "$db" "POST /api/v1/bookings, 16 people in turn" create.lua BENCH_ROOMS="$BENCH_ROOMS" \
    BENCH_FIRST=$((BENCH_FIRST + 100 * 86400)) BENCH_PEOPLE="$BENCH_PEOPLE"
  local peak
  peak=$(rss_mb "$pid" VmHWM)
  rows+=("| $db | cold start to /readyz (fresh database) | – | $cold_ms ms | | | | |")
  rows+=("| $db | RSS idle after set-up / peak after all phases | – | $idle MB / $peak MB | | | | |")

  if [ "$db" = postgres ]; then
    # A second instance on the same database: both loaded at once, half the
    # connections each; the sum is what two instances serve.
    local port2 started2 pid2 first2=$((BENCH_FIRST + 200 * 86400))
    port2=$(free_port)
    started2=$(start_server "$url" "$port2")
    pid2=${started2#* }
    pids+=("$pid2")
    local half=$((conns / 2)) out1 out2
    out1=$(mktemp -p "$work") out2=$(mktemp -p "$work")
    two() { # two PORT FIRST OUT
      env BENCH_LUA="$PWD/scripts/wrk" BENCH_THREADS=1 BENCH_TOKEN="$token" BENCH_ROOMS="$BENCH_ROOMS" \
        BENCH_PEOPLE="$BENCH_PEOPLE" BENCH_FIRST="$2" wrk -t1 -c"$half" -d"${seconds}s" --timeout 5s -s scripts/wrk/create.lua \
        "http://127.0.0.1:$1" >"$3"
    }
    two "$port" "$first2" "$out1" &
    local w1=$!
    two "$port2" $((first2 + 100 * 86400)) "$out2" &
    local w2=$!
    wait "$w1" "$w2"
    local s
    s=$(cat "$out1" "$out2" | awk '/^RESULT/ {rps += $2; bad += $6; if ($4 > p99) p99 = $4} END {printf "%.0f %.2f %d", rps, p99, bad}')
    read -r rps p99 bad <<<"$s"
    rows+=("| $db | POST /api/v1/bookings, 16 people, two instances (sum; worst p99) | $half + $half | $rps | | $p99 | | $bad |")
    echo "  two instances: $rps req/s" >&2
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=()
}

for db in $databases; do bench_database "$db"; done

echo
echo "machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -m); wrk -t$threads, ${seconds} s per phase, on the same cores as the server"
echo
echo "| database | phase | connections | requests/s | p50 ms | p99 ms | max ms | bad answers |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
