"""The scheme dict a workbook gave, as the YAML text 方案管理 stores and experts read."""

from __future__ import annotations

import yaml


def scheme_yaml(data: dict, source: str = "") -> str:
    """YAML with the Chinese left readable and the keys in the scheme's order; `source` names the
    workbook in a first comment line."""
    head = f"# 由评分细则工作簿{f'「{source}」' if source else ''}导入\n"
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
