"""The client's address, as recorded in the audit log and used to throttle sign-in.

Behind a reverse proxy the connection comes from the proxy, so every user would share its
address. The proxy passes the real one in `X-Forwarded-For` / `X-Real-IP`, but any client can
send those headers too: they are believed only when the operator says which proxies to trust,

    ASSESS_TRUSTED_PROXIES=1                       # how many proxies stand in front (hops), or
    ASSESS_TRUSTED_PROXIES=10.0.0.5,10.0.1.0/24    # the proxies' addresses or networks

Unset (the default) trusts nobody: the address is the connection's own.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

LOCAL = "127.0.0.1"  # Streamlit reports a connection from this machine as no address at all


def _ip(text: str) -> str | None:
    """`text` as a normalised IP address, or None if it is not one (ports and brackets dropped)."""
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:51000
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _trusted(setting: str) -> tuple[int, list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    """(hops, networks) from ASSESS_TRUSTED_PROXIES; anything unreadable trusts nobody."""
    setting = setting.strip()
    if not setting:
        return 0, []
    if setting.isdigit():
        return int(setting), []
    networks = []
    for part in setting.split(","):
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            continue
    return 0, networks


def resolve(peer: str | None, headers: Mapping[str, str], setting: str) -> str:
    """The client address for a connection from `peer` carrying `headers`, trusting `setting`.

    The chain is X-Forwarded-For's addresses followed by the peer, nearest last. With N hops the
    client is the N-th address before the peer; with a list, it is the nearest one that is not a
    trusted proxy. Entries the client could have written (further left) are never reached.
    """
    chain_end = _ip(peer or "") or LOCAL
    hops, networks = _trusted(setting)
    if not hops and not networks:
        return chain_end
    lower = {k.lower(): v for k, v in headers.items()}  # header names are case-insensitive
    # Several X-Forwarded-For lines arrive joined by commas; the list reads left (client) to right.
    forwarded = [_ip(p) for p in lower.get("x-forwarded-for", "").split(",") if p.strip()]
    if not forwarded and lower.get("x-real-ip"):
        forwarded = [_ip(lower["x-real-ip"])]
    chain = [*forwarded, chain_end]
    if hops:
        if len(chain) <= hops:
            return chain_end  # the proxies did not say who the client is: keep what we know
        found = chain[-(hops + 1)]
        return found if found is not None else chain_end
    for address in reversed(chain):
        if address is None:
            break  # garbage where an address should be: stop at the last one we could read
        if not any(ipaddress.ip_address(address) in net for net in networks):
            return address
        chain_end = address
    return chain_end


def client_address() -> str:
    """The address of the browser this Streamlit run serves (see the module docstring)."""
    import streamlit as st

    headers = dict(st.context.headers or {})
    return resolve(st.context.ip_address, headers, os.environ.get("ASSESS_TRUSTED_PROXIES", ""))
