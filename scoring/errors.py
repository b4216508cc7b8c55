"""Errors the engine raises: each carries located, human-readable messages in Chinese."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SchemeProblem:
    """One problem of a scheme: `message` as a user reads it (「一级指标「基本公共卫生」› 指标 A1
    「建档率」的「分值」: 必须是数字」), `path` the key path it concerns for programs that act on it
    ("criteria[0].items[0].points"; '' for the scheme as a whole or a file that did not parse)."""

    message: str
    path: str = ""
    text: str = ""  # what is wrong, without the location

    @property
    def keyed(self) -> str:
        """'path: text', the machine form (logs, tests, a program that acts on the path)."""
        return f"{self.path}: {self.text}" if self.path else self.text


class SchemeError(ValueError):
    """A scheme file that cannot be used. `messages` are located Chinese lines, one per problem;
    `problems` carry the same with their machine-readable key paths."""

    def __init__(self, messages: list[str], problems: list[SchemeProblem] | None = None):
        self.messages = messages
        self.problems = problems if problems is not None else [SchemeProblem(m, "", m) for m in messages]
        super().__init__("\n".join(messages))


@dataclass(frozen=True)
class Problem:
    """One bad input cell: where it is and what is wrong."""

    message: str
    unit: str | None = None
    code: str | None = None
    period: str | None = None
    assessor: str | None = None

    def __str__(self) -> str:
        where = " ".join(
            part
            for part in (
                f"期间 {self.period}" if self.period else "",
                f"单位「{self.unit}」" if self.unit else "",
                f"指标 {self.code}" if self.code else "",
                f"考核人 {self.assessor}" if self.assessor else "",
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message


class ScoringInputError(ValueError):
    """Values that cannot be scored. Every problem found is reported, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        head = [str(p) for p in problems[:50]]
        if len(problems) > 50:
            head.append(f"……另有 {len(problems) - 50} 个问题")
        super().__init__("\n".join(head))
