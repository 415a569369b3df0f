#!/usr/bin/env bash
# Sync an iCalendar feed URL into a local folder with vdirsyncer's http
# storage (read-only subscription), as a user of vdirsyncer would.
# Usage: vdirsyncer-sync.sh FEED_URL DIR
set -euo pipefail
url=$1 dir=$2
mkdir -p "$dir/status" "$dir/items/feed"
cat > "$dir/config" <<CONF
[general]
status_path = "$dir/status/"

[pair room]
a = "room_remote"
b = "room_local"
collections = null
conflict_resolution = "a wins"

[storage room_remote]
type = "http"
url = "$url"

[storage room_local]
type = "filesystem"
path = "$dir/items/feed/"
fileext = ".ics"
CONF
export VDIRSYNCER_CONFIG="$dir/config"
v=${VDIRSYNCER:-vdirsyncer}
"$v" discover room
"$v" sync room
