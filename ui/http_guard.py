"""What every HTTP answer of the production server carries, and what it refuses (serve.py).

One ASGI middleware in front of Streamlit (st.App runs user middleware first):

- Host allow-list (ASSESS_ALLOWED_HOSTS, comma-separated; loopback names always allowed): a
  request naming any other host — DNS rebinding, a mistyped proxy — is refused, websocket
  included. serve.py also hands the list to Streamlit's own `server.allowedHosts`.
- Security headers on every response: a Content-Security-Policy that lets the Streamlit frontend
  run (its inline styles and scripts, data:/blob: images, its websocket back to this host) but
  nothing from other sites, and no framing by other sites (frame-ancestors, X-Frame-Options);
  X-Content-Type-Options, Referrer-Policy, Permissions-Policy; HSTS when the request came over
  HTTPS (directly or as the proxy's X-Forwarded-Proto says).
- `/_stcore/metrics` (Streamlit's process statistics) is not served: nobody signed in may read
  it, and the app does not need it.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlparse

log = logging.getLogger(__name__)
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK = ("localhost", "127.0.0.1", "::1")
BLOCKED_SUFFIXES = ("/_stcore/metrics",)
HSTS = "max-age=31536000; includeSubDomains"
HOST_CHARS = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:]+\](:[0-9]{1,5})?")
REFUSED_HOST = "此访问地址未获允许，请联系系统管理员。".encode()


def allowed_hosts() -> list[str]:
    """Host names this server answers to: ASSESS_ALLOWED_HOSTS plus the loopback names."""
    extra = [h.strip().lower().rstrip(".") for h in os.environ.get("ASSESS_ALLOWED_HOSTS", "").split(",")]
    return list(LOOPBACK) + [h for h in extra if h and h not in LOOPBACK]


def host_of(header: str) -> str | None:
    """The host name of a Host header ('Example.org:8501' → 'example.org'); None if malformed."""
    try:
        parsed = urlparse(f"//{header}")
        _ = parsed.port  # validates the port
    except ValueError:
        return None
    if not parsed.hostname or parsed.username or parsed.password or parsed.path or parsed.query:
        return None
    return parsed.hostname.lower().rstrip(".")


def host_allowed(header: str, hosts: list[str]) -> bool:
    name = host_of(header)
    if name is None:
        return False
    for pattern in hosts:
        if pattern == "*" or name == pattern or (pattern.startswith("*.") and name.endswith(pattern[1:])):
            return True
    return False


def content_security_policy(host_header: str) -> str:
    # Streamlit's frontend sets inline styles and runs the inline scripts st.html is given
    # (ui/guard.go_to) and compiles WebAssembly; charts and images come as data:/blob: URLs;
    # nothing is fetched from other sites (app.py's icon is an emoji); the websocket goes back
    # to the same host ('self' covers ws/wss in current browsers; named for older ones).
    socket = f"ws://{host_header} wss://{host_header}" if HOST_CHARS.fullmatch(host_header) else ""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",  # WebAssembly only, no JS eval
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "media-src 'self' data: blob:",
            f"connect-src 'self' {socket}".rstrip(),
            "worker-src 'self' blob:",
            "frame-src 'self' blob: data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",  # other sites cannot frame the app (clickjacking)
        )
    )


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def is_https(scope: Scope, headers: dict[str, str]) -> bool:
    return scope.get("scheme") in ("https", "wss") or headers.get("x-forwarded-proto", "").lower() == "https"


class HttpGuard:
    """The middleware (Starlette `Middleware(HttpGuard)`); hosts are read once, at start."""

    def __init__(self, app: ASGIApp, hosts: list[str] | None = None) -> None:
        self.app = app
        self.hosts = hosts if hosts is not None else allowed_hosts()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host", "")
        if not host_allowed(host, self.hosts):
            log.warning("refused a request for host %r: add it to ASSESS_ALLOWED_HOSTS if it is ours", host[:100])
            await self._refuse(scope, send, 400, REFUSED_HOST)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        if scope.get("path", "").rstrip("/").endswith(BLOCKED_SUFFIXES):
            await self._refuse(scope, send, 404, "未找到。".encode())
            return
        extra = self._security_headers(scope, headers, host)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [(k, v) for k, v in extra if k not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _security_headers(scope: Scope, headers: dict[str, str], host: str) -> list[tuple[bytes, bytes]]:
        out = {
            "content-security-policy": content_security_policy(host),
            "x-frame-options": "SAMEORIGIN",
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
            "permissions-policy": "camera=(), microphone=(), geolocation=()",
        }
        if is_https(scope, headers):
            out["strict-transport-security"] = HSTS
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in out.items()]

    @staticmethod
    async def _refuse(scope: Scope, send: Send, status: int, body: bytes) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
