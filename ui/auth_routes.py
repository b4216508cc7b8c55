"""The two HTTP routes that keep a sign-in across browser refreshes (mounted by serve.py on st.App).

A Streamlit page talks to the server over a websocket and cannot set cookies, so after the
login form has checked the password (pages/login.py) the browser is sent to
`/account/session?ticket=…&next=…`: that route trades the one-time ticket for the session token and
sets it as an HttpOnly, SameSite=Strict cookie (never readable by page scripts, never sent by
other sites), then redirects to the app — to the page and view a shared link asked for before
signing in (`next`, checked against the app's own pages). Every new page load reads the cookie through
`st.context.cookies` and checks the session in the database (ui/guard.py).

`POST /account/logout` (a form the app submits, ui/guard.end_session) ends the cookie's session
in the database and deletes the cookie. It answers only requests from our own pages
(Sec-Fetch-Site, else Origin): another site cannot sign a user out, and a GET does nothing.
Under plain `streamlit run app.py` these routes do not exist: sign-in then lasts until the
browser tab is reloaded (the login page says so).

A database that is not ready (a fresh one the app has not set up yet, or one that is down) makes
either route redirect to the app without a cookie change, never answer 500.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlparse

log = logging.getLogger(__name__)
COOKIE = "assess_session"
SESSION_PATH = "/account/session"
LOGOUT_PATH = "/account/logout"
COOKIE_MAX_AGE = 12 * 3600  # the server ends sessions sooner (idle timeout); this bounds the cookie
_state = {"mounted": False}


def mounted() -> bool:
    """True when this process serves the routes (started through serve.py)."""
    return _state["mounted"]


def _secure(request: Any) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


def _cross_site(request: Any) -> bool:
    # Browsers say where a navigation came from; a ticket may only be redeemed from our own page.
    return request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")


def _same_origin_post(request: Any) -> bool:
    """A form of our own pages: Sec-Fetch-Site says so, or (older browsers) Origin names this
    host; a request that says neither is refused too."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return False
    try:
        named = urlparse(origin).hostname
        ours = urlparse(f"//{request.headers.get('host', '')}").hostname
    except ValueError:
        return False
    return named is not None and named == ours


def _home() -> str:
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def _return_to(asked: str) -> str:
    """Where to send the browser after sign-in: the page a shared link named (one of the app's
    pages, with only the view's query parameters), else the home page. Rebuilt from the parts
    checked here, so the route cannot be made to redirect anywhere else (an open redirect)."""
    from urllib.parse import parse_qsl, urlencode

    from ui.nav import PAGES
    from ui.url_state import KEYS

    allowed = (*KEYS, "task")  # the view's parameters, and a message's task

    stem, _, query = asked.partition("?")
    stems = {p.split("/")[-1].removesuffix(".py") for pages in PAGES.values() for p, _, _ in pages}
    if stem not in stems:
        return _home()
    kept = [(k, v) for k, v in parse_qsl(query)[:20] if k in allowed and len(v) <= 100]
    return _home() + stem + (f"?{urlencode(kept)}" if kept else "")


async def _session(request: Any) -> Any:
    from sqlalchemy.exc import SQLAlchemyError
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import RedirectResponse

    from services.accounts import redeem_ticket

    target = _return_to(request.query_params.get("next", ""))
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    if _cross_site(request):
        return response
    try:
        token = await run_in_threadpool(redeem_ticket, request.query_params.get("ticket", ""))
    except SQLAlchemyError as exc:  # not set up yet (the app does it on its first page) or down
        log.warning("sign-in ticket not redeemed, the database is not ready: %s", exc.__class__.__name__)
        return response
    if token:
        response.set_cookie(
            COOKIE, token, max_age=COOKIE_MAX_AGE, path="/", httponly=True, samesite="strict", secure=_secure(request)
        )
    return response


async def _logout(request: Any) -> Any:
    from sqlalchemy.exc import SQLAlchemyError
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import RedirectResponse

    from services.accounts import logout

    response = RedirectResponse(_home(), status_code=303, headers={"Cache-Control": "no-store"})
    if not _same_origin_post(request):
        return response  # another site's form: nothing happens
    token = request.cookies.get(COOKIE, "")
    if token:
        try:
            await run_in_threadpool(logout, token)  # the session ends on the server, not only the cookie
        except SQLAlchemyError as exc:  # this browser is still signed out; the idle timeout ends the rest
            log.warning("logout: the session could not be ended, the database is not ready: %s", exc.__class__.__name__)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


def routes() -> list:
    """The routes for st.App(routes=…); calling this marks them as served by this process."""
    from starlette.routing import Route

    _state["mounted"] = True
    return [Route(SESSION_PATH, _session, methods=["GET"]), Route(LOGOUT_PATH, _logout, methods=["POST"])]
