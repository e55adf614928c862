"""Request guards that run before routing: the request target (414) and header fields (431), the
body's size (413) and media type (415).

The head's limits are far above what any client of this API sends (its longest header, an
`Authorization` or a `webhook-signature`, is a few hundred bytes), and low enough that a request
cannot make the service hold much of it. The server refuses a head larger than MAX_HEAD_BYTES in
all before the app sees it (`api/protocol.py`); these guards answer the rest with a problem document.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from .problems import MEDIA_TYPE, problem_document, render_problem
from .routing import replaying

MAX_BODY_BYTES = 64 * 1024
MAX_TARGET_BYTES = 8 * 1024  # the path and the query string
MAX_FIELD_BYTES = 8 * 1024  # one header field, counted as sent: `name: value` and its CRLF
MAX_FIELDS_BYTES = 32 * 1024  # every header field together, counted the same way
# What the server reads of a head (request line and header fields) before refusing it: above the
# largest head these guards let through (8 KiB of target and 32 KiB of fields).
MAX_HEAD_BYTES = 64 * 1024
_WITH_BODY = {"POST", "PUT", "PATCH"}
_BODY_TOO_LARGE = f"request bodies are limited to {MAX_BODY_BYTES} bytes"


async def refuse(send: Send, base_uri: str, slug: str, detail: str) -> None:
    """Answer a problem document straight from a guard, before any route or handler."""
    doc = problem_document(base_uri, slug, detail)
    payload = render_problem(doc).encode()
    await send(
        {
            "type": "http.response.start",
            "status": doc["status"],
            "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class HeadGuard:
    """Refuses a request target over MAX_TARGET_BYTES (414), a header field over MAX_FIELD_BYTES or
    header fields over MAX_FIELDS_BYTES in all (431)."""

    def __init__(self, app: ASGIApp, *, problem_base_uri: str) -> None:
        self.app = app
        self.base = problem_base_uri

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope["query_string"]
        target = len(scope.get("raw_path") or scope["path"].encode()) + (len(query) + 1 if query else 0)
        if target > MAX_TARGET_BYTES:
            detail = f"the request target is {target} bytes; it is limited to {MAX_TARGET_BYTES}"
            await refuse(send, self.base, "uri-too-long", detail)
            return
        total = 0
        for name, value in scope["headers"]:
            size = len(name) + len(value) + 4
            if size > MAX_FIELD_BYTES:
                shown = name[:64].decode("latin-1")
                detail = f"the header field {shown} is {size} bytes; each is limited to {MAX_FIELD_BYTES}"
                await refuse(send, self.base, "request-header-fields-too-large", detail)
                return
            total += size
        if total > MAX_FIELDS_BYTES:
            detail = f"the header fields are {total} bytes in all; they are limited to {MAX_FIELDS_BYTES}"
            await refuse(send, self.base, "request-header-fields-too-large", detail)
            return
        await self.app(scope, receive, send)


class BodyGuard:
    """Reads at most MAX_BODY_BYTES of a request body, refusing bigger ones and non-JSON ones (the
    pages' forms under /ui/ send `application/x-www-form-urlencoded`)."""

    def __init__(self, app: ASGIApp, *, problem_base_uri: str) -> None:
        self.app = app
        self.base = problem_base_uri

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            await refuse(send, self.base, "payload-too-large", _BODY_TOO_LARGE)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                await refuse(send, self.base, "payload-too-large", _BODY_TOO_LARGE)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        form = media == b"application/x-www-form-urlencoded" and scope["path"].startswith("/ui/")
        if body and not (media == b"application/json" or media.endswith(b"+json") or form):
            await refuse(send, self.base, "unsupported-media-type", "request bodies must be application/json")
            return

        await self.app(scope, replaying(body, receive), send)
