"""Send our /chat/slack/commands endpoint a slash command the way Slack does,
signed by Slack's own SDK (slack_sdk.signature.SignatureVerifier, v0 HMAC):
once correctly, the same request again (a replay), once with a timestamp six minutes old, once with a wrong
signature. Prints one line per case: "<case> -> <status> <body start>".

Usage: chat_slack.py URL SIGNING_SECRET
"""
import sys
import time
import urllib.parse

import requests
from slack_sdk.signature import SignatureVerifier

url, secret = sys.argv[1], sys.argv[2]
signer = SignatureVerifier(signing_secret=secret)
form = {
    "team_id": "T0001",
    "channel_id": "C0001",
    "user_id": "U0001",
    "user_name": "alice",
    "command": "/book",
    "text": "huddle 1 tomorrow 10:00 30m",
    "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    "api_app_id": "A0001",
}
body = urllib.parse.urlencode(form)


def send(case, stamp, signature):
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }
    r = requests.post(url, data=body, headers=headers, timeout=10)
    print(case, "->", r.status_code, r.text[:100])


now = str(int(time.time()))
signature = signer.generate_signature(timestamp=now, body=body)
assert signer.is_valid(body=body, timestamp=now, signature=signature)
send("valid", now, signature)
send("replay", now, signature)
old = str(int(time.time()) - 6 * 60)
send("stale(6min)", old, signer.generate_signature(timestamp=old, body=body))
send("bad", now, "v0=" + "f" * 64)
