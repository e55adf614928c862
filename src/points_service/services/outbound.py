"""Sending one signed POST to a webhook endpoint, safely.

* **Resolved and vetted at send time.** The host is resolved on every attempt and every address
  it names must be public (`domain.network`), unless private ones are allowed. The request then
  goes to the vetted address itself (the URL's host replaced by the IP, `Host` and, for https,
  TLS's SNI and certificate check kept on the name), so a name that resolves to a public address
  for the check and to a private one for the connection (DNS rebinding) gains nothing.
* **No redirects** (`follow_redirects=False`): a 3xx is a failed attempt, never a second request
  to wherever it points.
* **Bounded**: one deadline per attempt (`timeout` seconds for connecting, sending and reading),
  and at most `MAX_RESPONSE_BYTES` of the answer are read.
* **Signed** per Standard Webhooks: `webhook-id` (the event's id, the same on every retry),
  `webhook-timestamp` (the wall clock: receivers compare it with theirs) and `webhook-signature`,
  one `v1,…` per secret in use (two for a day after a rotation), separated by spaces.

Nothing here logs or returns a secret.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

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


def vet(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> tuple[Target, IPAddress]:
    """The URL's target and the address to connect to; `UrlRefusedError` if the policy refuses.

    Plain http is allowed only to public hosts, which `check_addresses` demands of every host
    unless private ones are allowed: so the scheme rule needs no check of its own here."""
    target = parse_target(url)
    addresses = resolver(target.host, target.port)
    check_addresses(target, addresses, allow_private=allow_private)
    return target, addresses[0]


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
    """POST `payload` (JSON) to `url`, signed with `secrets`; never raises for the receiver's sake."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target, address = vet(url, allow_private=allow_private, resolver=resolver)
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
    deadline = started + timeout
    try:
        request_url = httpx.URL(url).copy_with(host=str(address))
        with client.stream(
            "POST",
            request_url,
            content=payload.encode(),
            headers=headers,
            extensions=extensions,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        ) as response:
            received = 0
            head = b""
            for chunk in response.iter_raw():
                if len(head) < 200:
                    head += chunk[: 200 - len(head)]
                received += len(chunk)
                if received >= MAX_RESPONSE_BYTES or time.monotonic() > deadline:
                    break  # the rest is never read; the connection is closed, not reused
            code = response.status_code
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
