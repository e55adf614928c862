"""The server's bound on a request's head (api/protocol.py), over real TCP connections.

A client sends a request line and an `Authorization` header of 8 MB, a chunk at a time, and looks
for an answer between chunks. The server must answer 431 `request-header-fields-too-large` (a
problem document) once it has read 64 KiB of the head, long before the 8 MB are sent, and close the
connection; then serve the next client as usual. A head with a 4 KiB header field passes. (Each
limit the app itself enforces is tests/api/test_request_limits.py.)
"""

from __future__ import annotations

import json
import re
import select
import socket
import time
from urllib.parse import urlsplit

import httpx

from points_service.api.limits import MAX_HEAD_BYTES

from support.servers import Server

HEADER_BYTES = 8 * 1024 * 1024
CHUNK = 64 * 1024
ANSWER_WAIT = 0.02  # seconds to look for an answer after each chunk
TIMEOUT = 10.0


def _address(server: Server) -> tuple[str, int]:
    parts = urlsplit(server.base_url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def _read_answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a reset after its answer, too),
    or until it has been silent for TIMEOUT."""
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass  # it closed with our unread bytes still queued: Linux resets, after what it sent
    except TimeoutError:
        pass  # it keeps the connection open: the assertions on the answer say what came
    return answer


def send_huge_header(server: Server) -> tuple[int, bytes, float]:
    """Send `GET /v1/plans` with an 8 MB Authorization header until the server answers or hangs
    up; the bytes of the header sent by then, the answer, and the seconds it took."""
    started = time.monotonic()
    with socket.create_connection(_address(server), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /v1/plans HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ")
        sent = 0
        while sent < HEADER_BYTES:
            if select.select([sock], [], [], ANSWER_WAIT)[0]:
                break  # an answer, or the end of the connection
            try:
                sock.sendall(b"k" * CHUNK)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += CHUNK
        return sent, _read_answer(sock), time.monotonic() - started


def test_an_8_mb_header_is_refused_after_64_kib_and_the_server_stays_healthy(live_server: Server) -> None:
    sent, answer, seconds = send_huge_header(live_server)

    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    assert status_line == "HTTP/1.1 431 Request Header Fields Too Large", (sent, answer[:500])
    headers = dict(field.lower().split(": ", 1) for field in fields)
    assert headers["content-type"] == "application/problem+json" and headers["connection"] == "close"
    problem = json.loads(body)
    assert problem["type"] == "/problems/request-header-fields-too-large" and problem["status"] == 431
    assert len(body) == int(headers["content-length"])
    # A request id of its own, on the answer and on the server's log line, as every other answer.
    request_id = headers["x-request-id"]
    assert re.fullmatch("[0-9a-f]{32}", request_id), request_id
    logged = [json.loads(line) for line in live_server.log.read_text().splitlines() if request_id in line]
    assert [(entry["level"], entry["request_id"]) for entry in logged] == [("warning", request_id)], logged
    assert "answered 431" in logged[0]["message"]
    # Refused once the server had read 64 KiB, while the client was still sending: the rest of the
    # 8 MB was never sent (what was sent beyond it lay in the sockets' buffers).
    assert sent < 16 * MAX_HEAD_BYTES, f"{sent} bytes of the header were sent before the answer"
    assert seconds < TIMEOUT / 2, f"the answer took {seconds:.1f} s"

    with httpx.Client(base_url=live_server.base_url, timeout=TIMEOUT) as http:
        assert http.get("/readyz").status_code == 200
        r = http.get("/v1/plans", headers={**live_server.auth("admin"), "X-Padding": "p" * 4096})
        assert r.status_code == 200, r.text


def test_a_header_over_the_apps_limit_but_under_the_servers_is_the_apps_431(live_server: Server) -> None:
    with httpx.Client(base_url=live_server.base_url, timeout=TIMEOUT) as http:
        r = http.get("/v1/plans", headers={**live_server.auth("admin"), "X-Padding": "p" * (16 * 1024)})
        assert r.status_code == 431 and r.headers["content-type"] == "application/problem+json", r.text
        assert "x-padding" in r.json()["detail"]  # the guard's document, naming the field
        assert r.headers["x-request-id"]  # answered inside the app, with its request id
        assert http.get("/v1/plans", headers=live_server.auth("admin")).status_code == 200
