#!/usr/bin/env bash
# Back up the database the server uses, while it runs.
# Usage: scripts/backup.sh [FILE]   (BOOKING_DATABASE_URL as for the server)
set -euo pipefail
to=${1:-booking-backup-$(date -u +%Y%m%dT%H%M%SZ).$( [[ "${BOOKING_DATABASE_URL:-sqlite}" == postgres* ]] && echo dump || echo db )}
exec "${BOOKING_SERVER:-booking-server}" backup --to "$to"
