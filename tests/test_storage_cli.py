"""`python manage.py` database commands on both databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import url_of
from sqlalchemy import Engine

from data.demo import build_demo
from manage import main
from services.submissions import history

DEMO_SUBMISSIONS = sum(frame["period"].nunique() for frame in build_demo().values.values())


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):  # noqa: ANN201
    """run(engine, *argv) -> (exit code, stdout, stderr) against that engine's database."""

    def run(engine: Engine, *argv: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", url_of(engine))
        monkeypatch.setenv("ASSESS_USER", "运维员")
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_init_and_seed_demo_are_repeatable(database: Engine, cli) -> None:  # noqa: ANN001
    code, out, _ = cli(database, "init")
    assert code == 0 and "已是最新" in out
    code, out, _ = cli(database, "seed-demo")
    assert code == 0 and "新增单位 100 个" in out and f"导入 {DEMO_SUBMISSIONS} 份提交" in out
    code, out, _ = cli(database, "seed-demo")
    assert code == 0 and f"{DEMO_SUBMISSIONS} 份已存在未重复导入" in out


def test_history_rollback_lock_and_unlock(demo_database: Engine, cli) -> None:  # noqa: ANN001
    code, out, _ = cli(demo_database, "history", "--period", "2025-03")
    assert code == 0 and "编号" in out and "community_monthly" in out and "hospital_monthly" in out
    target = int(history("community_monthly", "2025-03", engine=demo_database)["id"].iloc[0])

    code, out, _ = cli(demo_database, "lock", "2025-03", "--reason", "3月通报已发布")
    assert code == 0 and "已锁定" in out and "运维员（命令行）" in out
    code, _, err = cli(demo_database, "rollback", str(target))
    assert code == 2 and "3月通报已发布" in err and "不能撤回提交" in err
    code, out, _ = cli(demo_database, "unlock", "2025-03", "--reason", "更正考核组录入错误")
    assert code == 0 and "开放" in out

    code, out, _ = cli(demo_database, "rollback", str(target), "--reason", "录入错误")
    assert code == 0 and f"已撤回提交 #{target}" in out
    code, _, err = cli(demo_database, "rollback", str(target))
    assert code == 2 and "不能重复撤回" in err
    code, out, _ = cli(demo_database, "history", "--scheme", "community_monthly", "--limit", "12")
    assert "已撤回" in out and out.count("\n") == 13
    code, out, _ = cli(demo_database, "check")
    assert code == 0 and "一致性检查通过" in out


def test_backup_of_sqlite_is_a_consistent_copy(demo_database: Engine, cli, tmp_path: Path) -> None:  # noqa: ANN001
    target = tmp_path / "backups" / "assessment-2025-03.db"
    code, out, err = cli(demo_database, "backup", str(target))
    if demo_database.dialect.name == "postgresql":
        assert code == 2 and "pg_dump --format=custom" in err and "postgresql://" in err
        return
    assert code == 0 and "完整性检查通过" in out
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT count(*) FROM submission").fetchone()[0] == DEMO_SUBMISSIONS
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    code, _, err = cli(demo_database, "backup", str(target))
    assert code == 2 and "已存在" in err
    assert cli(demo_database, "backup", str(target), "--force")[0] == 0


def test_a_command_on_a_database_not_yet_upgraded_says_to_run_init(database: Engine, cli) -> None:  # noqa: ANN001
    """A new release's command before `init`: the operator is told what to do, no traceback."""
    from alembic import command

    from storage.db import alembic_config, head_revision

    cfg = alembic_config()
    older = "0007"  # before value snapshots, which `results warm` reads first
    assert head_revision() != older
    with database.execution_options(write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, older)
    database.dispose()
    code, out, err = cli(database, "results", "warm")
    assert code == 1 and "python manage.py init" in err and "Traceback" not in err
    assert f"数据库为 {older}，本版本需要 {head_revision()}" in err
    assert cli(database, "init")[0] == 0
    code, out, err = cli(database, "results", "warm")
    assert code == 0 and not err
