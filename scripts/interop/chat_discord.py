"""Send our /chat/discord/interactions endpoint interactions signed the way
Discord signs them: Ed25519 over timestamp + raw body (PyNaCl), hex in
X-Signature-Ed25519 with X-Signature-Timestamp. Cases: PING, a tampered
body, no signature, a /book slash command and that command again (a replay). Prints "<case> -> <status> <body>".

Usage: chat_discord.py URL SEED_HEX   (the server has the seed's public key)
"""
import json
import sys
import time

import nacl.signing
import requests

url = sys.argv[1]
key = nacl.signing.SigningKey(bytes.fromhex(sys.argv[2]))


def send(payload, tamper=False, signed=True):
    body = json.dumps(payload, separators=(",", ":")).encode()
    stamp = str(int(time.time()))
    signature = key.sign(stamp.encode() + body).signature.hex()
    if tamper:
        body = body.replace(b'"type":1', b'"type":3', 1)
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["X-Signature-Ed25519"] = signature
        headers["X-Signature-Timestamp"] = stamp
    return requests.post(url, data=body, headers=headers, timeout=10)


ping = {"id": "100", "application_id": "200", "type": 1, "token": "t", "version": 1}
r = send(ping)
print("PING ->", r.status_code, r.text)
print("tampered ->", send(ping, tamper=True).status_code)
print("unsigned ->", send(ping, signed=False).status_code)
command = {
    "id": "101",
    "application_id": "200",
    "type": 2,
    "token": "interaction-token",
    "version": 1,
    "guild_id": "300",
    "channel_id": "301",
    "member": {"user": {"id": "4242", "username": "alice"}},
    "data": {
        "id": "400",
        "name": "book",
        "type": 1,
        "options": [
            {"name": "room", "type": 3, "value": "Huddle 1"},
            {"name": "start", "type": 3, "value": "tomorrow 10:00"},
        ],
    },
}
r = send(command)
print("/book ->", r.status_code, r.text[:200])
print("replay ->", send(command).status_code)
