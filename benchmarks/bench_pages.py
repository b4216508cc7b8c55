"""Every page as a person meets it: the real app in Chromium, click to fully rendered (issue 23).

    python benchmarks/bench_pages.py [UNITS ...] [--periods 12] [--leaves 40] [--keep DIR]
                                     [--entry serve.py|app.py] [--timeout 900]

For each size (default 500 5000 40000 units × 12 months of the 40-leaf benchmark scheme, built by
bench_ranking_page.build_database: the services' own import path, one published submission a
month), it starts `streamlit run serve.py` (the production entry: app.py behind the sign-in
cookie routes; `--entry app.py` for the bare app) headless on a free port over that database, and
drives Debian's Chromium (headless, --no-sandbox) with Playwright:

- sign-in: from the click on 登录 to the landing page (全区总览) rendered;
- every page in an administrator's menu (an administrator sees every page leadership sees and
  the management pages), in menu order: the first visit, then — after every page has been visited
  once — the repeat visit, each from the click on its menu entry to the page fully rendered;
- the floor: a minimal Streamlit page (same server settings, same browser) that shows a 500-row,
  8-column table, entered from a blank page the same way (first and repeat click).

"Fully rendered" is a condition, never a fixed sleep: the server has sent the run's
`script_finished` message, Streamlit's running indicator is gone, no element of the previous run
is left stale, the page's title (<h1>) is shown, and the browser has painted two frames since (so
a chart that keeps the browser busy is counted). "kB" is what the browser received over the
websocket during the visit (the payload lengths of the frames, as Playwright reports them).
A visit that fails or takes longer than --timeout shows 「—」 (the reason is printed as the run
goes) and the run goes on in a new browser context, signed in again. The landing page's first
visit is the sign-in. The machine's load average is printed with each
table: figures taken while other work runs are slower; the ratio to the floor, taken in the same
minute, is the figure to compare.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unicodedata
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_ranking_page import build_database  # noqa: E402
from bench_scoring import N_LEAVES  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ADMIN, ADMIN_NAME, ADMIN_PASSWORD = "bench-admin", "基准管理员", "Pages-Bench-Walnut-2025"
FLOOR_ROWS = 500
START_TIMEOUT = 600  # seconds for a start, the sign-in and the floor page: never cut short
# Pages whose <h1> is not their menu title (月度通报 shows 「2024年12月考核通报」).
HEADINGS = {"月度通报": "考核通报"}

FLOOR_APP = textwrap.dedent(
    f"""
    import numpy as np
    import pandas as pd
    import streamlit as st

    st.set_page_config(page_title="基准", layout="wide")

    def blank():
        st.title("空白")

    def table():
        st.title("表格")
        rng = np.random.default_rng(1)
        n = {FLOOR_ROWS}
        st.dataframe(
            pd.DataFrame({{
                "unit": [f"U{{i:07d}}" for i in range(n)], "单位": [f"第{{i}}号卫生院" for i in range(n)],
                "类别": np.array(["甲类", "乙类", "丙类", "丁类"])[np.arange(n) % 4],
                "总分": rng.uniform(60, 100, n).round(2), "名次": np.arange(1, n + 1),
                "等级": np.array(["优秀", "良好", "合格"])[np.arange(n) % 3],
                "变化": rng.integers(-5, 6, n), "否决": "",
            }}),
            hide_index=True,
        )

    st.navigation([st.Page(blank, title="空白", default=True), st.Page(table, title="表格")], expanded=True).run()
    """
)

# True once the page is drawn: no running indicator, nothing stale from the previous run, the
# expected title shown.
DRAWN_JS = """heading => {
    if (document.querySelector("[data-testid='stException']")) return true;  // reported as a failure
    if (document.querySelector("[data-testid='stStatusWidget']")) return false;
    if (document.querySelector("[data-stale='true']")) return false;
    return [...document.querySelectorAll("h1")].some(h => h.innerText.includes(heading));
}"""
PAINTED_JS = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"


@dataclass
class Wire:
    """What the browser received over its websockets since the last `reset`."""

    received: int = 0
    finished: bool = False
    finished_at: float = math.nan  # perf_counter when the run's script_finished arrived
    failed: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.received, self.finished, self.finished_at = 0, False, math.nan

    def frame(self, payload: bytes | str) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        data = payload.encode() if isinstance(payload, str) else payload
        self.received += len(data)
        try:
            if ForwardMsg.FromString(data).WhichOneof("type") == "script_finished":
                self.finished, self.finished_at = True, time.perf_counter()
        except Exception:  # noqa: BLE001 - a frame that is not a ForwardMsg only counts its bytes
            pass

    def attach(self, pg) -> None:  # noqa: ANN001
        def on_socket(ws) -> None:  # noqa: ANN001
            self.finished = False  # a new session (the sign-in reloads the page): wait for its run
            ws.on("framereceived", self.frame)

        pg.on("websocket", on_socket)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit(script: str | Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """`streamlit run script` headless on a free port of 127.0.0.1 (settings: .streamlit/ of the
    repository, as in production); yields its URL once its health check answers."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wait_drawn(pg, wire: Wire, heading: str, timeout: float) -> None:  # noqa: ANN001
    """Until the run that the last action started is drawn (see the module's docstring)."""
    from playwright.sync_api import Error
    from playwright.sync_api import TimeoutError as NotYet

    deadline = time.monotonic() + timeout

    def left_ms() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"「{heading}」 not drawn in {timeout:.0f} s")
        return left * 1000

    while True:
        while not wire.finished:
            left_ms()
            pg.wait_for_timeout(20)  # lets Playwright deliver the websocket events meanwhile
        try:  # polled in the page, bounded here even when the page's main thread is stuck
            pg.wait_for_function(DRAWN_JS, arg=heading, polling=20, timeout=left_ms())
            break
        except NotYet:
            left_ms()
        except Error:  # the sign-in's redirect replaced the document meanwhile: not drawn yet
            continue
    if pg.locator("[data-testid='stException']").count():
        raise RuntimeError(f"「{heading}」 shows an exception")
    with suppress(Error):  # as above: a document replaced between the two checks
        pg.evaluate(PAINTED_JS)


def visit(pg, wire: Wire, link: str, heading: str, timeout: float) -> tuple[float, int, float]:  # noqa: ANN001
    """Click the menu entry `link`; seconds until drawn, bytes received, and seconds until the
    server's script_finished arrived (the rest is the browser drawing)."""
    entry = pg.locator("[data-testid='stSidebarNav'] a").filter(has_text=link).first
    wire.reset()
    started = time.perf_counter()
    entry.click()
    wait_drawn(pg, wire, heading, timeout)
    return time.perf_counter() - started, wire.received, wire.finished_at - started


def launch(playwright):  # noqa: ANN001, ANN201
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run", "--disable-quic"],
    )  # fmt: skip


def new_page(browser, timeout: float):  # noqa: ANN001, ANN201
    pg = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN").new_page()
    pg.set_default_timeout(timeout * 1000)
    return pg


def measure_floor(browser, work: Path, timeout: float) -> dict:  # noqa: ANN001
    timeout = max(timeout, START_TIMEOUT)
    script = work / "floor_page.py"
    script.write_text(FLOOR_APP)
    with streamlit(script, {}, work / "floor.log") as url:
        pg = new_page(browser, timeout)
        wire = Wire()
        wire.attach(pg)
        pg.goto(url)
        wait_drawn(pg, wire, "空白", timeout)
        first, first_bytes, _ = visit(pg, wire, "表格", "表格", timeout)
        visit(pg, wire, "空白", "空白", timeout)
        repeat, repeat_bytes, repeat_server = visit(pg, wire, "表格", "表格", timeout)
        pg.context.close()
    return {
        "first": first, "repeat": repeat, "first_bytes": first_bytes, "repeat_bytes": repeat_bytes,
        "repeat_server": repeat_server,
    }  # fmt: skip


def create_admin(url: str) -> None:
    from services.accounts import create_account
    from services.errors import Conflict
    from services.permissions import trusted
    from storage.db import make_engine

    engine = make_engine(url)
    with trusted(), suppress(Conflict):  # a kept database already has it
        create_account(ADMIN, ADMIN_NAME, "admin", ADMIN_PASSWORD, engine=engine)
    engine.dispose()


def admin_pages() -> list[str]:
    """The titles of an administrator's menu, in its order."""
    from services.permissions import Actor
    from ui.nav import allowed_pages

    return [title for pages in allowed_pages(Actor(0, "", "", "admin")).values() for _, title, _ in pages]


def sign_in(browser, url: str, home: str, timeout: float) -> tuple:  # noqa: ANN001
    """A new browser context signed in as the administrator: (page, wire, seconds to the login
    form from opening the address, seconds from the click on 登录 to `home` drawn, bytes of that)."""
    timeout = max(timeout, START_TIMEOUT)  # a first start migrates and warms up
    pg = new_page(browser, timeout)
    wire = Wire()
    wire.attach(pg)
    started = time.perf_counter()
    pg.goto(url)
    wait_drawn(pg, wire, "登录", timeout)
    login_page = time.perf_counter() - started
    pg.get_by_label("用户名", exact=True).fill(ADMIN)
    pg.get_by_label("密码", exact=True).fill(ADMIN_PASSWORD)
    wire.reset()
    started = time.perf_counter()
    pg.get_by_role("button", name="登录").click()
    wait_drawn(pg, wire, home, timeout)
    return pg, wire, login_page, time.perf_counter() - started, wire.received


def measure_app(browser, url: str, timeout: float) -> dict:  # noqa: ANN001
    from playwright.sync_api import Error

    from ui.nav import HOME_PAGES, PAGES

    titles = admin_pages()
    by_path = {path: title for pages in PAGES.values() for path, title, _ in pages}
    home = next(by_path[p] for p in HOME_PAGES if by_path.get(p) in titles)
    pg, wire, login_page, seconds, received = sign_in(browser, url, home, timeout)
    rows = {home: {"first": seconds, "first_bytes": received}}
    for rnd in ("first", "repeat"):
        for title in titles:
            if rnd == "first" and title == home:
                continue
            try:
                seconds, received, server = visit(pg, wire, title, HEADINGS.get(title, title), timeout)
            except (RuntimeError, TimeoutError, Error) as exc:
                print(f"  {title}: {str(exc).splitlines()[0]}", flush=True)
                pg.context.close()  # its renderer may still be busy: go on in a new one
                pg, wire, *_ = sign_in(browser, url, home, timeout)
                seconds, received, server = float("nan"), -1, float("nan")
            rows.setdefault(title, {})[rnd] = seconds
            rows[title][f"{rnd}_bytes"] = received
            rows[title][f"{rnd}_server"] = server
            print(
                f"  {rnd:6} {title:8} {seconds:8.2f} s (server {server:5.2f} s) {received / 1000:10.1f} kB", flush=True
            )
    pg.context.close()
    return {"login_page": login_page, "home": home, "pages": rows, "order": titles}


def pad(text: str, width: int) -> str:
    """`text` left-aligned in `width` terminal columns (a Chinese character takes two)."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return text + " " * max(width - len(text) - wide, 0)


def print_table(units: int, periods: int, leaves: int, app: dict, floor: dict, load: tuple[float, ...]) -> None:
    print(
        f"\n{units:,} units × {periods} months × {leaves} leaves — load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(
        f"{'page':<12}{'first s':>9}{'repeat s':>10}{'kB first':>10}{'kB repeat':>11}{'first/floor':>13}{'repeat/floor':>14}"
        f"{'repeat srv':>12}"
    )

    def line(name: str, r: dict) -> None:
        f, p = r.get("first", math.nan), r.get("repeat", math.nan)
        fb, pb = r.get("first_bytes", -1) / 1000, r.get("repeat_bytes", -1) / 1000
        cells = [
            (f, 9, ".2f"), (p, 10, ".2f"), (fb, 10, ".1f"), (pb, 11, ".1f"),
            (f / floor["first"], 13, ".1f"), (p / floor["repeat"], 14, ".1f"),
            (r.get("repeat_server", math.nan), 12, ".2f"),
        ]  # fmt: skip
        # a visit that failed or took longer than --timeout: 「—」 (its reason is printed above)
        print(
            pad(name, 12)
            + "".join(f"{'—' if math.isnan(v) or v < 0 else format(v, spec):>{w}}" for v, w, spec in cells)
        )

    line("(floor)", floor)
    for title in app["order"]:
        line(title + ("*" if title == app["home"] else ""), app["pages"][title])
    print(f"* first visit = sign-in, from the click on 登录 to {app['home']} drawn")
    print("repeat srv: from the click to the server's script_finished (the rest of a repeat is the browser)")
    print(f"login page (address opened to the form drawn): {app['login_page']:.2f} s", flush=True)


def run_size(units: int, args: argparse.Namespace, work: Path) -> None:
    from playwright.sync_api import sync_playwright

    db = work / f"pages-{units}x{args.periods}x{args.leaves}.db"
    url = f"sqlite:///{db}"
    print(f"building {units:,} units × {args.periods} months × {args.leaves} leaves …", flush=True)
    started = time.perf_counter()
    build_database(url, units, args.periods, n_leaves=args.leaves, log=lambda *_: None)
    create_admin(url)
    print(f"  database ready in {time.perf_counter() - started:.0f} s", flush=True)
    env = {"DATABASE_URL": url, "ASSESS_SEED_DEMO": "0"}
    with sync_playwright() as p:
        browser = launch(p)
        try:
            floor = measure_floor(browser, work, args.timeout)
            with streamlit(args.entry, env, work / f"app-{units}.log") as app_url:
                app = measure_app(browser, app_url, args.timeout)
            load = os.getloadavg()
        finally:
            browser.close()
    print_table(units, args.periods, args.leaves, app, floor, load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("units", type=int, nargs="*", default=[500, 5000, 40000])
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--leaves", type=int, default=N_LEAVES)
    parser.add_argument("--keep", help="directory for the databases (built once, reused by later runs)")
    parser.add_argument("--entry", default="serve.py", choices=["serve.py", "app.py"])
    parser.add_argument("--timeout", type=float, default=900, help="seconds one visit may take")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    for units in args.units:
        started = time.perf_counter()
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            run_size(units, args, Path(args.keep))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                run_size(units, args, Path(tmp))
        print(f"({units:,} units: {time.perf_counter() - started:.0f} s in all)\n", flush=True)


if __name__ == "__main__":
    main()
