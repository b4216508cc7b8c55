"""Browser fixtures for the journey tests: a real `streamlit run app.py` on a copy of the demo
database, Debian's Chromium driven by Playwright, and helpers that act as a person would.

Registered as a pytest plugin by conftest.py; each test module gets its own server.

The server is `streamlit run serve.py` (st.App with the sign-in cookie routes) in demo mode
(`serve()` starts one on any database, e.g. for HTTP tests), and
the `page` fixture signs in as the demo account of `login_role` ("admin" unless a test overrides
the fixture or parametrizes it; None: not signed in). `sign_in` / `sign_out` do it by hand.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from services.bootstrap import DEMO_ACCOUNTS, DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "screenshots"
CHROMIUM = "/usr/bin/chromium"
DEMO_USER = {role: username for username, _, role, *_ in DEMO_ACCOUNTS}
LOGS: dict[str, Path] = {}  # server URL -> its console log


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(database_url: str, **env: str) -> Iterator[str]:
    """`streamlit run serve.py` on a free port of 127.0.0.1 over `database_url`, with `env` added
    to the environment (ASSESS_SEED_DEMO is "0" unless given); yields the base URL."""
    port = _free_port()
    env = {**os.environ, "ASSESS_SEED_DEMO": "0", **env, "DATABASE_URL": database_url}
    log = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "serve.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,  # a file, not a pipe: a pipe nobody reads would stall the server once full
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    LOGS[url] = Path(log.name)
    wait_until_up(url, proc)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        LOGS.pop(url).unlink(missing_ok=True)


def wait_until_up(url: str, proc: subprocess.Popen) -> None:
    """Wait (up to 90 s, for a loaded machine) until the server at `url` answers its health check."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    proc.kill()
    log = server_log(url)[-2000:] if url in LOGS else ""
    pytest.fail(f"streamlit did not start: {log}")


def server_log(url: str) -> str:
    """What the server started by `serve()` at `url` has printed so far (its console)."""
    return LOGS[url].read_text(errors="replace")


@pytest.fixture(scope="module")
def demo_mode() -> Iterator[None]:
    """Demo mode in the test process too, for a module whose server runs in it: the demo accounts
    the test signs in with are then accepted when the test itself checks them."""
    old = os.environ.get("ASSESS_SEED_DEMO")
    os.environ["ASSESS_SEED_DEMO"] = "1"
    yield
    if old is None:
        os.environ.pop("ASSESS_SEED_DEMO", None)
    else:
        os.environ["ASSESS_SEED_DEMO"] = old


@pytest.fixture(scope="module")
def server(_templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo district in demo mode (ASSESS_SEED_DEMO=1, chosen explicitly: it is never the default)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium fonts-noto-cjk (scripts/test.sh does it)")
    db = tmp_path_factory.mktemp("browser") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), db)
    with serve(f"sqlite:///{db}", ASSESS_SEED_DEMO="1") as url:
        yield url


@pytest.fixture(scope="module")
def browser(server: str):
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, server: str, login_role: str | None):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    if login_role is not None:
        sign_in(pg, server, DEMO_USER[login_role])
    yield pg
    context.close()


def sign_in(pg, server: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill the login form; the browser is then sent through /account/session back to the app."""
    pg.goto(server)
    settle(pg)
    pg.get_by_label("用户名", exact=True).fill(username)
    pg.get_by_label("密码", exact=True).fill(password)
    pg.get_by_role("button", name="登录").click()
    pg.get_by_role("button", name="退出登录").wait_for()
    settle(pg)


def sign_out(pg) -> None:
    pg.get_by_role("button", name="退出登录").click()
    pg.get_by_role("heading", name="登录").wait_for()
    settle(pg)


def settle(pg) -> None:
    """Wait until Streamlit has finished running the script."""
    pg.wait_for_selector("[data-testid='stAppViewContainer']")
    time.sleep(0.5)
    for _ in range(120):
        if pg.locator("[data-testid='stStatusWidget']").count() == 0:
            break
        time.sleep(0.25)
    time.sleep(1.0)
    assert pg.locator("[data-testid='stException']").count() == 0, "the page shows a traceback"


def shot(pg, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def pick(pg, selectbox, option: str) -> None:
    """Open a selectbox and choose an option by its visible text, as a person would."""
    selectbox.scroll_into_view_if_needed()
    selectbox.locator("input").click()
    pg.get_by_role("option", name=option, exact=True).click()
    settle(pg)


def choose_option(pg, label: str, option: str) -> None:
    pick(pg, pg.locator(".st-key-filter_bar [data-testid='stSelectbox']").filter(has_text=label), option)


@pytest.fixture
def login_role() -> str | None:
    """The demo account the `app` (AppTest) and `page` (browser) fixtures sign in as.
    Override per test: `@pytest.mark.parametrize("login_role", ["viewer"])`."""
    return "admin"
