#!/usr/bin/env bash
# Load benchmark of the HTTP server on SQLite, loopback only and bounded in time.
# Usage: scripts/bench-http.sh [SECONDS_PER_PHASE] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
concurrency=${2:-16}
cargo build -q --release -p booking-server --example loadgen --bin booking-server
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUST_LOG=warn BOOKING_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))') \
  target/release/booking-server serve --demo --bind "127.0.0.1:$port" \
  --database-url "sqlite://$work/bench.db?mode=rwc" >"$work/out" 2>"$work/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
password=$(awk '/admin@demo.example/ {print $3}' "$work/out")
echo "machine: $(nproc) cores, $(uname -m); server and load generator share them"
target/release/examples/loadgen "http://127.0.0.1:$port" admin@demo.example "$password" "$seconds" "$concurrency"
