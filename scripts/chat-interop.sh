#!/usr/bin/env bash
# Chat endpoints against requests signed by the platforms' own tooling:
# scripts/interop/chat_slack.py (Slack's slack_sdk signer), chat_discord.py
# (PyNaCl Ed25519, as Discord signs) and the Teams HMAC scheme below.
# Valid requests must be answered; tampered, unsigned and stale ones get 401;
# the same request again (a replay) gets 409.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
interop=scripts/interop
if ! "$PY" -c 'import slack_sdk, nacl, requests' 2>/dev/null; then
  echo "chat-interop: needs slack_sdk, PyNaCl and requests (pip install -r scripts/requirements-test.txt)" >&2
  exit 1
fi
cargo build -q -p booking-server --locked
work=$(mktemp -d)
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
seed=$("$PY" -c 'import secrets; print(secrets.token_hex(32))')
pub=$("$PY" -c "import nacl.signing; print(nacl.signing.SigningKey(bytes.fromhex('$seed')).verify_key.encode().hex())")
slack_secret=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
teams_token=$("$PY" -c "import base64; print(base64.b64encode(b'0123456789abcdef0123456789abcdef').decode())")
SLACK_SIGNING_SECRET=$slack_secret TEAMS_HMAC_SECRET=$teams_token DISCORD_PUBLIC_KEY=$pub \
BOOKING_JWT_SECRET=$("$PY" -c 'import secrets; print(secrets.token_hex(32))') \
  target/debug/booking-server serve --demo --bind "127.0.0.1:$port" \
  --database-url "sqlite://$work/chat.db?mode=rwc" >"$work/out" 2>"$work/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

fail=0
expect() { # expect "<output>" "<pattern>" "<what>"
  if grep -qE -- "$2" <<<"$1"; then echo "ok   $3"; else echo "FAIL $3 (wanted /$2/)"; fail=1; fi
}

out=$("$PY" "$interop/chat_slack.py" "$base/chat/slack/commands" "$slack_secret")
echo "$out"
expect "$out" '^valid -> 200' "slack: signed by slack_sdk is answered"
expect "$out" '^stale\(6min\) -> 401' "slack: 6-minute-old timestamp refused"
expect "$out" '^bad -> 401' "slack: bad signature refused"
expect "$out" '^replay -> 409' "slack: the same signed request again is refused"

out=$("$PY" "$interop/chat_discord.py" "$base/chat/discord/interactions" "$seed")
echo "$out"
expect "$out" '^PING -> 200 \{"type":1\}' "discord: PING answered with PONG"
expect "$out" '^tampered -> 401' "discord: tampered body refused"
expect "$out" '^unsigned -> 401' "discord: unsigned request refused"
expect "$out" '^/book -> 200 .*not linked yet.*"type":4' "discord: slash command answered (unlinked user told how to link)"
expect "$out" '^replay -> 409' "discord: the same interaction id again is refused"

out=$("$PY" - "$base/chat/teams/messages" <<'PYEOF'
import sys, hmac, hashlib, base64, json, requests, datetime
url = sys.argv[1]
token = base64.b64encode(b'0123456789abcdef0123456789abcdef').decode()
now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')
body = json.dumps({'type': 'message', 'id': '1485983408511', 'timestamp': now, 'channelId': 'msteams',
                   'text': '<at>RoomBot</at> book room101 tomorrow 9am', 'from': {'id': '29:1', 'name': 'Alice'}}).encode()
auth = 'HMAC ' + base64.b64encode(hmac.new(base64.b64decode(token), body, hashlib.sha256).digest()).decode()
r = requests.post(url, data=body, headers={'Authorization': auth, 'Content-Type': 'application/json'}, timeout=5)
print('valid ->', r.status_code, r.text[:120])
r = requests.post(url, data=body, headers={'Authorization': auth, 'Content-Type': 'application/json'}, timeout=5)
print('replay ->', r.status_code)
r = requests.post(url, data=body.replace(b'9am', b'8am'), headers={'Authorization': auth, 'Content-Type': 'application/json'}, timeout=5)
print('tampered ->', r.status_code)
r = requests.post(url, data=body, headers={'Content-Type': 'application/json'}, timeout=5)
print('unsigned ->', r.status_code)
PYEOF
)
echo "$out"
expect "$out" '^valid -> 200 \{"text":"Your chat account is not linked' "teams: HMAC-signed message answered (unlinked user told how to link)"
expect "$out" '^replay -> 409' "teams: the same activity id again is refused"
expect "$out" '^tampered -> 401' "teams: tampered body refused"
expect "$out" '^unsigned -> 401' "teams: unsigned request refused"

exit $fail
