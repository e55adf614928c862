"""Webhook receivers for the push tests: real HTTP servers on loopback, in threads.

A `Receiver` records every request (headers, body, when it arrived) and answers with the next
of its scripted statuses (the last one repeats); `hang` makes it hold each request that long
before answering, and `redirect_to` answers 302 with that Location.

`pair_first=n` holds each of its first `n` requests of even rank (the 1st, 3rd, …) until the next
one has arrived (at most `pair_timeout` seconds; each wait that times out counts in `unpaired`):
the requests go in pairs, the two of each in flight at once. A sender with at most one request in
flight to the receiver at a time can then never send both of a pair. `hold_for=other` does the
same across two receivers: each request is held until `other` has received one (at most
`pair_timeout` seconds, a wait that times out counting in `unpaired`).

Answers that never end by themselves, each stopped by the client going away (`cut_off` is set
then) or, failing that, after `give_up` seconds (`gave_up` is set):

* `trickle="head"`: the status line and an endless header, a byte every `gap` seconds (no
  per-read timeout of the client ever trips, only a deadline for the whole attempt);
* `trickle="body"`: the status and headers at once, then an endless body, a byte every `gap`;
* `body_size`: a body of that many bytes, written 64 KiB at a time as fast as the client reads.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

from support.scripts import load_script


class _Server(ThreadingHTTPServer):
    """A sender that hangs up before its answer (a service killed or frozen mid-delivery, a
    timeout) is what these receivers are for: no traceback on the test's output."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipeError, ConnectionResetError
            super().handle_error(request, client_address)


def example_receiver() -> ModuleType:
    """examples/receiver.py, whose `verify` the tests check every delivery with."""
    return load_script("examples/receiver.py", "example_receiver")


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=lambda: [200])
    hang: float = 0.0
    redirect_to: str | None = None
    trickle: str | None = None  # "head" or "body"
    gap: float = 0.01
    body_size: int = 0
    give_up: float = 30.0
    pair_first: int = 0
    pair_timeout: float = 5.0
    hold_for: Receiver | None = None
    unpaired: int = 0
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    sent: int = 0  # bytes of the endless or large answers written
    cut_off: threading.Event = field(default_factory=threading.Event)
    gave_up: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def _write_until_cut_off(self, out: Any, pieces: Iterator[bytes]) -> None:
        """Write `pieces` until the client goes away (`cut_off`), they end, or `give_up` passes."""
        until = time.monotonic() + self.give_up
        try:
            for piece in pieces:
                if time.monotonic() > until:
                    self.gave_up.set()
                    return
                out.write(piece)
                out.flush()
                self.sent += len(piece)
                if self.trickle:
                    time.sleep(self.gap)
        except OSError:  # BrokenPipeError, ConnectionResetError: the client closed its end
            self.cut_off.set()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.arrived:
                    receiver.received.append(Received(dict(self.headers.items()), body, time.monotonic()))
                    rank = len(receiver.received) - 1
                    receiver.arrived.notify_all()
                    held = rank < receiver.pair_first and rank % 2 == 0  # until its pair arrives
                    if held and not receiver.arrived.wait_for(
                        lambda: len(receiver.received) > rank + 1, receiver.pair_timeout
                    ):
                        receiver.unpaired += 1
                other = receiver.hold_for
                if other is not None:
                    with other.arrived:
                        if not other.arrived.wait_for(lambda: len(other.received) > 0, receiver.pair_timeout):
                            receiver.unpaired += 1
                index = min(rank + 1, len(receiver.statuses)) - 1
                if receiver.hang:
                    time.sleep(receiver.hang)
                status = receiver.statuses[index]
                if receiver.trickle == "head":
                    endless = itertools.chain([f"HTTP/1.1 {status} OK\r\nx-slow: ".encode()], itertools.repeat(b"a"))
                    receiver._write_until_cut_off(self.wfile, (bytes([b]) for piece in endless for b in piece))
                    self.close_connection = True
                    return
                if receiver.trickle == "body" or receiver.body_size:
                    self.send_response(status)
                    self.send_header("Content-Length", str(receiver.body_size or 1 << 40))
                    self.end_headers()
                    if receiver.trickle:
                        pieces: Iterator[bytes] = itertools.repeat(b"a")
                    else:
                        chunk = b"x" * 65536
                        pieces = itertools.repeat(chunk, -(-receiver.body_size // len(chunk)))
                    receiver._write_until_cut_off(self.wfile, pieces)
                    self.close_connection = True
                    return
                self.send_response(302 if receiver.redirect_to else status)
                if receiver.redirect_to:
                    self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: Any) -> None:
                return

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Receivers:
    started: list[Receiver] = field(default_factory=list)

    def __call__(self, **kwargs: Any) -> Receiver:
        receiver = Receiver(**kwargs).start()
        self.started.append(receiver)
        return receiver

    def stop(self) -> None:
        for receiver in self.started:
            receiver.stop()


def receivers() -> Iterator[Receivers]:
    made = Receivers()
    yield made
    made.stop()
