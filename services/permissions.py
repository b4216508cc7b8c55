"""Who may do what: roles, their permissions, the page table, and the check every service makes.

One table serves the menu, the page guard and the services, so they cannot disagree.

How a service knows who is asking (`acting`): a page may pass `by=` explicitly; if it does not,
the signed-in account of the Streamlit run executing the call is used (ui/guard.py installs that
lookup), so a page that forgets `by=` is still checked — and a run with nobody signed in is
refused. Outside a Streamlit run there is no account: in a command-line or test process an
operator with shell access is trusted, as with any database tool; in the web server (a Streamlit
runtime exists) a call with no `by=` and no run (a download made after the page's run, a
background thread) is refused instead, so nothing there fails open. `trusted()` marks the few
places a web run must act as the system (first-start migration and demo seeding).

Every refusal is reported to the recorder services/audit.py installs (`install_refusal_recorder`),
so a refused service call lands in the audit trail whichever page or download made it.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from services.errors import Forbidden

ROLE_NAMES = {"admin": "管理员", "assessor": "考核员", "viewer": "领导", "unit": "单位"}

# permission -> what it lets one do (Chinese, for refusals and the accounts page)
PERMISSIONS = {
    "results.all": "查看全部单位的考核结果",
    "results.own": "查看本单位的考核结果",
    "export": "导出报表",
    "upload": "上传评分表",
    "rollback": "撤回提交",
    "submissions.read": "查看提交记录",
    "schemes.edit": "管理考核方案",
    "units.edit": "管理单位",
    "periods.manage": "锁定、解锁和公示期间",
    "accounts.manage": "管理账户",
    "audit.read": "查看审计日志",
    "account.self": "修改本人密码",
    "results.draft": "查看未发布的考核结果（草稿）和填报进度",
    "publish": "复核并发布考核结果",
    "rollback.any": "撤回他人上传的提交",
    "publicity.manage": "发起和结束公示",
    "objection.raise": "对本单位的考核结果提出申诉",
    "objection.decide": "处理单位的申诉",
    "evidence.attach": "上传和管理证明材料",
    "tasks.manage": "下达和验收整改任务",
    "tasks.own": "查看和提交本单位的整改任务",
    "messages.read": "查看站内消息",
    "schemes.read": "查看考核方案的指标释义",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS) - {"results.own", "objection.raise", "tasks.own"},
    "assessor": frozenset(
        {"results.all", "export", "upload", "rollback", "submissions.read", "account.self", "results.draft"}
        | {"objection.decide", "evidence.attach", "tasks.manage", "messages.read", "schemes.read"}
    ),
    "viewer": frozenset({"results.all", "export", "account.self", "messages.read", "schemes.read"}),
    "unit": frozenset({"results.own", "account.self", "objection.raise", "tasks.own", "messages.read", "schemes.read"}),
}

# page file -> the permission that opens it (None: open to everyone, signed in or not).
# A page missing here is open to administrators only (tests check every menu page is listed).
PAGE_PERMISSION: dict[str, str | None] = {
    "pages/login.py": None,
    "pages/setup.py": None,  # first-run page: its own check is the setup code (services/bootstrap.py)
    "pages/cockpit.py": "results.all",
    "pages/overview.py": "results.all",
    "pages/ranking.py": "results.all",
    "pages/unit_detail.py": "results.all",
    "pages/criteria.py": "results.all",
    "pages/trends.py": "results.all",
    "pages/meeting.py": "results.all",
    "pages/my_unit.py": "results.own",
    "pages/upload.py": "upload",
    "pages/submissions.py": "submissions.read",
    "pages/publish.py": "publish",
    "pages/progress.py": "results.draft",
    "pages/reconcile.py": "results.draft",
    "pages/whatif.py": "schemes.edit",
    "pages/admin_schemes.py": "schemes.edit",
    "pages/admin_units.py": "units.edit",
    "pages/admin_periods.py": "periods.manage",
    "pages/admin_accounts.py": "accounts.manage",
    "pages/admin_audit.py": "audit.read",
    "pages/my_account.py": "account.self",
    "pages/publicity.py": "objection.decide",
    "pages/evidence.py": "evidence.attach",
    "pages/tasks.py": "tasks.manage",
    "pages/unit_objections.py": "objection.raise",
    "pages/my_tasks.py": "tasks.own",
    "pages/messages.py": "messages.read",
    "pages/glossary.py": "schemes.read",
}
ADMIN_ONLY = "accounts.manage"


@dataclass(frozen=True)
class Actor:
    """The signed-in account, as services and pages see it (never its password hash)."""

    account_id: int
    username: str
    display_name: str
    role: str
    unit_code: str | None = None
    unit_name: str | None = None
    unit_category: str | None = None
    schemes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    is_demo: bool = False
    permissions: frozenset[str] = field(default=frozenset(), compare=False)

    def __post_init__(self) -> None:
        if not self.permissions:
            object.__setattr__(self, "permissions", ROLE_PERMISSIONS.get(self.role, frozenset()))

    @property
    def label(self) -> str:
        """How the account appears in the audit log and on submissions: '张三（zhangsan）'."""
        return f"{self.display_name}（{self.username}）"

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, "未登录")

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if self.role == "anonymous":
            raise refusal(None, f"permission:{permission}", "请先登录。")
        if not self.can(permission):
            doing = PERMISSIONS.get(permission, permission)
            raise refusal(self, f"permission:{permission}", f"您的账户（{self.role_name}）无权{doing}。")


ANONYMOUS = Actor(0, "", "未登录", "anonymous")


def page_permission(path: str) -> str | None:
    return PAGE_PERMISSION.get(path, ADMIN_ONLY)


def page_allowed(actor: Actor | None, path: str) -> bool:
    needed = page_permission(path)
    if needed is None:
        return True
    return actor is not None and actor.can(needed)


# -- who is acting -------------------------------------------------------------------------------
_ambient: Callable[[], Actor | None] | None = None
_recorder: Callable[[Actor | None, str, str], None] | None = None
_local = threading.local()
_log = logging.getLogger(__name__)


def web_process() -> bool:
    """True in the web server: a Streamlit runtime exists in this process (`streamlit run`,
    st.App). False on the command line and in tests outside an AppTest run."""
    module = sys.modules.get("streamlit.runtime.runtime")  # never imported: no runtime (and no cost)
    return module is not None and module.Runtime.exists()


def install_refusal_recorder(recorder: Callable[[Actor | None, str, str], None]) -> None:
    """services/audit.py: `recorder(actor, target, message)` writes a refusal to the audit trail."""
    global _recorder
    _recorder = recorder


def refusal(actor: Actor | None, target: str, message: str) -> Forbidden:
    """The Forbidden to raise, after reporting it to the audit trail. A failing audit write is
    logged and never replaces the refusal the user should see."""
    if _recorder is not None:
        try:
            _recorder(actor, target, message)
        except Exception:  # noqa: BLE001 - the refusal itself must still reach the user
            _log.exception("could not audit a refusal (%s)", target)
    return Forbidden(message)


def install_ambient(resolver: Callable[[], Actor | None]) -> None:
    """ui/guard.py: `resolver()` gives the signed-in account of the Streamlit run on this thread
    (ANONYMOUS when nobody is signed in), or None when the thread runs no Streamlit script."""
    global _ambient
    _ambient = resolver


@contextmanager
def trusted() -> Iterator[None]:
    """Calls inside act as the system (no account): start-up migration and demo seeding."""
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        yield
    finally:
        _local.depth -= 1


def acting(by: Actor | None) -> Actor | None:
    """The account a service call is made for: `by`, else the signed-in account of the running
    page, else None (a trusted operator) — except in the web server, where a call with neither
    (no page run on this thread) is refused: there, nobody acts as the operator."""
    if by is not None:
        return by
    if getattr(_local, "depth", 0):
        return None
    actor = _ambient() if _ambient is not None else None
    if actor is None and web_process():
        raise refusal(None, "session:none", "请先登录。")
    return actor


def check(by: Actor | None, permission: str) -> Actor | None:
    """Refuse (Forbidden) unless the acting account has `permission`; returns that account."""
    actor = acting(by)
    if actor is not None:
        actor.require(permission)
    return actor


def name_of(actor: Actor | None, fallback: str) -> str:
    """Who to record: the account's label when an account acts, else what the caller said."""
    return actor.label if actor is not None else fallback


SchemeName = str | Callable[[], str | None] | None


def require_scope(
    actor: Actor | None, permission: str, scheme_key: str, categories: Iterable[str], *, scheme_name: SchemeName = None
) -> None:
    """An assessor may upload or roll back only for the schemes (and, when some are assigned,
    the unit categories) assigned to them. Other roles: the permission alone decides.

    `scheme_name`: the scheme's Chinese name for the refusal (a user never reads its key), or a
    function giving it — called only when refusing, so the caller's lookup costs nothing on the
    way through (and this module needs no database)."""
    if actor is None:
        return
    actor.require(permission)
    if actor.role != "assessor":
        return
    doing = PERMISSIONS[permission]
    if scheme_key not in actor.schemes:
        name = _scheme_label(scheme_name)
        raise refusal(actor, f"scheme:{scheme_key}", f"您未被分配考核方案{name}，不能{doing}。如需调整请联系管理员。")
    outside = sorted(set(categories) - set(actor.categories)) if actor.categories else []
    if outside:
        raise refusal(
            actor,
            f"scheme:{scheme_key}",
            f"您只负责 {'、'.join(actor.categories)}，不能为 {'、'.join(outside)} 的单位{doing}。",
        )


def _scheme_label(scheme_name: SchemeName) -> str:
    """「名称」 of the scheme, or '' when it is not known (the sentence reads well either way)."""
    try:
        name = scheme_name() if callable(scheme_name) else scheme_name
    except Exception:  # noqa: BLE001 - a failed lookup must not replace the refusal itself
        _log.exception("could not name the scheme of a refusal")
        name = None
    return f"「{name}」" if name else ""


def require_unit(actor: Actor | None, unit_code: str) -> None:
    """Reading one unit's results: a unit account only its own unit; others need results.all."""
    if actor is None:
        return
    if actor.role == "unit":
        actor.require("results.own")
        if unit_code != actor.unit_code:
            raise refusal(actor, f"unit:{unit_code}", "单位账户只能查看本单位的考核结果。")
        return
    actor.require("results.all")


def require(permission: str, by: Actor | None = None) -> Actor | None:
    """`check` for services that take no `by=`: the running page's account must have `permission`."""
    return check(by, permission)
