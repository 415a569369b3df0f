#!/usr/bin/env bash
# The project's test command: formatting, lints, and every test (unit,
# property, storage on SQLite and PostgreSQL, HTTP integration, the peers
# written by others, the web app in Chromium, schemathesis, chat platforms).
#
# It prepares what it needs itself, and quickly when already there:
#   - Python peers in virtualenvs under .test-peers/ (ignored by git), from the
#     pinned scripts/requirements-*.lock files;
#   - npm peers with `npm ci` from the committed lock files (scripts/interop,
#     scripts/e2e);
#   - Debian's chromium, libical (gir1.2-ical-3.0, python3-gi), gcc and
#     valgrind (the C binding) when missing,
#     if it runs as root (otherwise it says which package to install);
#   - PostgreSQL at BOOKING_TEST_PG_URL (default
#     postgres://postgres@127.0.0.1:5432/postgres); each test creates and drops
#     its own database. Without a reachable server the PostgreSQL half is
#     skipped with a notice (never in CI).
# A peer that cannot be had is skipped with a notice; BOOKING_INTEROP=required
# (CI) makes that a failure. At the end it prints what ran and what was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
peers=${BOOKING_PEERS_DIR:-$root/.test-peers}
mkdir -p "$peers"
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
required=${BOOKING_INTEROP:-}
skipped=()

# Each step names itself and how far in the run is (CI has a time budget).
step() { printf '\n== %s (at %d s)\n' "$*" "$SECONDS"; }
skip() {
  skipped+=("$1")
  echo "!! skipped: $1"
  if [ "$required" = required ]; then
    echo "BOOKING_INTEROP=required: a peer suite may not be skipped" >&2
    exit 1
  fi
}
stamp_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "$@" >/dev/null 2>&1 && return 0
  apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$@" >/dev/null
}

step "test peers"
# Debian packages.
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "installing Debian's chromium"
  apt_install chromium || true
fi
have_chromium=0
[ -x "$chromium" ] && have_chromium=1
for tool in gcc valgrind; do
  if ! command -v "$tool" >/dev/null; then
    echo "installing $tool (the C binding's test)"
    apt_install "$tool" || true
  fi
done
if ! command -v wrk >/dev/null; then
  echo "installing wrk (the load benchmark's smoke run)"
  apt_install wrk || true
fi
have_c=0
command -v gcc >/dev/null && command -v valgrind >/dev/null && have_c=1
[ "$have_c" = 1 ] || skip "C binding test: install gcc and valgrind"
if ! /usr/bin/python3 -c "import gi; gi.require_version('ICalGLib', '3.0')" 2>/dev/null; then
  echo "installing libical for Debian's python3 (gir1.2-ical-3.0 python3-gi)"
  apt_install gir1.2-ical-3.0 python3-gi ||
    skip "libical peer: install Debian's gir1.2-ical-3.0 and python3-gi"
fi

# Python peers, each set in its own virtualenv (caldav replaces urllib3,
# which schemathesis relies on).
python_env() { # python_env NAME LOCKFILE -> prints the venv path
  local dir="$peers/$1" lock=$2 want
  want=$(stamp_of "$lock")
  if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$want" ]; then
    rm -rf "$dir"
    python3 -m venv "$dir" >&2 &&
      "$dir/bin/pip" install -q --disable-pip-version-check -r "$lock" >&2 &&
      echo "$want" >"$dir/.stamp"
  fi
  [ -f "$dir/.stamp" ] && echo "$dir"
}
have_python=0
if venv=$(python_env venv scripts/requirements-test.lock); then
  export PATH="$venv/bin:$PATH"
  have_python=1
else
  skip "Python peers (schemathesis, slack_sdk, PyNaCl, icalendar, vobject, aiosmtpd): pip could not install scripts/requirements-test.lock"
fi
if venv=$(python_env venv-caldav scripts/requirements-caldav.lock); then
  export BOOKING_CALDAV_VENV=$venv
else
  skip "CalDAV clients (caldav, caldav-server-tester, vdirsyncer): pip could not install scripts/requirements-caldav.lock"
fi
if venv=$(python_env venv-integrations scripts/requirements-integrations.lock); then
  export BOOKING_INTEGRATIONS_VENV=$venv
else
  skip "webhook receiver and MCP client (standardwebhooks, mcp): pip could not install scripts/requirements-integrations.lock"
fi

# npm peers from the committed lock files.
have_npm=0
if command -v npm >/dev/null; then
  have_npm=1
  for dir in scripts/interop scripts/e2e; do
    want=$(stamp_of "$dir/package-lock.json")
    if [ "$(cat "$dir/node_modules/.stamp" 2>/dev/null)" != "$want" ]; then
      if npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error; then
        echo "$want" >"$dir/node_modules/.stamp"
      else
        have_npm=0
      fi
    fi
  done
fi
[ "$have_npm" = 1 ] || skip "npm peers (ical.js, node-ical, oidc-provider, playwright-core, axe-core): npm ci failed or npm is missing"

# PostgreSQL.
export BOOKING_TEST_PG_URL="${BOOKING_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_up() {
  python3 - "$BOOKING_TEST_PG_URL" <<'PY'
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
try:
    socket.create_connection((u.hostname or "127.0.0.1", u.port or 5432), timeout=3).close()
except OSError:
    sys.exit(1)
PY
}
if [ "${BOOKING_TEST_PG:-}" = off ]; then
  skip "PostgreSQL storage tests: BOOKING_TEST_PG=off"
elif ! pg_up; then
  if [ "${CI:-}" = true ]; then
    echo "PostgreSQL at $BOOKING_TEST_PG_URL is not reachable; CI never skips it" >&2
    exit 1
  fi
  export BOOKING_TEST_PG=off
  skip "PostgreSQL storage tests: no server at $BOOKING_TEST_PG_URL (set BOOKING_TEST_PG_URL)"
fi

# Every peer is here: tests that use one must not skip it silently.
if [ ${#skipped[@]} = 0 ]; then
  export BOOKING_INTEROP=required
fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "booking-store with one database each (Cargo features sqlite, postgres)"
for db in sqlite postgres; do
  cargo clippy -q -p booking-store --no-default-features --features "$db" --locked -- -D warnings
done

step "rustdoc of the libraries (every public item documented, no broken links)"
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps --locked -p booking-core -p booking-calendar

step "OpenTelemetry export (the optional otlp feature)"
cargo clippy -q -p booking-server --features otlp --all-targets --locked -- -D warnings
cargo test -p booking-server --features otlp --test otlp --locked 2>&1 | tee "$log/otlp"

step "cargo test"
# The Python binding is a cdylib for CPython (no Rust tests: pytest runs it below).
cargo test --workspace --exclude booking-python --locked 2>&1 | tee "$log/cargo"

if [ "$have_chromium" = 1 ] && [ "$have_npm" = 1 ]; then
  step "web app in Chromium (scripts/e2e)"
  cargo build -q -p booking-server --locked
  (cd scripts/e2e && CHROMIUM="$chromium" node --test --test-concurrency=1 web.test.mjs admin.test.mjs integrations.test.mjs features.test.mjs) 2>&1 | tee "$log/e2e"
else
  skip "browser tests: Debian's chromium is missing (apt-get install chromium) or npm peers are"
fi

if [ "$have_c" = 1 ]; then
  step "C binding under valgrind (bindings/c)"
  bindings/c/test.sh | tee "$log/c"
fi

step "Python binding: wheel, mypy --strict, pytest (bindings/python)"
if VENV="$peers/venv-binding" bindings/python/test.sh 2>&1 | tee "$log/py"; then :; else
  echo "FAIL the Python binding's tests" | tee -a "$log/py"
fi

if [ "$have_python" = 1 ] && [ "${BOOKING_SKIP_SCHEMATHESIS:-0}" != 1 ]; then
  step "schemathesis against the OpenAPI document"
  scripts/api-fuzz.sh
  ran_schemathesis=1
fi
if [ "$have_python" = 1 ] && [ "${BOOKING_SKIP_INTEROP:-0}" != 1 ]; then
  step "chat endpoints against platform-signed requests"
  scripts/chat-interop.sh | tee "$log/chat"
fi
if [ "$have_python" = 1 ]; then
  step "deployment files (systemd units, compose file, Dockerfile)"
  scripts/check-deploy.sh | tee "$log/deploy"
fi

if command -v wrk >/dev/null && [ "$have_python" = 1 ]; then
  # The benchmark script once, briefly, on the debug build: it must run and
  # every request must succeed; nothing is asserted about speed.
  step "load benchmark script (scripts/bench-wrk.sh, 1 s per phase)"
  cargo build -q -p booking-server --locked
  if BENCH_BIN=target/debug/booking-server BENCH_EVENTS=50 scripts/bench-wrk.sh 1 4 "sqlite postgres" \
    >"$log/bench" 2>&1 && ! awk -F'|' '/^\| (sqlite|postgres) \|/ && $9 + 0 > 0' "$log/bench" | grep -q .; then
    tail -n 25 "$log/bench"
    echo "ok load benchmark script" | tee "$log/bench-result"
  else
    cat "$log/bench"
    echo "FAIL load benchmark script (output above)" | tee "$log/bench-result"
  fi
else
  skip "load benchmark script: install wrk (apt-get install wrk)"
fi

step "summary"
sum() { { grep -Eo "$1" "$2" 2>/dev/null || true; } | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }'; }
cargo_passed=$(( $(sum '[0-9]+ passed' "$log/cargo") + $(sum '[0-9]+ passed' "$log/otlp") ))
cargo_failed=$(( $(sum '[0-9]+ failed' "$log/cargo") + $(sum '[0-9]+ failed' "$log/otlp") ))
cargo_ignored=$(sum '[0-9]+ ignored' "$log/cargo")
e2e_passed=$(sum '^# pass [0-9]+' "$log/e2e")
e2e_failed=$(sum '^# fail [0-9]+' "$log/e2e")
chat_passed=$(grep -c '^ok ' "$log/chat" 2>/dev/null || true)
chat_failed=$(grep -c '^FAIL ' "$log/chat" 2>/dev/null || true)
py_passed=$(( $(sum '[0-9]+ passed' "$log/py") + $(grep -c '^ok ' "$log/py" 2>/dev/null || true) ))
py_failed=$(( $(sum '[0-9]+ failed' "$log/py") + $(sum '[0-9]+ errors?' "$log/py") + $(grep -c '^FAIL ' "$log/py" 2>/dev/null || true) ))
c_passed=$(grep -c '^ok ' "$log/c" 2>/dev/null || true)
c_failed=$(grep -c '^FAIL ' "$log/c" 2>/dev/null || true)
deploy_passed=$(grep -c '^ok ' "$log/deploy" 2>/dev/null || true)
deploy_failed=$(grep -c '^FAIL ' "$log/deploy" 2>/dev/null || true)
bench_failed=$(grep -c '^FAIL ' "$log/bench-result" 2>/dev/null || true)
echo "cargo test: $cargo_passed passed, $cargo_failed failed, $cargo_ignored ignored"
echo "web app in Chromium: ${e2e_passed:-0} passed, ${e2e_failed:-0} failed"
echo "chat interop: ${chat_passed:-0} passed, ${chat_failed:-0} failed"
echo "Python binding: ${py_passed:-0} passed, ${py_failed:-0} failed"
echo "C binding: ${c_passed:-0} passed, ${c_failed:-0} failed"
echo "deployment files: ${deploy_passed:-0} passed, ${deploy_failed:-0} failed"
echo "load benchmark script: ${bench_failed:-0} failed"
[ "${ran_schemathesis:-0}" = 1 ] && echo "schemathesis: passed (see its report above)"
if [ ${#skipped[@]} = 0 ]; then
  echo "skipped suites: none"
else
  echo "skipped suites:"
  printf '  - %s\n' "${skipped[@]}"
fi
passed=$((cargo_passed + ${e2e_passed:-0} + ${chat_passed:-0} + ${py_passed:-0} + ${c_passed:-0} + ${deploy_passed:-0}))
failed=$((cargo_failed + ${e2e_failed:-0} + ${chat_failed:-0} + ${py_failed:-0} + ${c_failed:-0} + ${deploy_failed:-0} + ${bench_failed:-0}))
echo "all: $passed passed, $failed failed, ${#skipped[@]} skipped"
[ "$failed" = 0 ]
