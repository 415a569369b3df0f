#!/usr/bin/env bash
# Exit 0 when the server answers and its database is reachable.
# Usage: scripts/health-check.sh [BASE_URL]   (default http://127.0.0.1:8080)
set -euo pipefail
base=${1:-${BOOKING_PUBLIC_URL:-http://127.0.0.1:8080}}
curl -fsS --max-time 5 "$base/healthz" >/dev/null || { echo "not answering: $base" >&2; exit 1; }
curl -fsS --max-time 5 "$base/readyz" >/dev/null || { echo "database not reachable: $base/readyz" >&2; exit 2; }
echo "ok: $base"
