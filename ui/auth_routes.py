"""The two HTTP routes that keep a sign-in across browser refreshes (mounted by serve.py on st.App).

A Streamlit page talks to the server over a websocket and cannot set cookies, so after the
login form has checked the password (pages/login.py) the browser is sent to
`/account/session?ticket=…`: that route trades the one-time ticket for the session token and
sets it as an HttpOnly, SameSite=Strict cookie (never readable by page scripts, never sent by
other sites), then redirects to the app. Every new page load reads the cookie through
`st.context.cookies` and checks the session in the database (ui/guard.py). `/account/logout`
deletes the cookie. Under plain `streamlit run app.py` these routes do not exist: sign-in then
lasts until the browser tab is reloaded (the login page says so).
"""

from __future__ import annotations

from typing import Any

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


def _home() -> str:
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


async def _session(request: Any) -> Any:
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import RedirectResponse

    from services.accounts import redeem_ticket

    response = RedirectResponse(_home(), status_code=303, headers={"Cache-Control": "no-store"})
    if _cross_site(request):
        return response
    token = await run_in_threadpool(redeem_ticket, request.query_params.get("ticket", ""))
    if token:
        response.set_cookie(
            COOKIE, token, max_age=COOKIE_MAX_AGE, path="/", httponly=True, samesite="strict", secure=_secure(request)
        )
    return response


async def _logout(request: Any) -> Any:
    from starlette.responses import RedirectResponse

    response = RedirectResponse(_home(), status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


def routes() -> list:
    """The routes for st.App(routes=…); calling this marks them as served by this process."""
    from starlette.routing import Route

    _state["mounted"] = True
    return [Route(SESSION_PATH, _session, methods=["GET"]), Route(LOGOUT_PATH, _logout, methods=["GET"])]
