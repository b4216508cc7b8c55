"""What importing a bureau's own 评分细则表 produces: a draft scheme and its row-by-row report."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml


class DraftRefused(Exception):
    """The file cannot become a draft. `str()` is the one Chinese message a user sees."""


@dataclass(frozen=True)
class DraftRow:
    """One leaf row of the source table and what became of it."""

    row: int  # 表格第 N 行 (Word) or the Excel row
    code: str
    name: str
    points: float | None
    method: str  # the Chinese method name (scoring.names), '' when the row was not imported
    recognised: str  # what was recognised, in Chinese
    to_confirm: str = ""  # what a person must decide, '' when nothing


@dataclass(frozen=True)
class Draft:
    scheme: dict  # for scoring.loader.scheme_from_dict
    rows: list[DraftRow]
    warnings: list[str] = field(default_factory=list)  # subtotals, rule maxima, scoring.lint
    problems: list[str] = field(default_factory=list)  # the scheme's validation errors, if any
    notes: list[str] = field(default_factory=list)  # about the scheme as a whole

    @property
    def recognised_count(self) -> int:
        return sum(1 for r in self.rows if r.method and not r.to_confirm)

    def to_yaml(self) -> str:
        """The draft as the YAML the scheme editor takes (keys in the format's order)."""
        return yaml.safe_dump(self.scheme, allow_unicode=True, sort_keys=False, width=1000)
