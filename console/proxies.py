"""The client's address and scheme as the console sees them: the connection's, unless it comes
from a proxy that FORWARDED_ALLOW_IPS names (config.py). From such a proxy, the client is the
rightmost address of X-Forwarded-For that is not itself a trusted proxy (what the bureau's proxy
appended; anything left of it the client may have written), and X-Forwarded-Proto: https makes the
request https (the session cookie is then Secure). From anyone else both headers are ignored, so
no client can pick the address the login throttle and the audit log see.

The console serves with uvicorn's own proxy-header handling off (it would trust loopback).
"""
from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Iterable, List, Optional, Sequence, Tuple, Union

from starlette.types import ASGIApp, Receive, Scope, Send

Address = Union[IPv4Address, IPv6Address]
Network = Union[IPv4Network, IPv6Network]


def parse_networks(raw: str) -> Tuple[Network, ...]:
    """'127.0.0.1, 172.18.0.0/16, ::1' → networks; ValueError naming the entry it cannot read."""
    networks = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network (like 10.0.0.1 or 172.18.0.0/16)") from None
    return tuple(networks)


def address_of(text: str) -> Optional[Address]:
    try:
        address = ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: Optional[Address], proxies: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in proxies)


def forwarded_client(peer: str, forwarded_for: Iterable[str], proxies: Sequence[Network]) -> str:
    """The client behind trusted proxy `peer`, from the X-Forwarded-For header values, right to
    left; the peer itself when an entry there is not an address (the chain cannot be read)."""
    entries: List[str] = [entry for value in forwarded_for for entry in value.split(",")]
    for entry in reversed(entries):
        address = address_of(entry)
        if address is None:
            return peer
        if not is_trusted(address, proxies):
            return str(address)
    return str(address_of(entries[0])) if entries else peer


class TrustedProxies:
    """ASGI middleware: the scope's client and scheme as a trusted proxy forwarded them."""

    def __init__(self, app: ASGIApp, proxies: Sequence[Network]) -> None:
        self.app = app
        self.proxies = tuple(proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and self.proxies and client and is_trusted(address_of(client[0]), self.proxies):
            scope = dict(scope, client=(forwarded_client(client[0], self._header(scope, b"x-forwarded-for"), self.proxies), 0))
            scheme = ",".join(self._header(scope, b"x-forwarded-proto")).split(",")[-1].strip().lower()
            if scheme in ("http", "https"):
                scope["scheme"] = scheme
        await self.app(scope, receive, send)

    @staticmethod
    def _header(scope: Scope, name: bytes) -> List[str]:
        return [value.decode("latin-1") for key, value in scope["headers"] if key.lower() == name]
