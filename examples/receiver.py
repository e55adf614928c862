"""A minimal receiver of the points service's events (Standard Webhooks), with only the standard
library and `standardwebhooks` (`pip install standardwebhooks`):

    export POINTS_WEBHOOK_SECRET=whsec_…   # the secret the endpoint was created with
    python examples/receiver.py --port 8080

Each event is POSTed with `webhook-id` (the event's id: the same on every retry, so a receiver
that has seen it may ignore it), `webhook-timestamp` and `webhook-signature`. `verify` refuses
anything not signed with the secret, or signed more than 5 minutes from now. Answer any 2xx
quickly (within 10 s); anything else is retried later. Events of an account carry `seq`, which
increases by one per event: a receiver that needs order sorts by it, and a gap means an event is
still to come.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """The event, if `body` is signed with `secret` (or one of the secrets, after a rotation);
    raises `WebhookVerificationError` otherwise. Pass the body exactly as received."""
    event: dict[str, Any] = Webhook(secret).verify(body, dict(headers))
    return event


class Handler(BaseHTTPRequestHandler):
    secret = ""
    seen: set[str] = set()  # noqa: RUF012  # event ids already handled (keep them in a database)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            event = verify(self.secret, dict(self.headers.items()), body)
        except WebhookVerificationError:
            self.send_response(401)
            self.end_headers()
            return
        if event["id"] not in self.seen:  # at least once: the same event may come again
            self.seen.add(event["id"])
            print(event["type"], event["account_id"], event["seq"], json.dumps(event["data"]))
        self.send_response(204)
        self.end_headers()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    Handler.secret = os.environ["POINTS_WEBHOOK_SECRET"]
    ThreadingHTTPServer(("0.0.0.0", args.port), Handler).serve_forever()  # a server for others


if __name__ == "__main__":
    main()
