"""The client's address: the TCP peer, or, when the peer is a trusted proxy (TRUSTED_PROXIES, in the
cluster the ingress), the right-most address in X-Forwarded-For that is not itself a trusted proxy.
A client can write anything into X-Forwarded-For; only what the trusted proxies appended counts.

The app does this itself so it holds however the server is started: `python -m todo_api` turns
uvicorn's own proxy-header handling off (with it on, uvicorn would rewrite the peer address from
loopback peers before the app sees it).
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.requests import Request


def _trusted(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: Request) -> str | None:
    """The client's address, or None when it cannot be known: no peer, or a trusted peer whose
    X-Forwarded-For names no address outside the trusted proxies (all-trusted or missing). Such a
    request must not be keyed by the proxy's address, which every client behind it shares: the
    throttles key it by the account or email it names instead (routes/auth.py)."""
    peer = request.client.host if request.client else None
    networks = request.app.state.settings.trusted_proxy_networks
    if peer is None or not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return None
