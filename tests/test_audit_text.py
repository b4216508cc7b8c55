"""The audit log's targets and messages as an administrator reads them (ui/audit_text.py)."""

from __future__ import annotations

import pytest

from ui.audit_text import readable_message, readable_target

NAMES = {"community_monthly": "社区卫生服务中心月度绩效考核"}


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        ("account:demo-admin", "账户 demo-admin"),
        ("submission:26", "提交 #26"),
        ("publication:3", "发布 #3"),
        ("scheme:community_monthly", "方案 社区卫生服务中心月度绩效考核"),
        ("page:pages/admin_accounts.py", "页面 「账户管理」"),
        ("permission:units.edit", "权限「管理单位」"),
        ("task:7:overdue:20250105", "整改任务 #7（逾期提醒 20250105）"),
        ("unit:C03", "单位 C03"),
        ("units", "单位清单"),
        ("export:criteria_lost", "导出 失分指标"),
        ("export:ranking", "导出 排名"),
        ("district:2025-12", "全区通报 2025年12月"),
        ("something:new", "something:new"),  # not recognised: left as stored, never dropped
    ],
)
def test_a_target_reads_in_chinese(target: str, shown: str) -> None:
    assert readable_target(target, NAMES) == shown


def test_a_message_names_schemes_and_pages_not_keys_and_files() -> None:
    message = "已导入 124 个数值，提交编号 #1（2025年1月（2025-01）community_monthly v2025.1）；打开页面 pages/ranking.py 被拒绝"
    shown = readable_message(message, NAMES)
    assert "community_monthly" not in shown and "社区卫生服务中心月度绩效考核 v2025.1" in shown
    assert "「排名」" in shown and "pages/" not in shown
    assert readable_message("community_monthly_x", NAMES) == "community_monthly_x"  # only whole keys
