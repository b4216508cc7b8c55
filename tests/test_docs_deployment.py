"""docs/deployment.md, followed word for word on a fresh machine, gives a real installation: no demo
district, no demo account, and behind the documented nginx a `Secure`, HttpOnly session cookie.

The one-machine recipe's commands are read out of the document and run in a fresh copy of the
project (`pip install` aside: the test runs where the requirements are installed); nginx is
played by sending the headers its documented configuration sets.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_kit import ROOT, _free_port, wait_until_up
from sqlalchemy import func, select
from test_http_security import call

from services.accounts import LoginRefused, authenticate, issue_ticket
from services.bootstrap import DEMO_ACCOUNTS, DEMO_PASSWORD
from storage.db import make_engine, reading
from storage.models import Account, Unit
from ui.auth_routes import COOKIE, SESSION_PATH

DOC = ROOT / "docs" / "deployment.md"
PASSWORD = "a-long-password-1"


def section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


ONE_MACHINE = section("One machine, SQLite")
(RECIPE, *_) = blocks(ONE_MACHINE, "bash")
(NGINX,) = blocks(ONE_MACHINE, "nginx")


def commands(block: str) -> list[str]:
    return [c for c in (line.split("  #")[0].strip() for line in block.splitlines()) if c and not c.startswith("#")]


def nginx_headers(conf: str) -> dict[str, str]:
    """What the documented nginx sends the app for a browser on HTTPS (the websocket's aside)."""
    server_name = re.search(r"listen 443 ssl;\s*server_name (\S+);", conf).group(1)
    values = {"$host": server_name, "$scheme": "https", "$remote_addr": "203.0.113.7"}
    out = {}
    for name, value in re.findall(r"proxy_set_header (\S+) (\S+);", conf):
        if name not in ("Upgrade", "Connection"):
            out[name] = values[value]
    return out


def test_the_recipe_and_the_nginx_example_are_the_secure_setup() -> None:
    assert "ASSESS_SEED_DEMO" not in RECIPE
    assert "ASSESS_SEED_DEMO" not in section("Several replicas, PostgreSQL").split("```")[1]
    for conf in blocks(DOC.read_text(encoding="utf-8"), "nginx"):
        headers = nginx_headers(conf)
        assert headers["X-Forwarded-Proto"] == "https"
        assert headers["Host"] == "kaohe.example.gov.cn"
        assert re.search(r'add_header Strict-Transport-Security "max-age=\d+[^"]*" always;', conf)
        assert "return 301 https://" in conf  # plain HTTP only redirects
    serve = next(c for c in commands(RECIPE) if c.startswith("streamlit run serve.py"))
    assert "--server.address 127.0.0.1" in serve  # only nginx reaches the app
    port = re.search(r"--server.port (\d+)", serve).group(1)
    assert f"proxy_pass http://127.0.0.1:{port};" in NGINX
    assert f"export ASSESS_ALLOWED_HOSTS={nginx_headers(NGINX)['Host']}" in commands(RECIPE)


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The recipe run in a fresh copy of the project; the app's URL and its directory."""
    home = tmp_path / "assessment"
    shutil.copytree(ROOT, home, ignore=shutil.ignore_patterns(".git", "var", "screenshots", "__pycache__", "*.db"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSESS_", "DATABASE_URL"))}
    env["ASSESS_NEW_PASSWORD"] = PASSWORD  # create-user asks twice on a terminal; this is its scripted form
    server = None
    try:
        for command in commands(RECIPE):
            if command.startswith("pip install"):
                continue
            if command.startswith("export "):
                name, value = command.removeprefix("export ").split("=", 1)
                env[name] = value
            elif command.startswith("streamlit run"):
                port = _free_port()
                argv = shlex.split(re.sub(r"--server.port \d+", f"--server.port {port}", command))
                server = subprocess.Popen(
                    [sys.executable, "-m", *argv],
                    cwd=home,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.STDOUT,
                )
                url = f"http://127.0.0.1:{port}"
                wait_until_up(url, server)
            else:
                argv = shlex.split(command)
                argv = [sys.executable, *argv[1:]] if argv[0] == "python" else argv
                done = subprocess.run(argv, cwd=home, env=env, capture_output=True, text=True, timeout=300)
                assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
        assert server is not None
        yield url, home
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)


def test_following_the_recipe_gives_no_demo_and_a_secure_cookie_behind_nginx(installed: tuple[str, Path]) -> None:
    url, home = installed
    engine = make_engine(f"sqlite:///{home / 'var' / 'assessment.db'}")
    try:
        with reading(engine) as s:
            assert s.scalar(select(func.count()).select_from(Unit)) == 0
            assert list(s.execute(select(Account.username, Account.role, Account.is_demo))) == [
                ("admin", "admin", False)
            ]
        for username, *_ in DEMO_ACCOUNTS:
            with pytest.raises(LoginRefused):
                authenticate(username, DEMO_PASSWORD, engine=engine)
        via_nginx = nginx_headers(NGINX)
        assert call(url, "GET", "/", via_nginx).status == 200
        ticket = issue_ticket(authenticate("admin", PASSWORD, engine=engine), engine=engine)
        answer = call(url, "GET", f"{SESSION_PATH}?ticket={ticket}", {**via_nginx, "Sec-Fetch-Site": "same-origin"})
        cookie = next(c for c in answer.cookies if c.startswith(f"{COOKIE}="))
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite=strict"} <= flags, cookie
        assert answer.header("strict-transport-security")
    finally:
        engine.dispose()


def test_the_readme_run_command_shows_the_demo_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """README's "Run it" asks for the demo explicitly, in its own file, and gets it on first start."""
    from services import bootstrap

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    run_it = blocks(readme[readme.index("## Run it") :], "bash")[0]
    command = run_it.split("&&")[-1].strip()
    *assignments, program = re.findall(r"(\w+)=(\S+)\s|(streamlit run serve\.py)", command + " ")
    assert program[2] == "streamlit run serve.py"
    env = {name: value for name, value, _ in assignments}
    assert env == {"ASSESS_SEED_DEMO": "1", "DATABASE_URL": "sqlite:///var/demo.db"}
    monkeypatch.chdir(tmp_path)  # the relative path is taken from where the command is run
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    bootstrap._ready.clear()
    engine = bootstrap.ensure_ready()
    try:
        assert (tmp_path / "var" / "demo.db").exists()
        with reading(engine) as s:
            assert s.scalar(select(func.count()).select_from(Unit)) > 0
        authenticate("demo-admin", DEMO_PASSWORD, engine=engine)
    finally:
        bootstrap._ready.clear()
        engine.dispose()
