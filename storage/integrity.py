"""Consistency checks of the stored data, for tests, for operators after a crash (`manage.py check`)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from storage.db import is_sqlite

# Each query returns offending rows; the message says what they mean.
_CHECKS = [
    (
        "单元格有不止一个当前值",
        """SELECT assessment_id, unit_id, code, assessor FROM submission_value WHERE current
           GROUP BY assessment_id, unit_id, code, assessor HAVING count(*) > 1""",
    ),
    (
        "提交的当前值个数与记录不符",
        """SELECT s.id FROM submission s
           WHERE s.current_rows <> (SELECT count(*) FROM submission_value v WHERE v.submission_id = s.id AND v.current)""",
    ),
    (
        "已撤回的提交仍有当前值",
        """SELECT s.id FROM submission s WHERE s.status = 'rolled_back' AND s.current_rows > 0""",
    ),
    (
        "提交的行数与记录不符",
        """SELECT s.id FROM submission s
           WHERE s.row_count <> (SELECT count(*) FROM submission_value v WHERE v.submission_id = s.id)""",
    ),
    (
        "当前值所属提交的方案版本与该期间使用的版本不一致",
        """SELECT a.id FROM assessment a JOIN submission s ON s.assessment_id = a.id
           WHERE s.current_rows > 0 AND (a.scheme_version_id IS NULL OR s.scheme_version_id <> a.scheme_version_id)""",
    ),
    (
        "值记录引用了不存在的提交、考核或单位",
        """SELECT v.id FROM submission_value v
           LEFT JOIN submission s ON s.id = v.submission_id
           LEFT JOIN assessment a ON a.id = v.assessment_id
           LEFT JOIN unit u ON u.id = v.unit_id
           WHERE s.id IS NULL OR a.id IS NULL OR u.id IS NULL""",
    ),
    (
        "值记录的考核与其提交不一致",
        """SELECT v.id FROM submission_value v JOIN submission s ON s.id = v.submission_id
           WHERE v.assessment_id <> s.assessment_id""",
    ),
]


def check(engine: Engine, limit: int = 20) -> list[str]:
    """Every inconsistency found (empty when all is well), in Chinese, with ids to look at."""
    problems: list[str] = []
    with engine.connect() as conn:
        if is_sqlite(engine):
            result = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
            if result != ["ok"]:
                problems += [f"SQLite 完整性检查：{r}" for r in result[:limit]]
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            problems += [f"外键不一致：表 {r[0]} 行 {r[1]} 引用 {r[2]}" for r in fk[:limit]]
        for message, sql in _CHECKS:
            rows = conn.execute(text(sql)).fetchmany(limit)
            problems += [f"{message}：{tuple(r)}" for r in rows]
    return problems
