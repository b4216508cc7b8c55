"""What withdrawing (撤回) a submission would change, before it is confirmed, and who may withdraw it.

An assessor withdraws only their own submissions; a role with `rollback.any` (administrators)
any. The preview lists the cells withdrawn and restored and every unit whose total or rank in the
draft changes; published results never change by a withdrawal, only by the next publication.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from scoring import Scheme
from scoring.periods import period_name
from services._db import read
from services.catalog import version_info
from services.errors import Forbidden, NotFound
from services.permissions import Actor, acting, check
from services.results import _units_table, score_complete
from services.values import _frame, current_values_in, find_assessment
from storage.models import SchemeVersion, Submission

# Per current cell of the submission: the value a withdrawal brings back (latest earlier standing).
_RESTORED_SQL = text(
    """
    SELECT p.unit_id, p.code, p.assessor, p.value, p.na, p.note, p.submission_id
    FROM submission_value c JOIN submission_value p
      ON p.assessment_id = c.assessment_id AND p.unit_id = c.unit_id AND p.code = c.code AND p.assessor = c.assessor
    JOIN submission ps ON ps.id = p.submission_id
    WHERE c.submission_id = :s AND c.current AND p.submission_id < c.submission_id AND ps.status <> 'rolled_back'
      AND p.submission_id = (
        SELECT max(q.submission_id) FROM submission_value q JOIN submission qs ON qs.id = q.submission_id
        WHERE q.assessment_id = c.assessment_id AND q.unit_id = c.unit_id AND q.code = c.code
          AND q.assessor = c.assessor AND q.submission_id < c.submission_id AND qs.status <> 'rolled_back'
      )
    """
)


def may_withdraw(actor: Actor | None, submitted_by: str) -> bool:
    """Whether `actor` may withdraw a submission made by `submitted_by` (None: a trusted operator)."""
    if actor is None:
        return True
    if not actor.can("rollback"):
        return False
    return actor.can("rollback.any") or submitted_by == actor.label


def require_withdraw(actor: Actor | None, submission_id: int, submitted_by: str) -> None:
    if not may_withdraw(actor, submitted_by):
        check(actor, "rollback")
        raise Forbidden(
            f"您只能撤回本人上传的提交；提交 #{submission_id} 由 {submitted_by} 上传。如确需撤回，请联系管理员。"
        )


@dataclass(frozen=True)
class WithdrawalPreview:
    submission_id: int
    period: str
    scheme_key: str
    submitted_by: str
    file_name: str
    withdrawn: int  # current values that go
    restored: int  # earlier values that come back
    units: pd.DataFrame  # unit, name, total_before, total_after, rank_before, rank_after, change

    @property
    def summary(self) -> str:
        head = f"撤回提交 #{self.submission_id}（{period_name(self.period)} {self.scheme_key}，{self.file_name}，{self.submitted_by} 上传）"
        if self.withdrawn == 0:
            return head + "：它的数值已全部被后续提交覆盖，当前数据不会改变。"
        moved = f"，{len(self.units)} 个单位的总分或名次改变" if len(self.units) else "，没有单位的总分或名次改变"
        return head + f"：撤下 {self.withdrawn} 个当前数值，恢复 {self.restored} 个此前的数值{moved}。"


def withdrawal_preview(
    submission_id: int, *, by: Actor | None = None, engine: Engine | None = None
) -> WithdrawalPreview:
    """What withdrawing the submission would change in the draft (nothing is changed here)."""
    who = check(by, "rollback")

    def work(session: Session) -> WithdrawalPreview:
        sub = session.get(Submission, submission_id)
        if sub is None:
            raise NotFound(f"没有编号为 #{submission_id} 的提交")
        require_withdraw(acting(who), sub.id, sub.submitted_by)
        label, key = sub.assessment.period.label, sub.assessment.scheme.key
        ref = find_assessment(session, key, label)
        current = current_values_in(session, ref)
        rows = session.execute(_RESTORED_SQL, {"s": sub.id}).all()
        cols = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(7)]
        restored = _frame(session, label, cols)
        withdrawn = int((current["submission_id"] == sub.id).sum())
        after = pd.concat([current[current["submission_id"] != sub.id], restored], ignore_index=True)
        units = _units_table(session)
        scheme = (
            version_info(session.get(SchemeVersion, ref.scheme_version_id)).load() if ref.scheme_version_id else None
        )
        changes = _unit_changes(scheme, current, after, units) if scheme is not None and withdrawn else _empty()
        return WithdrawalPreview(sub.id, label, key, sub.submitted_by, sub.file_name, withdrawn, len(restored), changes)

    return read(engine, work)


def _empty() -> pd.DataFrame:
    cols = ["unit", "name", "total_before", "total_after", "rank_before", "rank_after", "change"]
    return pd.DataFrame(columns=cols)


def _unit_changes(scheme: Scheme, before: pd.DataFrame, after: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    a, _ = score_complete(scheme, before, units, None)
    b, _ = score_complete(scheme, after, units, None)
    left = a.units[["unit", "total", "rank"]].assign(unit=lambda f: f["unit"].astype(str)) if a is not None else None
    right = b.units[["unit", "total", "rank"]].assign(unit=lambda f: f["unit"].astype(str)) if b is not None else None
    empty = pd.DataFrame(
        {"unit": pd.Series(dtype=str), "total": pd.Series(dtype=float), "rank": pd.Series(dtype=float)}
    )
    m = (left if left is not None else empty).merge(
        right if right is not None else empty, on="unit", how="outer", suffixes=("_before", "_after")
    )
    d = scheme.decimals
    rows = []
    for r in m.itertuples(index=False):
        tb, ta, rb, ra = r.total_before, r.total_after, r.rank_before, r.rank_after
        same_total = (pd.isna(tb) and pd.isna(ta)) or (not pd.isna(tb) and not pd.isna(ta) and np.isclose(tb, ta))
        same_rank = (pd.isna(rb) and pd.isna(ra)) or rb == ra
        if same_total and same_rank:
            continue
        if pd.isna(ta):
            what = "撤回后不再计分（数据不完整或无数据）"
        elif pd.isna(tb):
            what = "撤回后开始计分"
        else:
            parts = [f"总分 {tb:.{d}f} → {ta:.{d}f}"] if not same_total else []
            parts += [f"名次 {rb:g} → {ra:g}"] if not same_rank else []
            what = "，".join(parts)
        rows.append((r.unit, str(units["name"].get(r.unit, "")), tb, ta, rb, ra, what))
    return pd.DataFrame(rows, columns=list(_empty().columns))
