#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh. Stop the server first.
# Usage: scripts/restore.sh FILE   (BOOKING_DATABASE_URL names the target)
set -euo pipefail
file=${1:?usage: scripts/restore.sh FILE}
url=${BOOKING_DATABASE_URL:-sqlite://booking.db?mode=rwc}
case "$url" in
  postgres*) pg_restore --clean --if-exists --no-owner --dbname "$url" "$file" ;;
  sqlite:*)
    target=${url#sqlite://}; target=${target%%\?*}
    [ -e "$target" ] && mv "$target" "$target.before-restore"
    rm -f "$target-wal" "$target-shm"
    cp "$file" "$target"
    echo "restored $file to $target (previous file kept as $target.before-restore)" ;;
  *) echo "unsupported database URL: $url" >&2; exit 1 ;;
esac
