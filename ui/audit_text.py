"""The audit log as an administrator reads it: a target such as `account:demo-admin` or
`submission:26` becomes 「账户 demo-admin」 / 「提交 #26」, and scheme keys and page files inside
the stored messages become the names people know (the stored entries themselves stay as written)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from scoring.periods import period_name
from ui.nav import LOGIN, PAGES, SETUP

PAGE_TITLES = {path: title for pages in PAGES.values() for path, title, _ in pages} | {
    LOGIN[0]: LOGIN[1],
    SETUP[0]: SETUP[1],
}
NUMBERED = {  # prefix -> what the number counts
    "submission": "提交",
    "publication": "发布",
    "published": "发布",
    "attachment": "证明材料",
    "objection": "申诉",
    "rectification_task": "整改任务",
    "task": "整改任务",
    "publicity": "公示",
    "message": "消息",
}
NAMED = {"account": "账户", "unit": "单位", "period": "期间", "export": "导出", "download": "下载"}
BARE = {"units": "单位清单", "login": "登录", "audit_log": "审计日志", "rectification_tasks": "整改任务"}
NAMED["figures"] = BARE["figures"] = "单位年度数据"  # figures:2025 — one year of figures
# What a download was (`export:ranking`, see ui.safe_table.csv_button), as its file is named.
EXPORTS = {
    "units": "单位清单",
    "ranking": "排名",
    "criteria_lost": "失分指标",
    "criteria_targets": "目标达成",
    "audit_log": "审计日志",
}
_PAGE_FILE = re.compile(r"pages/\w+\.py")


def _schemes(text: str, scheme_names: Mapping[str, str]) -> str:
    for key, name in scheme_names.items():
        text = re.sub(rf"(?<![\w]){re.escape(key)}(?![\w])", name, text)
    return text


def _pages(text: str) -> str:
    return _PAGE_FILE.sub(lambda m: f"「{PAGE_TITLES.get(m.group(0), '未知页面')}」", text)


def readable_target(target: str, scheme_names: Mapping[str, str]) -> str:
    """「提交 #26」 for `submission:26` and the like; what is not recognised is left as stored."""
    if target in BARE:
        return BARE[target]
    prefix, _, rest = target.partition(":")
    if not rest:
        return _schemes(target, scheme_names)
    if prefix == "export" and rest in EXPORTS:
        return f"导出 {EXPORTS[rest]}"
    if prefix == "district":  # the 全区通报 of a period (services.district_bulletin)
        return f"全区通报 {period_name(rest)}"
    if prefix == "scheme":
        return f"方案 {scheme_names.get(rest, rest)}"
    if prefix == "page":
        return f"页面 {_pages(rest)}"
    if prefix == "permission":
        from services.permissions import PERMISSIONS

        return f"权限「{PERMISSIONS.get(rest, rest)}」"
    if prefix in NUMBERED:
        number, _, more = rest.partition(":")
        kind, _, day = more.partition(":")  # task:3:overdue:20250105 — a reminder of task 3
        more = {"overdue": "逾期提醒", "due": "到期提醒"}.get(kind, kind) + (f" {day}" if day else "")
        return f"{NUMBERED[prefix]} #{number}" + (f"（{more}）" if more else "")
    if prefix in NAMED:
        return f"{NAMED[prefix]} {_schemes(_pages(rest), scheme_names)}"
    return target


def readable_message(message: str, scheme_names: Mapping[str, str]) -> str:
    """The stored message with scheme keys and page files named as people know them."""
    return _pages(_schemes(message, scheme_names))
