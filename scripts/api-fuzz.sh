#!/usr/bin/env bash
# Run schemathesis against the live OpenAPI document of a demo server on
# loopback: no 5xx, and every response must match the documented schema,
# status codes and content types.
set -euo pipefail
cd "$(dirname "$0")/.."

ST=${SCHEMATHESIS:-schemathesis}
if ! command -v "$ST" >/dev/null; then
  echo "schemathesis not found: scripts/test.sh installs it (scripts/requirements-test.lock)" >&2
  exit 1
fi

cargo build -q -p booking-server --locked
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
BOOKING_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))') \
  target/debug/booking-server serve --demo --bind "127.0.0.1:$port" \
  --database-url "sqlite://$work/fuzz.db?mode=rwc" >"$work/server.out" 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT

for _ in $(seq 1 100); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
password=$(awk '/admin@demo.example/ {print $3}' "$work/server.out")
token=$(curl -fs -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"admin@demo.example\",\"password\":\"$password\"}" |
  python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')

# Logout and password change would end the fuzzing session's own login.
# Run in the scratch folder: schemathesis keeps a cache in its working directory.
cd "$work"
"$ST" run "$base/api/openapi.json" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance \
  --header "Authorization: Bearer $token" \
  --exclude-path /auth/logout --exclude-path /me/password \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
  --seed 1 \
  --workers 2 \
  --warnings off \
  --request-timeout 30
