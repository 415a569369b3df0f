#!/usr/bin/env bash
# The Python binding from Python: build the wheel into its own virtualenv
# (pip install ./bindings/python, as the README says; the dev profile so the
# test command reuses what cargo built), then mypy --strict over the package
# and its typed tests, and pytest (SQLite, and PostgreSQL at
# BOOKING_TEST_PG_URL; the Django example; Python against the HTTP server).
# VENV names the virtualenv to use (default: .test-peers/venv-binding).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${VENV:-${BOOKING_PEERS_DIR:-$PWD/.test-peers}/venv-binding}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r bindings/python/requirements-test.lock
PATH="$venv/bin:$PATH" MATURIN_PEP517_ARGS="--profile dev" "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps --no-build-isolation ./bindings/python
cargo build -q -p booking-server --locked
"$venv/bin/python" -m mypy --strict -p booking
(cd bindings/python/tests && "$venv/bin/python" -m mypy --strict .)
echo "ok mypy --strict: the package, its stubs and the typed tests"
cd bindings/python && "$venv/bin/python" -m pytest -q -p no:cacheprovider tests
