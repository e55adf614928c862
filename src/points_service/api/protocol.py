"""The HTTP/1.1 protocol `points-service serve` runs: uvicorn's httptools protocol with a bound on
how much of a request's head it reads.

httptools (llhttp) keeps a header field in memory until its line ends, and uvicorn sets no limit
on it: a client could make a process hold megabytes of one `Authorization` header before the app
(and `HeadGuard`'s 431) sees the request. uvicorn bounds only its h11 protocol
(`h11_max_incomplete_event_size`), which parses in Python: some 100 µs a request against
httptools' few, a third of a request's whole cost at the service's ceiling (docs/performance.md).
So this protocol counts the bytes received while a head is incomplete, and once they pass
MAX_HEAD_BYTES answers 431 `request-header-fields-too-large` and closes the connection.
"""

from __future__ import annotations

import logging
from functools import cache

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..settings import get_settings
from .limits import MAX_HEAD_BYTES
from .problems import MEDIA_TYPE, problem_document, render_problem

log = logging.getLogger("points_service.errors")


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
    """Reads at most MAX_HEAD_BYTES of a request's head, plus what one read brings.

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
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._in_head or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD_BYTES:
            self._refuse_head()

    def _refuse_head(self) -> None:
        log.warning("request head over %d bytes from %s: answered 431", MAX_HEAD_BYTES, self.client)
        status_line, rest = _refusal()
        defaults = b"".join(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers)
        self.transport.write(status_line + defaults + rest)
        self.transport.close()
