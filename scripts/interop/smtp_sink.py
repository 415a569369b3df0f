"""A real SMTP server on loopback (aiosmtpd) that stores every message it
receives as DIR/<n>.eml, for the mail tests.

Usage: smtp_sink.py DIR [--tls CERT KEY] [--auth USER:PASSWORD]
Prints one JSON line {"port": N} when listening. With --tls it offers
STARTTLS and requires it before AUTH; with --auth it requires AUTH.
"""
import argparse
import json
import os
import socket
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            name = os.path.join(self.directory, "%05d.eml" % self.n)
        with open(name + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(name + ".tmp", name)
        meta = {"from": envelope.mail_from, "to": envelope.rcpt_tos,
                "auth": getattr(session, "authenticated", False),
                "tls": session.ssl is not None}
        with open(name + ".json", "w") as f:
            json.dump(meta, f)
        return "250 Message accepted for delivery"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--auth")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    kwargs = {}
    if a.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*a.tls)
        kwargs.update(tls_context=ctx, require_starttls=True)
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and \
                auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok)

        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=bool(a.tls))
    # aiosmtpd connects to its own port to check it started: pick one first.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    c = Controller(Store(a.dir), hostname="127.0.0.1", port=port, **kwargs)
    c.start()
    print(json.dumps({"port": port}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        c.stop()


if __name__ == "__main__":
    sys.exit(main())
