"""Request guards that run before routing: body size (413) and media type (415)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import MEDIA_TYPE, problem_document, render_problem

MAX_BODY_BYTES = 64 * 1024
_WITH_BODY = {"POST", "PUT", "PATCH"}


class BodyGuard:
    """Reads at most MAX_BODY_BYTES of a request body, refusing bigger ones and non-JSON ones."""

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
            await self._refuse(send, "payload-too-large", f"request bodies are limited to {MAX_BODY_BYTES} bytes")
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                await self._refuse(send, "payload-too-large", f"request bodies are limited to {MAX_BODY_BYTES} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if body and not (media == b"application/json" or media.endswith(b"+json")):
            await self._refuse(send, "unsupported-media-type", "request bodies must be application/json")
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, slug: str, detail: str) -> None:
        doc = problem_document(self.base, slug, detail)
        status = doc["status"]
        payload = render_problem(doc).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})
