"""The protocol `points-service serve` runs (api/protocol.py), on a transport that records writes:
an answer's head goes out in the same write as its body.

Real connections, and the head's bound, are tests/live/test_head_limit.py.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from points_service.api.protocol import BoundedHttpToolsProtocol


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/upload":  # reads the body first (a client that sent Expect: 100-continue waits)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        answer = b"got " + body
    else:
        answer = b'{"ok":true}'
    headers = [(b"content-type", b"application/json")]
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"part 1;", "more_body": True})
        await send({"type": "http.response.body", "body": b"part 2"})
        return
    headers.append((b"content-length", str(len(answer)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if path == "/fails":
        raise RuntimeError("the app failed after starting its answer")
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else answer})


class Recorder(asyncio.Transport):
    """A connection's transport that records what the server writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 40000)}.get(name, default)

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def connect(protocol_class: type[HttpToolsProtocol]) -> tuple[HttpToolsProtocol, Recorder]:
    """A connection to a server running `app` through `protocol_class`."""
    config = uvicorn.Config(app=app, lifespan="off", log_level="critical")
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = Recorder()
    protocol.connection_made(transport)
    return protocol, transport


async def server_reads(protocol: HttpToolsProtocol, data: bytes) -> None:
    """The server reads `data` (in one read), and the app's task runs as far as it can."""
    protocol.data_received(data)
    for _ in range(50):  # enough turns for a few pipelined requests
        await asyncio.sleep(0)


async def exchange(protocol_class: type[HttpToolsProtocol], *requests: bytes) -> Recorder:
    """Send `requests` on one connection (each in one read), let the server answer them."""
    protocol, transport = connect(protocol_class)
    for request in requests:
        await server_reads(protocol, request)
    return transport


GET = b"GET /small HTTP/1.1\r\nHost: t\r\n\r\n"
ANSWER = b'{"ok":true}'


async def test_an_answer_is_one_write_of_head_and_body() -> None:
    transport = await exchange(BoundedHttpToolsProtocol, GET, GET)
    assert len(transport.writes) == 2  # one per request
    for write in transport.writes:
        assert write.startswith(b"HTTP/1.1 200 OK\r\n") and write.endswith(b"\r\n\r\n" + ANSWER)
        assert b"content-length: 11\r\n" in write
    assert not transport.closed


async def test_pipelined_requests_are_answered_in_order_each_in_one_write() -> None:
    stream = b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n"
    transport = await exchange(BoundedHttpToolsProtocol, GET + stream + GET)  # in one read
    small, *streamed, last = transport.writes
    assert small.startswith(b"HTTP/1.1 200 OK\r\n") and small.endswith(b"\r\n\r\n" + ANSWER)
    assert streamed[0].startswith(b"HTTP/1.1 200 OK\r\n") and streamed[0].endswith(b"7\r\npart 1;\r\n")
    assert b"".join(streamed[1:]) == b"6\r\npart 2\r\n0\r\n\r\n"
    assert last == small


async def test_uvicorns_own_protocol_writes_the_head_apart_the_negative_control() -> None:
    transport = await exchange(HttpToolsProtocol, GET)
    assert len(transport.writes) == 2
    assert transport.writes[0].endswith(b"\r\n\r\n") and transport.writes[1] == ANSWER


async def test_a_streamed_answer_sends_its_head_with_the_first_part_then_the_rest() -> None:
    transport = await exchange(BoundedHttpToolsProtocol, b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
    first, *rest = transport.writes
    assert first.startswith(b"HTTP/1.1 200 OK\r\n") and b"transfer-encoding: chunked\r\n" in first
    assert first.endswith(b"\r\n\r\n7\r\npart 1;\r\n")
    assert b"".join(rest) == b"6\r\npart 2\r\n0\r\n\r\n"


async def test_a_head_request_gets_its_head() -> None:
    transport = await exchange(BoundedHttpToolsProtocol, b"HEAD /small HTTP/1.1\r\nHost: t\r\n\r\n")
    answer = b"".join(transport.writes)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"content-length: 11\r\n\r\n")


async def test_100_continue_goes_out_at_once_and_the_answer_after_the_body() -> None:
    protocol, transport = connect(BoundedHttpToolsProtocol)
    await server_reads(
        protocol, b"POST /upload HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"
    )
    assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]  # not held back: the client waits for it
    await server_reads(protocol, b"data")
    assert len(transport.writes) == 2 and transport.writes[1].endswith(b"\r\n\r\ngot data")


async def test_an_app_that_fails_after_starting_its_answer_sends_the_head_then_closes() -> None:
    transport = await exchange(BoundedHttpToolsProtocol, b"GET /fails HTTP/1.1\r\nHost: t\r\n\r\n")
    assert len(transport.writes) == 1 and transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.closed


@pytest.mark.parametrize("version", [b"1.0", b"1.1"])
async def test_a_connection_closed_after_its_answer_sends_it_whole_first(version: bytes) -> None:
    request = b"GET /small HTTP/" + version + b"\r\nHost: t\r\nConnection: close\r\n\r\n"
    transport = await exchange(BoundedHttpToolsProtocol, request)
    assert len(transport.writes) == 1 and transport.writes[0].endswith(ANSWER)
    assert transport.closed


@pytest.mark.parametrize("protocol_class", [HttpToolsProtocol, BoundedHttpToolsProtocol])
async def test_an_answered_request_is_freed_at_once_not_left_to_the_garbage_collector(
    protocol_class: type[HttpToolsProtocol],
) -> None:
    """A response cycle that referred to itself (a closure over its own `send`, say) would stay
    until the garbage collector ran: its pauses, under load, are in every answer's latency."""
    protocol, _ = connect(protocol_class)
    gc.collect()
    gc.disable()
    try:
        await server_reads(protocol, GET)
        first = weakref.ref(protocol.cycle)
        await server_reads(protocol, GET)  # the connection's next request: the first one's cycle is let go
        assert first() is None
    finally:
        gc.enable()
