"""The HTTP/1.1 protocol `points-service serve` runs: uvicorn's httptools protocol with a bound on
how much of a request's head it reads.

httptools (llhttp) keeps a header field in memory until its line ends, and uvicorn sets no limit
on it: a client could make a process hold megabytes of one `Authorization` header before the app
(and `HeadGuard`'s 431) sees the request. uvicorn bounds only its h11 protocol
(`h11_max_incomplete_event_size`), which parses in Python: some 100 µs a request against
httptools' few, a third of a request's whole cost at the service's ceiling (docs/performance.md).
So this protocol counts the bytes received while a head is incomplete, and once they pass
MAX_HEAD_BYTES answers 431 `request-header-fields-too-large` and closes the connection.

It also sends a response's head with its body: uvicorn writes the status line and header fields
as soon as the app starts its response, and the body in a second write, so every answer costs two
`send` calls and, when small, two TCP segments. Here the head waits for the body's first write and
goes out in the same one (docs/performance.md, "One send per answer").
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from ..settings import get_settings
from .limits import MAX_HEAD_BYTES
from .observability import RequestIds, request_id_var
from .problems import MEDIA_TYPE, problem_document, render_problem

log = logging.getLogger("points_service.errors")
_REQUEST_IDS = RequestIds()  # for the answers given before the app sees a request


@cache
def _refusal() -> tuple[bytes, bytes]:
    """The 431's status line and headers (without uvicorn's `server` and `date`), and its body."""
    detail = f"the request line and header fields are limited to {MAX_HEAD_BYTES} bytes in all"
    body = render_problem(
        problem_document(get_settings().problem_base_uri, "request-header-fields-too-large", detail)
    ).encode()
    head = b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    fields = f"content-type: {MEDIA_TYPE}\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
    return head, fields + body


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """Reads at most MAX_HEAD_BYTES of a request's head, plus what one read brings, and sends
    each answer's head with its body (`_head_with_body`).

    The count is kept a whole read at a time: a read in which a head begins counts whole, so the
    end of a pipelined request before it counts too (only ever towards refusing sooner).
    """

    _in_head = True  # a connection starts with a request's head
    _head_bytes = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        before = self.cycle
        super().on_headers_complete()
        if self.cycle is not before and self.scope["method"] != "HEAD":  # a new request (not an upgrade)
            _head_with_body(self.cycle)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._in_head or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD_BYTES:
            self._refuse_head()

    def _refuse_head(self) -> None:
        """The 431, with a request id of its own (the head's `X-Request-ID`, if any, was not read
        whole), on the answer and on the log line, as every answer of the app has one."""
        request_id = _REQUEST_IDS()
        token = request_id_var.set(request_id)
        try:
            log.warning("request head over %d bytes from %s: answered 431", MAX_HEAD_BYTES, self.client)
        finally:
            request_id_var.reset(token)
        status_line, rest = _refusal()
        defaults = b"".join(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers)
        self.transport.write(status_line + defaults + b"x-request-id: " + request_id.encode() + b"\r\n" + rest)
        self.transport.close()


class _HeldHead:
    """The transport as one response cycle writes to it: what is written while the cycle starts
    its response (the head) is held, and sent with the next write (the body's first part), or
    before the connection closes. It refers to the transport only, so a finished request leaves
    no reference cycle for the garbage collector."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.holding = False
        self.held = b""

    def write(self, data: bytes) -> None:
        if self.holding:
            self.held += data
            return
        if self.held:
            data, self.held = self.held + data, b""
        self.transport.write(data)

    def close(self) -> None:
        if self.held:
            self.transport.write(self.held)
            self.held = b""
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class _HeadWithBodyCycle(RequestResponseCycle):
    """uvicorn's response cycle, writing through a `_HeldHead`: the head it writes when the app
    starts its response waits for the body."""

    transport: _HeldHead  # type: ignore[assignment]  # written to and closed: what _HeldHead does

    async def send(self, message: Any) -> None:
        if message["type"] != "http.response.start":
            await super().send(message)
            return
        self.transport.holding = True
        try:
            await super().send(message)
        finally:
            self.transport.holding = False


def _head_with_body(cycle: RequestResponseCycle) -> None:
    """Make the new `cycle` send its response's head in one write with the body's first part. Its
    task has not run yet, so the app is called with this cycle's `send`. (Not for a HEAD request,
    whose answer has no body to wait for.)"""
    cycle.__class__ = _HeadWithBodyCycle  # uvicorn makes the cycle: made its subclass here
    cycle.transport = _HeldHead(cycle.transport)  # type: ignore[assignment]
