"""Sending one signed POST to a webhook endpoint, safely.

* **Resolved and vetted at send time.** The host is resolved on every attempt and every address
  it names must be public (`domain.network`), unless private ones are allowed. The request then
  goes to the vetted address itself (the URL's host replaced by the IP, `Host` and, for https,
  TLS's SNI and certificate check kept on the name), so a name that resolves to a public address
  for the check and to a private one for the connection (DNS rebinding) gains nothing.
* **No redirects** (`follow_redirects=False`): a 3xx is a failed attempt, never a second request
  to wherever it points.
* **Bounded**: one deadline per attempt, `timeout` seconds from its start for everything — the
  name's resolution (on a thread of its own, waited for at most until the deadline: the system
  resolver takes no timeout), waiting for a pooled connection, connecting, TLS, sending and
  reading the answer — and at most `MAX_RESPONSE_BYTES` of the answer are read. httpx's own
  timeouts are per operation (a receiver trickling a byte a second would never trip a 10 s read
  timeout), so the client's network backend (`_DeadlineBackend`) gives every socket operation
  at most the time left until the attempt's deadline, and fails it once none is left.
* **Signed** per Standard Webhooks: `webhook-id` (the event's id, the same on every retry),
  `webhook-timestamp` (the wall clock: receivers compare it with theirs) and `webhook-signature`,
  one `v1,…` per secret in use (two for a day after a rotation), separated by spaces.

Nothing here logs or returns a secret.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpcore
import httpx
from standardwebhooks.webhooks import Webhook

from ..domain.delivery import MAX_RESPONSE_BYTES
from ..domain.network import IPAddress, Target, UrlRefusedError, check_addresses, parse_target

Resolver = Callable[[str, int], list[IPAddress]]


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for `host` (an IP literal is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])  # drop an IPv6 zone
        if address not in found:
            found.append(address)
    return found


RESOLVE_TIMEOUT = 10.0  # seconds a name may take to resolve when an endpoint is made


class ResolveTimeoutError(UrlRefusedError):
    """The name did not resolve in the time given (refused at creation; a failed attempt later)."""


def resolve_within(resolver: Resolver, host: str, port: int, seconds: float) -> list[IPAddress]:
    """`resolver(host, port)`, waited for at most `seconds`; `UrlRefusedError` after that.

    The look-up runs on a daemon thread of its own: `getaddrinfo` cannot be interrupted, so a
    look-up that outlives the wait ends by itself later (the resolver's own timeouts), unwaited."""
    found: list[list[IPAddress]] = []
    failed: list[BaseException] = []
    done = threading.Event()

    def look_up() -> None:
        try:
            found.append(resolver(host, port))
        except BaseException as exc:  # handed to the caller, as if it had called the resolver
            failed.append(exc)
        finally:
            done.set()

    threading.Thread(target=look_up, name="points-resolve", daemon=True).start()
    if not done.wait(max(0.0, seconds)):
        raise ResolveTimeoutError(f"the host {host!r} did not resolve within {seconds:g} s")
    if failed:
        raise failed[0]
    return found[0]


def vet(
    url: str, *, allow_private: bool, resolver: Resolver = resolve, within: float = RESOLVE_TIMEOUT
) -> tuple[Target, IPAddress]:
    """The URL's target and the address to connect to; `UrlRefusedError` if the policy refuses
    (or the name does not resolve within `within` seconds).

    Plain http is allowed only to public hosts, which `check_addresses` demands of every host
    unless private ones are allowed: so the scheme rule needs no check of its own here."""
    target = parse_target(url)
    addresses = resolve_within(resolver, target.host, target.port, within)
    check_addresses(target, addresses, allow_private=allow_private)
    return target, addresses[0]


# -- the deadline of an attempt -----------------------------------------------------------------

_attempt = threading.local()  # .deadline: the time.monotonic() the current attempt must end by


@contextlib.contextmanager
def _deadline(at: float) -> Iterator[None]:
    """Every socket operation of this thread's requests ends by `at` (time.monotonic())."""
    _attempt.deadline = at
    try:
        yield
    finally:
        _attempt.deadline = None


def _within(timeout: float | None, expired: type[Exception]) -> float | None:
    """An operation's timeout cut to the time left before the attempt's deadline (if any)."""
    deadline: float | None = getattr(_attempt, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the attempt's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read, write and TLS handshake ends by the attempt's deadline.

    The deadline is read at each operation, from the thread doing it, so a pooled connection
    reused by another attempt (on another sender thread) obeys that attempt's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, _within(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own synchronous sockets, with the attempt's deadline on every operation."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        within = _within(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_tcp(host, port, within, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        within = _within(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, within, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _Transport(httpx.HTTPTransport):
    """httpx's transport over a connection pool on `_DeadlineBackend` (httpx takes no network
    backend: the pool it made is replaced by one made the same way with the backend; the
    deadline tests of tests/api/test_push.py fail if a new httpx stops using it)."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        limits = httpx.Limits()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )


def client(timeout: float) -> httpx.Client:
    """The client every attempt of a dispatcher shares (its connections pooled): no redirects, no
    proxies from the environment, the attempt's deadline on every socket operation."""
    return httpx.Client(transport=_Transport(), follow_redirects=False, timeout=timeout, trust_env=False)


def sign(secrets: Sequence[str], msg_id: str, at: datetime, payload: str) -> str:
    """`webhook-signature`: one `v1,<base64>` per secret, space-separated."""
    return " ".join(Webhook(secret).sign(msg_id, at, payload) for secret in secrets)


@dataclass(frozen=True, slots=True)
class Sent:
    """What came of one attempt: the status (None: no answer), how long it took, and why it failed."""

    status_code: int | None
    duration_ms: int
    error: str | None


def post(
    client: httpx.Client,
    url: str,
    *,
    msg_id: str,
    payload: str,
    secrets: Sequence[str],
    timeout: float,
    allow_private: bool,
    resolver: Resolver = resolve,
) -> Sent:
    """POST `payload` (JSON) to `url`, signed with `secrets`, all of it within `timeout` seconds
    (`client` must be one of `client()`'s); never raises for the receiver's sake."""
    started = time.monotonic()
    deadline = started + timeout

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target, address = vet(url, allow_private=allow_private, resolver=resolver, within=timeout)
    except ResolveTimeoutError as exc:
        return Sent(None, took(), f"timed out after {timeout:g} s: {exc}")
    except UrlRefusedError as exc:
        return Sent(None, took(), f"refused: {exc}")
    now = datetime.fromtimestamp(int(time.time()), tz=UTC)
    default_port = 443 if target.scheme == "https" else 80
    headers = {
        "content-type": "application/json",
        "user-agent": "points-service-webhooks/1",
        "host": target.host if target.port == default_port else f"{_bracketed(target.host)}:{target.port}",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": sign(secrets, msg_id, now, payload),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" and target.literal is None else {}
    try:
        request_url = httpx.URL(url).copy_with(host=str(address))
        left = deadline - time.monotonic()
        if left <= 0:
            raise httpx.ConnectTimeout("the attempt's deadline passed while the name resolved")
        with (
            _deadline(deadline),
            client.stream(
                "POST",
                request_url,
                content=payload.encode(),
                headers=headers,
                extensions=extensions,
                timeout=httpx.Timeout(left),  # waiting for a pooled connection included
                follow_redirects=False,
            ) as response,
        ):
            code = response.status_code
            received = 0
            head = b""
            try:
                for chunk in response.iter_raw():
                    if len(head) < 200:
                        head += chunk[: 200 - len(head)]
                    received += len(chunk)
                    if received >= MAX_RESPONSE_BYTES:
                        break  # the rest is never read; the connection is closed, not reused
            except httpx.TimeoutException:
                pass  # the status came in time: the rest of the body is not needed
    except httpx.TimeoutException:
        return Sent(None, took(), f"timed out after {timeout:g} s")
    except (httpx.HTTPError, OSError, ValueError) as exc:
        return Sent(None, took(), f"{type(exc).__name__}: {str(exc)[:200]}" if str(exc) else type(exc).__name__)
    if 200 <= code < 300:
        return Sent(code, took(), None)
    error = f"HTTP {code}"
    if 300 <= code < 400:
        error += " (redirects are not followed)"
    snippet = head.decode("utf-8", "replace").strip()
    return Sent(code, took(), f"{error}: {snippet}"[:500] if snippet else error)


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
