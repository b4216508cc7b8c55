"""Recognising what a header cell names: an input code, a leaf or task name, or a known column.

Headers are compared after `text.key` (full-width → half-width, no spaces, upper case), with
bracketed remarks dropped: 「处方合格率（%）」, 「A2 处方合格率」, 「A2\\n处方合格率(10分)」 all name A2.
"""

from __future__ import annotations

import difflib
import re

from scoring.scheme import ChecklistLeaf, DeductionLeaf, Leaf, Scheme
from sheets.text import key

_BRACKETS = re.compile(r"[(\[【（〔［][^)\]】）〕］]*[)\]】）〕］]")

# Column roles, by normalised header text.
UNIT_CODE = frozenset(
    map(key, ["单位编码", "机构编码", "单位代码", "机构代码", "unit_code", "unit code", "工号", "职工编码", "人员编码"])
)
UNIT_NAME = frozenset(
    map(
        key,
        [
            "单位名称",
            "单位",
            "机构名称",
            "被考核单位",
            "医疗机构",
            "机构",
            "unit",
            "unit_name",
            "科室",
            "科室名称",
            "姓名",
            "职工姓名",
            "职工",
            "人员",
        ],
    )
)
UNIT_EITHER = frozenset(map(key, ["名称", "name"]))  # a unit column in a wide sheet
ASSESSOR = frozenset(map(key, ["考核人", "评分人", "考核组", "评分组", "assessor", "考核人员"]))
PERIOD = frozenset(map(key, ["期间", "考核期间", "考核周期", "评分期间", "所属期间", "period", "月份", "考核月份"]))
CATEGORY = frozenset(map(key, ["类别", "单位类别", "机构类别", "category"]))
NOTE = frozenset(
    map(
        key,
        [
            "备注",
            "说明",
            "note",
            "notes",
            "情况说明",
            "扣分说明",
            "扣分原因",
            "问题说明",
            "加分说明",
            "扣分情况",
            "否决说明",
        ],
    )
)
SCHEME = frozenset(map(key, ["方案", "方案编码", "考核方案", "scheme"]))
VERSION = frozenset(map(key, ["版本", "方案版本", "version"]))
IGNORED = frozenset(
    map(
        key,
        [
            "序号",
            "No",
            "No.",
            "合计",
            "总分",
            "总计",
            "小计",
            "排名",
            "名次",
            "等级",
            "签名",
            "合计得分",
            "总得分",
            "得分合计",
            "考核得分",
            "联系人",
            "联系电话",
            "电话",
        ],
    )
)
# Long tables
LONG_UNIT = UNIT_CODE | UNIT_NAME | UNIT_EITHER | frozenset(map(key, ["单位编码或名称"]))
LONG_CODE = frozenset(
    map(key, ["criterion", "指标编码", "编码", "指标代码", "code", "细则编码", "评分细则编码", "指标"])
)
LONG_VALUE = frozenset(
    map(key, ["value", "数值", "值", "实际值", "得分", "实际值/得分", "填报值", "分值或实际值", "评分"])
)
# Per-unit sheets
PER_UNIT_CODE = frozenset(map(key, ["编码", "指标编码", "细则编码", "code"]))
PER_UNIT_NAME = frozenset(map(key, ["指标", "指标名称", "评分细则", "考核内容", "考核指标"]))
PER_UNIT_VALUE = frozenset(
    map(key, ["实际值/得分", "实际值", "得分", "数值", "填报值", "实际值或得分", "考核得分", "完成情况", "value"])
)
# First cell of rows that end the data: totals, signatures, footnotes.
FOOTER_PREFIXES = (
    "合计",
    "总计",
    "小计",
    "平均",
    "签名",
    "签字",
    "审核",
    "制表",
    "填表",
    "负责人",
    "考核组成员",
    "日期",
    "注:",
    "注：",
)


def strip_brackets(text: str) -> str:
    return _BRACKETS.sub("", text)


def is_footer(text: str) -> str | None:
    """The footer word a row starts with (合计, 签名 …), else None."""
    k = key(text)
    for prefix in FOOTER_PREFIXES:
        if k.startswith(key(prefix)):
            return prefix.rstrip(":：")
    return None


def deduction_parts(leaf: Leaf) -> list[tuple[str, str]]:
    """(code, name) of a deduction leaf's extra inputs: its kinds (迟报 …), then 酌情扣分."""
    if not isinstance(leaf, DeductionLeaf):
        return []
    out = [] if leaf.own_counts else [(k.code, k.name) for k in leaf.kinds]
    extra = leaf.discretionary_input
    return out + ([(extra, "酌情扣分")] if extra else [])


def formula_inputs(leaf: Leaf) -> list[tuple[str, str]]:
    """(code, name) of a computed indicator's raw inputs entered on the scoresheet (建档人数 …)."""
    return [(i.code, i.name) for i in getattr(leaf, "inputs", []) if i.code is not None]


class HeaderIndex:
    """Input codes by code, leaf name, task name and 'code name' forms, for one scheme."""

    def __init__(self, scheme: Scheme):
        self.scheme = scheme
        self.names: dict[str, str] = {}  # input code -> display name
        self.leaf_of: dict[str, str] = {}  # input code -> leaf code
        self.checklists = {leaf.code for leaf in scheme.leaves if isinstance(leaf, ChecklistLeaf)}
        by_key: dict[str, set[str]] = {}
        codes: dict[str, str] = {}

        def add(text: str, code: str) -> None:
            for variant in {key(text), key(strip_brackets(text))}:
                if variant:
                    by_key.setdefault(variant, set()).add(code)

        for leaf in scheme.leaves:
            codes[key(leaf.code)] = leaf.code
            self.names[leaf.code] = leaf.name
            self.leaf_of[leaf.code] = leaf.code
            add(leaf.name, leaf.code)
            add(f"{leaf.code}{leaf.name}", leaf.code)
            if isinstance(leaf, ChecklistLeaf):
                for task in leaf.tasks:
                    codes[key(task.code)] = task.code
                    self.names[task.code] = task.name
                    self.leaf_of[task.code] = leaf.code
                    add(task.name, task.code)
                    add(f"{task.code}{task.name}", task.code)
                    add(f"{leaf.name}{task.name}", task.code)
            for code, name in deduction_parts(leaf) + formula_inputs(leaf):
                codes[key(code)] = code
                self.names[code] = name
                self.leaf_of[code] = leaf.code
                add(name, code)
                add(f"{code}{name}", code)
                add(f"{leaf.name}{name}", code)
        self._codes = codes
        self._by_key = by_key
        self.criteria = {key(c.code): c.code for c in scheme.walk_criteria()}
        self.criteria_names = {key(c.name): c.code for c in scheme.walk_criteria()}
        self._choices = {f"{code} {name}": code for code, name in self.names.items()}

    def by_code(self, text: str) -> str | None:
        """The input code `text` is (case, spaces and full-width forms ignored)."""
        k = key(text)
        return self._codes.get(k) or self._codes.get(key(strip_brackets(text)))

    def match(self, text: str, within: str | None = None) -> str | None:
        """The input code a header names, by code, name or 'code name'. `within`: a checklist leaf
        code to prefer when a task name is shared by several checklists."""
        if not key(text):
            return None
        code = self.by_code(text)
        if code:
            return code
        for variant in (key(text), key(strip_brackets(text))):
            found = self._by_key.get(variant)
            if found:
                return _pick(found, within, self.leaf_of)
        # "A2 处方合格率" or "A2、处方合格率": a code at the start, then anything
        first = re.split(r"[\s、,，:：.．]", text.strip(), maxsplit=1)[0]
        if first and first != text.strip():
            code = self.by_code(first)
            if code:
                return code
        return None

    def criterion(self, text: str) -> str | None:
        """A criterion (一级/二级指标) code, by code or name."""
        k = key(text)
        return self.criteria.get(k) or self.criteria_names.get(k) or self.criteria.get(key(strip_brackets(text)))

    def suggest(self, text: str, n: int = 3) -> list[str]:
        """The closest 'code name' forms, for an unknown header or code."""
        k = key(strip_brackets(text))
        scored = difflib.get_close_matches(k, [key(c) for c in self._choices], n=n, cutoff=0.4)
        keyed = {key(c): c for c in self._choices}
        return [keyed[s] for s in scored]


def _pick(found: set[str], within: str | None, leaf_of: dict[str, str]) -> str | None:
    if len(found) == 1:
        return next(iter(found))
    if within:
        inside = [c for c in found if leaf_of.get(c) == within]
        if len(inside) == 1:
            return inside[0]
    return None
