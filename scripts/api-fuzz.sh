#!/usr/bin/env bash
# Run schemathesis against the live OpenAPI document of a demo server on
# loopback, on SQLite and (unless BOOKING_TEST_PG=off) on a fresh PostgreSQL
# database at BOOKING_TEST_PG_URL: no 5xx, and every response must match the
# documented schema, status codes and content types. The stateful phase
# follows the document's links (create → read → change → cancel).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

ST=${SCHEMATHESIS:-schemathesis}
if ! command -v "$ST" >/dev/null; then
  echo "schemathesis not found: scripts/test.sh installs it (scripts/requirements-test.lock)" >&2
  exit 1
fi

cargo build -q -p booking-server --locked
work=$(mktemp -d)
pid=
pg_db=
cleanup() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  [ -n "$pg_db" ] && dropdb --if-exists --maintenance-db="$BOOKING_TEST_PG_URL" "$pg_db" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

run_schemathesis() { # run_schemathesis BASE TOKEN
  # Logout and password change would end the fuzzing session's own login.
  # Run in the scratch folder: schemathesis keeps a cache in its working directory.
  (cd "$work" && "$ST" run "$1/api/openapi.json" \
    --checks not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance \
    --header "Authorization: Bearer $2" \
    --exclude-path /auth/logout --exclude-path /me/password \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
    --seed 1 \
    --workers 2 \
    --warnings off \
    --request-timeout 30)
}

fuzz() { # fuzz NAME DATABASE_URL
  local name=$1 url=$2 port base password token
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  # Webhooks the fuzzer registers are logged, never sent (no look-ups of
  # made-up host names leave the machine).
  BOOKING_WEBHOOK_SEND=false \
  BOOKING_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))') \
    "$root/target/debug/booking-server" serve --demo --bind "127.0.0.1:$port" \
    --database-url "$url" >"$work/$name.out" 2>"$work/$name.log" &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fs "$base/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  password=$(awk '/admin@demo.example/ {print $3}' "$work/$name.out")
  token=$(curl -fs -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"admin@demo.example\",\"password\":\"$password\"}" |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')
  echo "-- schemathesis on $name"
  # A run whose only trouble is an error inside the tool (CPython 3.11.7's
  # "AST constructor recursion depth mismatch" under Hypothesis, seen once)
  # is run again; a failed check of the server never is.
  local try
  for try in 1 2; do
    if run_schemathesis "$base" "$token" 2>&1 | tee "$work/$name.st"; then
      break
    fi
    if [ "$try" = 2 ] || grep -q "^Failures:\|= FAILURES =" "$work/$name.st" || ! grep -q "Runtime Error" "$work/$name.st"; then
      return 1
    fi
    echo "-- schemathesis hit an error of its own (no check failed); running it again"
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}

fuzz sqlite "sqlite://$work/fuzz.db?mode=rwc"
if [ "${BOOKING_TEST_PG:-}" != off ]; then
  pg_db="booking_fuzz_$$_$RANDOM"
  createdb --maintenance-db="$BOOKING_TEST_PG_URL" "$pg_db"
  fuzz postgres "${BOOKING_TEST_PG_URL%/*}/$pg_db"
fi
