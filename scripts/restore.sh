#!/usr/bin/env bash
# Restore a backup made by `booking-server backup` / scripts/backup.sh into
# the database BOOKING_DATABASE_URL names. Refuses while something uses that
# database (stop the server first): for SQLite a process holding the file
# open, for PostgreSQL another connection to the database.
# Usage: scripts/restore.sh FILE
set -euo pipefail
file=${1:?usage: scripts/restore.sh FILE}
[ -r "$file" ] || { echo "restore: cannot read $file" >&2; exit 1; }
url=${BOOKING_DATABASE_URL:-sqlite://booking.db?mode=rwc}
case "$url" in
  postgres*)
    others=$(psql "$url" -Atqc "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    if [ "${others:-0}" != 0 ]; then
      echo "restore: $others other connection(s) use this database; stop the server first" >&2
      exit 2
    fi
    pg_restore --clean --if-exists --no-owner --dbname "$url" "$file"
    echo "restored $file into the database" ;;
  sqlite:*)
    target=${url#sqlite://}; target=${target%%\?*}
    if [ -e "$target" ]; then
      real=$(realpath "$target")
      for fd in /proc/[0-9]*/fd/*; do
        link=$(readlink "$fd" 2>/dev/null) || continue
        case "$link" in
          "$real"|"$real-wal"|"$real-shm")
            pid=${fd#/proc/}; pid=${pid%%/*}
            echo "restore: process $pid has $target open; stop the server first" >&2
            exit 2 ;;
        esac
      done
      mv "$target" "$target.before-restore"
    fi
    rm -f "$target-wal" "$target-shm"
    cp "$file" "$target"
    echo "restored $file to $target (previous file kept as $target.before-restore)" ;;
  *) echo "restore: unsupported database URL: $url" >&2; exit 1 ;;
esac
