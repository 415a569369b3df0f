#!/usr/bin/env python3
"""A webhook receiver that checks every delivery with the Standard Webhooks
library (PyPI `standardwebhooks`), as an integrator's receiver would.

usage: webhook_receiver.py DIR

It listens on 127.0.0.1 (an ephemeral port, written to DIR/port) and, for
each POST, appends one JSON line to DIR/deliveries.jsonl:
  {"id": webhook-id, "verified_with": [i, ...], "error": str|null,
   "status": answered status, "body": the JSON body}
where `verified_with` lists the secrets of DIR/secrets (one `whsec_` per
line, re-read on every request) that verify the delivery. It answers with the
status in DIR/status (re-read on every request; 204 when absent).
"""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

DIR = sys.argv[1]
LOCK = threading.Lock()


def read(name, default=""):
    try:
        with open(os.path.join(DIR, name), encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        verified, error = [], None
        for i, secret in enumerate(s for s in read("secrets").splitlines() if s):
            try:
                Webhook(secret).verify(body, headers)
                verified.append(i)
            except WebhookVerificationError as e:
                error = str(e)
        status = int(read("status", "204") or "204")
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        entry = {
            "id": headers.get("webhook-id"),
            "verified_with": verified,
            "error": None if verified else error,
            "status": status,
            "body": parsed,
        }
        with LOCK, open(os.path.join(DIR, "deliveries.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        self.send_response(status)
        reply = b"" if status == 204 else json.dumps({"status": status}).encode()
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w", encoding="utf-8") as f:
    f.write(str(server.server_address[1]))
os.replace(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()
