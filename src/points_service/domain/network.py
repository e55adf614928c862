"""Where the service may send a request: the rules against server-side request forgery (SSRF).

Pure rules, no I/O: a webhook endpoint's URL is chosen by whoever holds an admin key, and the
service sends it POSTs from inside its own network. Without these rules an endpoint could aim at
the cloud's metadata service (169.254.169.254), a database on the private network, or the
service's own loopback ports. So only public addresses are allowed (unless the operator says
otherwise, `POINTS_WEBHOOK_ALLOW_PRIVATE`), checked on every address a name resolves to, at
creation and again at every delivery (`services.outbound`), since a name may resolve elsewhere
later.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges the `ipaddress` flags miss or name differently: carrier-grade NAT (shared address space)
# is not `is_private` in every Python version, and NAT64's well-known prefix embeds IPv4
# addresses (checked on the embedded one).
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UrlRefusedError(ValueError):
    """The URL may not be used as a webhook endpoint; the message says why (shown to the client)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A URL split into what a sender needs: scheme, host (no brackets) and port."""

    scheme: str
    host: str
    port: int

    @property
    def literal(self) -> IPAddress | None:
        """The host as an IP address, if it is one."""
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None


def is_public(address: IPAddress) -> bool:
    """Whether an address is one the open Internet routes to (and so one a webhook may reach).

    Refused: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), shared (100.64/10),
    link-local (169.254/16, fe80::/10), unspecified, multicast, reserved, and the IPv4-mapped,
    IPv4-compatible, 6to4 and NAT64 forms of any of these."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and int(address) >> 32 == 0 and int(address) > 1:  # ::a.b.c.d (deprecated)
            embedded = ipaddress.IPv4Address(int(address))
        if embedded is not None:
            return is_public(embedded)
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return False
    return (
        not (
            address.is_loopback
            or address.is_private
            or address.is_link_local
            or address.is_unspecified
            or address.is_multicast
            or address.is_reserved
            or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
        )
        and address.is_global
    )


def parse_target(url: str) -> Target:
    """The URL's scheme, host and port; `UrlRefusedError` unless it is an absolute http(s) URL
    with a host, and no user name or password (they would be sent to the receiver in clear)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefusedError(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlRefusedError("the URL must start with https:// (or http://)")
    if not parts.hostname:
        raise UrlRefusedError("the URL must name a host")
    if parts.username is not None or parts.password is not None:
        raise UrlRefusedError("the URL must not carry a user name or password")
    if parts.fragment:
        raise UrlRefusedError("the URL must not have a fragment")
    return Target(scheme, parts.hostname.rstrip(".").lower(), port or (443 if scheme == "https" else 80))


def check_addresses(target: Target, addresses: list[IPAddress], *, allow_private: bool) -> None:
    """Refuse a target that resolves to no address, or to any address that is not public.

    Every address counts, not just the first: a client (ours, or a retry) may use any of them.
    `allow_private` (a test or a private deployment) lets every address through."""
    if not addresses:
        raise UrlRefusedError(f"the host {target.host!r} does not resolve to any address")
    if allow_private:
        return
    for address in addresses:
        if not is_public(address):
            raise UrlRefusedError(
                f"the host {target.host!r} resolves to {address}, which is not a public address "
                "(loopback, private, link-local and similar addresses are refused)"
            )
