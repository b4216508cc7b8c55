"""HTTP behaviour of the production server (`streamlit run serve.py`) on 127.0.0.1.

Security findings 7 and 10: logout only by a same-origin POST that ends the session on the
server; security headers on every answer; no anonymous /_stcore/metrics; the host allow-list;
the session route on a database the app has not set up yet; the cookie's flags behind a proxy
that says the browser came over HTTPS.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlparse

import pytest
from browser_kit import serve
from sqlalchemy import Engine

from services.accounts import authenticate, check_session, create_account, issue_ticket
from storage.db import make_engine, migrate
from ui.auth_routes import COOKIE, LOGOUT_PATH, SESSION_PATH

PROXY_HOST = "kaohe.example.gov.cn"
PASSWORD = "a-long-password-1"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    @property
    def cookies(self) -> list[str]:
        return self.headers.get_all("set-cookie") or []


def call(url: str, method: str, path: str, headers: dict[str, str] | None = None) -> Answer:
    """One request, redirects not followed."""
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return Answer(r.status, r.headers, r.read())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on a database nobody has set up yet (the app sets it up on its first page)."""
    path = tmp_path_factory.mktemp("fresh") / "assessment.db"
    with serve(f"sqlite:///{path}", ASSESS_ALLOWED_HOSTS=f" {PROXY_HOST} ,intranet.local") as url:
        yield url


@dataclass
class Site:
    url: str
    engine: Engine


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A set-up database with one administrator, and the server over it."""
    path: Path = tmp_path_factory.mktemp("site") / "assessment.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    create_account("boss", "局长", "admin", PASSWORD, engine=engine)
    with serve(f"sqlite:///{path}") as url:
        yield Site(url, engine)
    engine.dispose()


def signed_in_cookie(site: Site, **headers: str) -> tuple[str, Answer]:
    """Sign in as the login page does and redeem the ticket; the cookie's token and the answer."""
    ticket = issue_ticket(authenticate("boss", PASSWORD, engine=site.engine), engine=site.engine)
    answer = call(site.url, "GET", f"{SESSION_PATH}?ticket={ticket}", {"Sec-Fetch-Site": "same-origin", **headers})
    assert answer.status == 303
    (cookie,) = [c for c in answer.cookies if c.startswith(f"{COOKIE}=")]
    token = cookie.split(";")[0].split("=", 1)[1]
    assert check_session(token, engine=site.engine).actor.username == "boss"
    return token, answer


def deletes_cookie(answer: Answer) -> bool:
    return any(c.startswith(f"{COOKIE}=") for c in answer.cookies)


# -- finding 7: logout ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "method, headers",
    [
        ("GET", {"Sec-Fetch-Site": "cross-site"}),  # a link or image on another site
        ("GET", {"Sec-Fetch-Site": "same-origin"}),  # logout is no longer a GET at all
        ("POST", {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}),  # another site's form
        ("POST", {"Sec-Fetch-Site": "same-site", "Origin": f"http://other.{PROXY_HOST}"}),
        ("POST", {"Origin": "https://evil.example"}),  # an older browser: Origin only
        ("POST", {"Origin": "null"}),
        ("POST", {}),  # says nothing about where it came from
    ],
)
def test_logout_from_another_site_does_nothing(site: Site, method: str, headers: dict[str, str]) -> None:
    token, _ = signed_in_cookie(site)
    answer = call(site.url, method, LOGOUT_PATH, {"Cookie": f"{COOKIE}={token}", **headers})
    assert not deletes_cookie(answer)
    assert check_session(token, engine=site.engine).actor is not None


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},  # what browsers send for our own form
        {"Origin": "http://127.0.0.1"},  # an older browser: Origin names this host
    ],
)
def test_logout_by_our_own_form_ends_the_session_on_the_server(site: Site, headers: dict[str, str]) -> None:
    token, _ = signed_in_cookie(site)
    answer = call(site.url, "POST", LOGOUT_PATH, {"Cookie": f"{COOKIE}={token}", **headers})
    assert answer.status == 303 and answer.header("location") == "/"
    (gone,) = [c for c in answer.cookies if c.startswith(f"{COOKIE}=")]
    assert 'assess_session=""' in gone or "Max-Age=0" in gone
    # The old cookie no longer signs anyone in, even if it was kept (copied, or the page was reopened).
    assert check_session(token, engine=site.engine).actor is None


# -- finding 10: transport -------------------------------------------------------------------------
def test_the_cookie_is_secure_and_httponly_behind_an_https_proxy(site: Site) -> None:
    _, answer = signed_in_cookie(site, **{"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
    cookie = next(c for c in answer.cookies if c.startswith(f"{COOKIE}="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite"} <= flags, cookie
    assert "samesite=strict" in cookie.lower()
    assert answer.header("strict-transport-security").startswith("max-age=")


@pytest.mark.parametrize("path", ["/", "/overview", "/_stcore/health", SESSION_PATH])
def test_security_headers_on_the_apps_answers(fresh_server: str, path: str) -> None:
    answer = call(fresh_server, "GET", path)
    assert answer.status in (200, 303)
    csp = answer.header("content-security-policy")
    assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp and "default-src 'self'" in csp
    assert answer.header("x-frame-options") == "SAMEORIGIN"
    assert answer.header("x-content-type-options") == "nosniff"
    assert answer.header("referrer-policy") == "same-origin"
    assert answer.header("strict-transport-security") == ""  # plain HTTP: HSTS would mean nothing
    over_https = call(fresh_server, "GET", path, {"X-Forwarded-Proto": "https"})
    assert over_https.header("strict-transport-security").startswith("max-age=31536000")


def test_static_files_carry_the_headers_too(fresh_server: str) -> None:
    index = call(fresh_server, "GET", "/").body.decode()
    script = index.split('src="', 1)[1].split('"', 1)[0]  # the frontend's bundle
    answer = call(fresh_server, "GET", "/" + script.lstrip("./"))
    assert answer.status == 200
    assert answer.header("x-content-type-options") == "nosniff"
    assert "frame-ancestors 'self'" in answer.header("content-security-policy")


def test_metrics_are_not_open_to_anonymous_visitors(fresh_server: str) -> None:
    for path in ("/_stcore/metrics", "/_stcore/metrics/", "/_stcore/metrics?families=session_events_total"):
        answer = call(fresh_server, "GET", path)
        assert answer.status == 404
        assert b"session" not in answer.body and b"# TYPE" not in answer.body


def test_the_session_route_on_a_database_not_set_up_yet_redirects(fresh_server: str) -> None:
    answer = call(fresh_server, "GET", f"{SESSION_PATH}?ticket=made-up", {"Sec-Fetch-Site": "same-origin"})
    assert answer.status == 303 and answer.header("location") == "/"
    assert not deletes_cookie(answer)
    answer = call(fresh_server, "POST", LOGOUT_PATH, {"Sec-Fetch-Site": "same-origin", "Cookie": f"{COOKIE}=x"})
    assert answer.status == 303


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "kaohe.example.gov.cn.evil", ""])
def test_hosts_not_allowed_are_refused(fresh_server: str, host: str) -> None:
    answer = call(fresh_server, "GET", "/", {"Host": host})
    assert answer.status == 400
    assert "未获允许" in answer.body.decode()


@pytest.mark.parametrize("host", [PROXY_HOST, f"{PROXY_HOST.upper()}:443", "intranet.local", "localhost:8501"])
def test_allowed_hosts_are_served(fresh_server: str, host: str) -> None:
    assert call(fresh_server, "GET", "/", {"Host": host}).status == 200


# -- issue 21: a shared link opened while signed out is where sign-in returns ---------------------
@pytest.mark.parametrize(
    "asked, location",
    [
        ("unit_detail?scheme=community_monthly&period=2025-08&unit=C03&item=B2",
         "/unit_detail?scheme=community_monthly&period=2025-08&unit=C03&item=B2"),
        ("tasks?task=7&evil=1", "/tasks?task=7"),  # only the view's own parameters are carried
        ("//evil.example/x", "/"),  # another site, or anything not one of the app's pages: home
        ("https://evil.example/", "/"),
        ("nonexistent?scheme=x", "/"),
        ("", "/"),
    ],
)  # fmt: skip
def test_sign_in_returns_to_the_page_a_link_asked_for_and_nowhere_else(site: Site, asked: str, location: str) -> None:
    ticket = issue_ticket(authenticate("boss", PASSWORD, engine=site.engine), engine=site.engine)
    query = urlencode({"ticket": ticket, "next": asked})
    answer = call(site.url, "GET", f"{SESSION_PATH}?{query}", {"Sec-Fetch-Site": "same-origin"})
    assert answer.status == 303 and answer.header("location") == location
    assert any(c.startswith(f"{COOKIE}=") for c in answer.cookies)  # and signed in
