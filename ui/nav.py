"""The app's pages, by section. The menu shows a signed-in user only the pages their role opens
(services/permissions.PAGE_PERMISSION); with nobody signed in, only the login page exists, so
every URL lands on it — or, on a real installation that has no administrator yet, the first-run
page (pages/setup.py)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from services.permissions import Actor, page_allowed
from ui.guard import REFUSED_TITLE, refused_page

PAGES = {
    "看结果": [
        ("pages/cockpit.py", "全区总览", ":material/travel_explore:"),
        ("pages/overview.py", "总览", ":material/dashboard:"),
        ("pages/ranking.py", "排名", ":material/leaderboard:"),
        ("pages/unit_detail.py", "单位详情", ":material/apartment:"),
        ("pages/criteria.py", "指标分析", ":material/grid_on:"),
        ("pages/trends.py", "趋势", ":material/show_chart:"),
        ("pages/glossary.py", "指标释义", ":material/menu_book:"),
    ],
    "例会": [
        ("pages/meeting.py", "月度通报", ":material/campaign:"),
        ("pages/whatif.py", "模拟测算", ":material/calculate:"),
    ],
    "录入数据": [
        ("pages/progress.py", "填报进度", ":material/checklist:"),
        ("pages/upload.py", "上传评分表", ":material/upload_file:"),
        ("pages/submissions.py", "提交记录", ":material/history:"),
        ("pages/reconcile.py", "核对考核组", ":material/compare_arrows:"),
        ("pages/publish.py", "审定发布", ":material/verified:"),
    ],
    "公示与整改": [
        ("pages/publicity.py", "公示与申诉", ":material/gavel:"),
        ("pages/evidence.py", "证明材料", ":material/attach_file:"),
        ("pages/tasks.py", "整改任务", ":material/assignment_turned_in:"),
    ],
    "本单位": [
        ("pages/my_unit.py", "本单位结果", ":material/home_work:"),
        ("pages/unit_objections.py", "申诉", ":material/gavel:"),
        ("pages/my_tasks.py", "本单位整改", ":material/assignment_late:"),
    ],
    "管理": [
        ("pages/admin_units.py", "单位管理", ":material/domain:"),
        ("pages/admin_schemes.py", "方案管理", ":material/rule:"),
        ("pages/admin_periods.py", "期间管理", ":material/lock_clock:"),
        ("pages/admin_accounts.py", "账户管理", ":material/manage_accounts:"),
        ("pages/admin_audit.py", "审计日志", ":material/policy:"),
    ],
    "账户": [
        ("pages/messages.py", "站内消息", ":material/mail:"),
        ("pages/my_account.py", "我的账户", ":material/account_circle:"),
    ],
}
ROOT = Path(__file__).resolve().parents[1]
LOGIN = ("pages/login.py", "登录", ":material/login:")
SETUP = ("pages/setup.py", "首次设置", ":material/admin_panel_settings:")
# The first of these a user may open is where they land after signing in: leadership and
# administrators on 全区总览 (the whole bureau), a unit on its own results; an assessor, whose
# work is the data, on 填报进度.
HOME_PAGES = ("pages/cockpit.py", "pages/progress.py", "pages/overview.py", "pages/my_unit.py", "pages/my_account.py")
DATA_FIRST = frozenset({"assessor"})


def home_page(actor: Actor, paths: list[str]) -> str | None:
    """The page `actor` lands on, of the pages `paths` they may open."""
    order = [h for h in HOME_PAGES if not (actor.role in DATA_FIRST and h == "pages/cockpit.py")]
    return next((h for h in order if h in paths), paths[0] if paths else None)


# The pages that show one scheme and period: the shared choosers are drawn at their top (ui/filters.py)
# and the view is kept in their address (ui/url_state.py).
FILTERED_PAGES = frozenset(
    f"pages/{name}.py"
    for name in (
        "overview", "ranking", "unit_detail", "criteria", "trends", "meeting", "whatif",
        "progress", "reconcile", "publish", "publicity", "tasks",
    )
)  # fmt: skip


def allowed_pages(actor: Actor) -> dict[str, list[tuple[str, str, str]]]:
    """PAGES narrowed to what `actor` may open (empty sections dropped)."""
    out = {
        section: [p for p in pages if page_allowed(actor, p[0]) and (ROOT / p[0]).exists()]
        for section, pages in PAGES.items()
    }
    return {section: pages for section, pages in out.items() if pages}


def page_file(page: st.Page, actor: Actor | None) -> str | None:
    """The pages/ file of the page st.navigation chose: the home page's address is "/", and for a
    signed-in user /login and /setup show the home page too (build_navigation)."""
    if page.url_path in ("", Path(LOGIN[0]).stem, Path(SETUP[0]).stem):
        if actor is None:
            return None
        return home_page(actor, [p[0] for pages in allowed_pages(actor).values() for p in pages])
    path = f"pages/{page.url_path}.py"
    return path if (ROOT / path).exists() else None


def build_navigation(actor: Actor | None, *, first_run: bool = False) -> st.navigation:
    """The menu of `actor`; nobody signed in: the login, or the first-run page if `first_run`."""
    if actor is None:
        # Every page's URL shows the login (rather than a "page not found" dialog first).
        path, title, icon = SETUP if first_run else LOGIN
        aliases = [p for pages in PAGES.values() for p, _, _ in pages if (ROOT / p).exists()]
        aliases.append(LOGIN[0] if first_run else SETUP[0])
        login = [st.Page(path, title=title, icon=icon, default=True)]
        login += [st.Page(path, title=title, icon=icon, url_path=Path(p).stem) for p in aliases]
        return st.navigation(login, position="hidden")
    allowed = allowed_pages(actor)
    paths = [p[0] for pages in allowed.values() for p in pages]
    home = home_page(actor, paths)
    sections = {
        section: [st.Page(path, title=title, icon=icon, default=(path == home)) for path, title, icon in pages]
        for section, pages in allowed.items()
    }
    # A page this role may not open, asked for by URL, shows 「无权访问本页」 (and is audited by
    # ui/guard.run_page) instead of Streamlit's English "Page not found" dialog; the entries are
    # hidden, so the menu still lists only the permitted pages. /login and /setup of a signed-in
    # user show the home page.
    refused = [p for pages in PAGES.values() for p, _, _ in pages if p not in paths and (ROOT / p).exists()]
    hidden = [
        st.Page(refused_page, title=REFUSED_TITLE, icon=":material/block:", url_path=Path(p).stem, visibility="hidden")
        for p in refused
    ]
    _, home_title, home_icon = next(p for pages in allowed.values() for p in pages if p[0] == home)
    hidden += [
        st.Page(home, title=home_title, icon=home_icon, url_path=Path(p).stem, visibility="hidden")
        for p in (LOGIN[0], SETUP[0])
    ]
    last = list(sections)[-1]
    sections[last] = sections[last] + hidden
    return st.navigation(sections, expanded=True)
