"""The SSRF rules: which addresses a webhook may reach, and which URLs it may have."""

from __future__ import annotations

import ipaddress

import pytest

from points_service.domain.network import UrlRefusedError, check_addresses, is_public, parse_target
from points_service.services.outbound import vet


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "169.254.169.254", "0.0.0.0",
        "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:7f00:1::",
    ],
)  # fmt: skip
def test_private_and_special_addresses_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "example.com/hook", "https://", "https://user:pw@example.com/", "https://a/#x"]
)
def test_urls_that_are_not_plain_http_targets_are_refused(url: str) -> None:
    with pytest.raises(UrlRefusedError):
        parse_target(url)


def test_every_address_of_a_name_counts() -> None:
    target = parse_target("https://hooks.example.com/x")
    public, private = ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("10.1.2.3")
    check_addresses(target, [public], allow_private=False)
    with pytest.raises(UrlRefusedError, match=r"10\.1\.2\.3"):
        check_addresses(target, [public, private], allow_private=False)
    check_addresses(target, [private], allow_private=True)
    with pytest.raises(UrlRefusedError, match="does not resolve"):
        check_addresses(target, [], allow_private=True)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/", "http://[::1]/", "http://10.0.0.1/", "http://169.254.169.254/", "http://localhost/"]
)
def test_vet_resolves_names_and_refuses_private_targets(url: str) -> None:
    with pytest.raises(UrlRefusedError, match="not a public address"):
        vet(url, allow_private=False)
    vet(url, allow_private=True)


def test_vet_connects_to_the_address_it_checked() -> None:
    def rebinding(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address("93.184.216.34")]

    target, address = vet("http://hooks.example.com:8080/x", allow_private=False, resolver=rebinding)
    assert (target.host, target.port, str(address)) == ("hooks.example.com", 8080, "93.184.216.34")
