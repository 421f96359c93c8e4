#!/usr/bin/env python3
"""A real SMTP server on loopback for the tests, built on aiosmtpd.

Listens on 127.0.0.1 (``--port 0``: a free port it picks) and, once listening, writes the
port to ``--port-file``. Each message it accepts becomes ``<--dir>/<seq:06>.json``: the
envelope, the whole DATA as text and the headers and plain-text body as Python's ``email``
package reads them. Every DATA attempt, accepted or not, is counted in ``<--dir>/attempts``.
Every file is written to a temporary name beside it and renamed, so a reader never sees half
of one. A message's file is written before the 250 reply, so once a client has seen that reply
the message can be read.

Modes: accept everything (the default); ``--refuse CODE`` answers every DATA with
``CODE X.7.1`` (X the code's class); ``--temp-fail N`` answers the first N DATA attempts
``451 4.3.0 Try again later`` and then accepts; ``--auth USER:PASS`` requires AUTH (PLAIN or
LOGIN) without TLS and answers a wrong login 535. With ``--tls-cert FILE --tls-key FILE`` (PEM)
the port speaks TLS from the first byte (implicit TLS, as on port 465), whatever the mode.

Stops cleanly on SIGTERM or SIGINT, and with ``--stop-on-stdin-eof`` when its standard input
closes (the test that started it is gone, however it ended), so it never outlives the test.
"""

import argparse
import asyncio
import email
import email.policy
import json
import logging
import os
import secrets
import signal
import ssl
import sys
import threading
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


# AUTH without TLS is what this server is for (loopback only), and aiosmtpd itself sets the
# deprecated login_data it then warns about: neither says anything about the test.
QUIET = ("Requiring AUTH while not requiring TLS", "auth_require_tls == False", "login_data is")
warnings.filterwarnings("ignore", message=QUIET[0])
logging.getLogger("mail.log").addFilter(
    lambda record: not any(q in record.getMessage() for q in QUIET)
)


def write_atomically(path, text):
    """Writes `text` to `path` through a temporary file beside it and a rename."""
    tmp = os.path.join(os.path.dirname(path) or ".", "." + os.path.basename(path) + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def header(msg, name):
    value = msg.get(name)
    return None if value is None else str(value)


def text_part(msg, subtype):
    """The decoded text of the message's text/SUBTYPE part, or None."""
    part = msg.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        return part.get_content()
    except (LookupError, ValueError) as e:  # an unknown charset, a broken encoding
        return "<undecodable: %s>" % e


def describe(raw, envelope, session, queue_id):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return {
        "mail_from": envelope.mail_from,
        "rcpt_tos": list(envelope.rcpt_tos),
        "auth_user": session.auth_data if session.authenticated else None,
        "raw": raw.decode("utf-8", errors="replace"),
        "headers": [[k, str(v)] for k, v in msg.items()],
        "from": header(msg, "From"),
        "to": header(msg, "To"),
        "reply_to": header(msg, "Reply-To"),
        "subject": header(msg, "Subject"),
        "content_language": header(msg, "Content-Language"),
        "content_type": msg.get_content_type(),
        "charset": msg.get_content_charset(),
        "content_transfer_encoding": header(msg, "Content-Transfer-Encoding"),
        "body": text_part(msg, "plain"),
        "html": text_part(msg, "html"),
        "queue_id": queue_id,
    }


class Handler:
    def __init__(self, directory, refuse, temp_fail):
        self.directory = directory
        self.refuse = refuse
        self.temp_fail = temp_fail
        self.attempts = 0
        self.accepted = 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        write_atomically(os.path.join(self.directory, "attempts"), "%d\n" % self.attempts)
        if self.refuse is not None:
            return "%d %d.7.1 Message refused by policy" % (self.refuse, self.refuse // 100)
        if self.attempts <= self.temp_fail:
            return "451 4.3.0 Try again later"
        queue_id = secrets.token_hex(5).upper()
        raw = envelope.original_content or envelope.content or b""
        self.accepted += 1
        record = describe(raw, envelope, session, queue_id)
        path = os.path.join(self.directory, "%06d.json" % self.accepted)
        write_atomically(path, json.dumps(record, ensure_ascii=False, indent=1) + "\n")
        return "250 2.0.0 Ok: queued as %s" % queue_id


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode("utf-8")
        self.password = password.encode("utf-8")

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = secrets.compare_digest(auth_data.login, self.user) and secrets.compare_digest(
            auth_data.password, self.password
        )
        if not ok:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data.login.decode("utf-8", "replace"))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0, help="0: pick a free one")
    p.add_argument("--port-file", required=True)
    p.add_argument("--dir", required=True, help="where received messages are written")
    p.add_argument("--stop-on-stdin-eof", action="store_true", help="stop when stdin closes")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--refuse", type=int, metavar="CODE")
    mode.add_argument("--temp-fail", type=int, default=0, metavar="N")
    mode.add_argument("--auth", metavar="USER:PASS")
    p.add_argument("--tls-cert", metavar="FILE", help="PEM: the certificate (chain) to present")
    p.add_argument("--tls-key", metavar="FILE", help="PEM: its private key")
    args = p.parse_args()
    if (args.tls_cert is None) != (args.tls_key is None):
        p.error("--tls-cert and --tls-key go together")
    if args.refuse is not None and not 400 <= args.refuse <= 599:
        p.error("--refuse takes a 4xx or 5xx code")
    if args.temp_fail < 0:
        p.error("--temp-fail takes a count")
    if args.auth is not None and ":" not in args.auth:
        p.error("--auth takes USER:PASS")
    return args


def watch_stdin(loop, stop):
    """Stops the server when standard input reaches its end."""

    def run():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=run, daemon=True).start()


async def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    handler = Handler(args.dir, args.refuse, args.temp_fail)
    options = {"hostname": "localhost", "ident": "test SMTP server", "enable_SMTPUTF8": True}
    if args.auth is not None:
        user, password = args.auth.split(":", 1)
        options.update(
            auth_required=True,
            auth_require_tls=False,
            authenticator=Authenticator(user, password),
        )
    context = None
    if args.tls_cert is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, **options), "127.0.0.1", args.port, ssl=context
    )
    port = server.sockets[0].getsockname()[1]

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.stop_on_stdin_eof:
        watch_stdin(loop, stop)

    write_atomically(args.port_file, "%d\n" % port)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main():
    args = parse_args()
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
