#!/usr/bin/env bash
# The project's test command: formatting, lints, and every test (unit,
# property, storage on SQLite and PostgreSQL, HTTP integration).
#
# Storage tests need PostgreSQL: BOOKING_TEST_PG_URL (default
# postgres://postgres@127.0.0.1:5432/postgres); each test creates and drops its
# own database. BOOKING_TEST_PG=off skips PostgreSQL locally (never in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked

if [ -x scripts/api-fuzz.sh ] && [ "${BOOKING_SKIP_SCHEMATHESIS:-0}" != 1 ]; then
  echo "== schemathesis against the OpenAPI document"
  scripts/api-fuzz.sh
fi
if [ -x scripts/chat-interop.sh ] && [ "${BOOKING_SKIP_INTEROP:-0}" != 1 ]; then
  echo "== chat endpoints against platform-signed requests"
  scripts/chat-interop.sh
fi
echo "== all tests passed"
