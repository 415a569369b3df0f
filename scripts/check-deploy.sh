#!/usr/bin/env bash
# Check the deployment files without a container engine (none runs here):
# systemd's own verifier reads the units (with the built binary in place of
# /usr/local/bin/booking-server), and the compose file is read as YAML and
# checked for what it must say. Prints one line per check; exit 1 on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
fail=0
cargo build -q -p booking-server --locked
bin="$PWD/target/debug/booking-server"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if command -v systemd-analyze >/dev/null; then
  for unit in deploy/*.service deploy/*.socket; do
    sed "s|/usr/local/bin/booking-server|$bin|g" "$unit" >"$work/$(basename "$unit")"
  done
  # Every unit together: the socket's instances need their template.
  if out=$(cd "$work" && systemd-analyze verify --man=no ./*.service ./*.socket 2>&1) && [ -z "$out" ]; then
    echo "ok   systemd units verify"
  else
    echo "FAIL systemd units: $out"; fail=1
  fi
else
  echo "skip systemd units: systemd-analyze is not installed"
fi
if "$PY" - docker-compose.yml <<'PYEOF'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
s = doc["services"]
assert {"postgres", "booking", "booking-2", "proxy"} <= set(s), s.keys()
for name in ("booking", "booking-2"):
    env = s[name]["environment"]
    assert env["BOOKING_DATABASE_URL"].startswith("postgres://"), env
    assert "BOOKING_JWT_SECRET" in env, env
    assert "booking-data:/var/lib/booking" in s[name]["volumes"]
assert s["booking-2"]["profiles"] == ["scale"]
assert "healthcheck" in s["postgres"]
PYEOF
then echo "ok   docker-compose.yml reads and names what it must"; else echo "FAIL docker-compose.yml"; fail=1; fi
# The image builds with the README's command and checks /readyz.
grep -q "cargo build --release --locked -p booking-server" Dockerfile &&
  grep -q "^HEALTHCHECK" Dockerfile && grep -q "/readyz" Dockerfile &&
  grep -q "^USER booking" Dockerfile &&
  echo "ok   Dockerfile builds as the README does, runs as a user, checks /readyz" ||
  { echo "FAIL Dockerfile"; fail=1; }
exit $fail
