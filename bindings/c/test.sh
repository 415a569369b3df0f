#!/usr/bin/env bash
# The C binding from C: build the library, compile the example with gcc
# (-Wall -Wextra -Werror), and run it under valgrind (every leak and memory
# error fails) on a fresh SQLite file and, when BOOKING_TEST_PG_URL names a
# reachable server, on a fresh PostgreSQL database (dropped afterwards).
# Prints "ok …" / "FAIL …" lines; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p booking-c --locked
tmp=$(mktemp -d)
db=""
cleanup() {
  rm -rf "$tmp"
  if [ -n "$db" ]; then psql -q "$BOOKING_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
gcc -std=c11 -Wall -Wextra -Werror bindings/c/examples/book_room.c \
  -Ibindings/c/include -Ltarget/debug -lbooking -o "$tmp/book_room"
echo "ok compile the example with gcc -Wall -Wextra -Werror"
failed=0
run() { # run NAME URL
  if LD_LIBRARY_PATH=target/debug valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
    --error-exitcode=1 "$tmp/book_room" "$2" >"$tmp/out" 2>&1; then
    echo "ok $1: books, meets the conflict, no leak or memory error (valgrind)"
  else
    echo "FAIL $1"
    cat "$tmp/out"
    failed=1
  fi
}
run "C example on SQLite" "sqlite://$tmp/c.db?mode=rwc"
if [ "${BOOKING_TEST_PG:-}" != off ] && [ -n "${BOOKING_TEST_PG_URL:-}" ] && command -v psql >/dev/null; then
  db="booking_c_$$"
  psql -q "$BOOKING_TEST_PG_URL" -c "CREATE DATABASE $db" >/dev/null
  run "C example on PostgreSQL" "${BOOKING_TEST_PG_URL%/*}/$db"
fi
exit "$failed"
