"""Several processes on one database: concurrent imports, a process killed mid-import, two app
replicas on one PostgreSQL database. The children are real Python processes started here."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
import traceback
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import SmallDb
from sqlalchemy import func, select

from services import submissions
from services.catalog import latest_version, upsert_units
from services.submissions import history, import_values
from storage.db import make_engine, reading
from storage.integrity import check
from storage.models import Submission, SubmissionValue

ROOT = Path(__file__).resolve().parents[1]
P = "2025-03"
N_UNITS = 300  # each import carries N_UNITS × 3 cells, so that imports really overlap
IMPORTS_EACH = 3


def expect_line(proc: subprocess.Popen, prefix: str) -> str:
    line = proc.stdout.readline()
    if not line.startswith(prefix):
        proc.kill()
        raise AssertionError(f"child said {line!r}, expected {prefix!r}; stderr:\n{proc.stderr.read()}")
    return line.strip()


@pytest.fixture
def many_units(small: SmallDb) -> SmallDb:
    codes = [f"M{i:04d}" for i in range(N_UNITS)]
    upsert_units(pd.DataFrame({"code": codes, "name": codes, "category": "测试类"}), "测试员", engine=small.engine)
    return small


# -- eight processes importing at once -------------------------------------------------------
# Forked children start at once with everything imported; each makes its own engine, since
# connections must not cross a fork (the parent's pool is emptied before forking).
FORK = multiprocessing.get_context("fork")


def _import_several(url: str, idx: int, go: Any, report: Any) -> None:
    try:
        engine = make_engine(url)
        version = latest_version("t", engine=engine).id
        units = [f"M{i:04d}" for i in range(N_UNITS)]
        period = P if idx < 4 else f"2025-{idx + 1:02d}"  # half share one assessment, half do not
        report.put(("ready", idx, None))
        go.wait(60)
        for j in range(IMPORTS_EACH):
            frame = pd.DataFrame(
                {"unit": units * 3, "code": ["D1"] * N_UNITS + ["D2"] * N_UNITS + ["K1"] * N_UNITS,
                 "value": float(idx + j), "assessor": f"组{idx}"}
            )  # fmt: skip
            out = import_values(period, version, frame, f"用户{idx}", f"{idx}-{j}.csv", f"{idx}-{j}".encode(),
                                engine=engine)  # fmt: skip
            report.put(("imported", idx, out.noop))
    except BaseException:  # noqa: BLE001 - every failure goes back to the test
        report.put(("failed", idx, traceback.format_exc()))


def test_eight_processes_import_at_once_and_nothing_is_lost(many_units: SmallDb) -> None:
    many_units.engine.dispose()
    go, report = FORK.Event(), FORK.Queue()
    children = [FORK.Process(target=_import_several, args=(many_units.url, i, go, report)) for i in range(8)]
    for child in children:
        child.start()
    messages = [report.get(timeout=60) for _ in children]
    assert [m[0] for m in messages] == ["ready"] * 8, messages
    go.set()
    messages = [report.get(timeout=120) for _ in range(8 * IMPORTS_EACH)]
    for child in children:
        child.join(timeout=60)
    failures = [m[2] for m in messages if m[0] == "failed"]
    assert not failures, failures[0]
    assert all(m == ("imported", m[1], False) for m in messages)  # none lost, none a no-op
    assert all(child.exitcode == 0 for child in children)

    n = 8 * IMPORTS_EACH
    with reading(many_units.engine) as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == n
        assert s.scalar(select(func.count()).select_from(SubmissionValue)) == n * 3 * N_UNITS
    shared = many_units.current(P)
    assert len(shared) == 4 * 3 * N_UNITS  # four assessors' cells, each with its latest value
    for i in range(4):
        assert {v for (_, _, a), v in shared.items() if a == f"组{i}"} == {float(i + IMPORTS_EACH - 1)}
    for i in range(4, 8):
        assert set(many_units.current(f"2025-{i + 1:02d}").values()) == {float(i + IMPORTS_EACH - 1)}
    statuses = history(limit=100, engine=many_units.engine)["status"].value_counts().to_dict()
    assert statuses == {"active": 8, "superseded": n - 8}
    assert check(many_units.engine) == []


# -- a process killed in the middle of an import ---------------------------------------------
def _import_and_hang(url: str, halfway: Any) -> None:
    real = submissions.insert_values

    def insert_half_then_hang(session, columns):  # noqa: ANN001, ANN202
        real(session, {k: v[: len(v) // 2] for k, v in columns.items()})
        session.flush()
        halfway.set()
        time.sleep(600)  # killed here, inside the transaction, holding its locks

    submissions.insert_values = insert_half_then_hang
    engine = make_engine(url)
    units = [f"M{i:04d}" for i in range(N_UNITS)]
    frame = pd.DataFrame({"unit": units * 2, "code": ["D1"] * N_UNITS + ["D2"] * N_UNITS, "value": 7.0})
    import_values(P, latest_version("t", engine=engine).id, frame, "崩溃者", "c.csv", b"c", engine=engine)


def test_a_process_killed_mid_import_leaves_the_previous_state(many_units: SmallDb) -> None:
    units = [f"M{i:04d}" for i in range(N_UNITS)]
    first = many_units.put(P, {u: {"D1": 10, "D2": 20, "K1": 0} for u in units})
    before = many_units.current(P)
    many_units.engine.dispose()

    halfway = FORK.Event()
    child = FORK.Process(target=_import_and_hang, args=(many_units.url, halfway))
    child.start()
    assert halfway.wait(60), "the child never got half-way through its import"
    os.kill(child.pid, signal.SIGKILL)
    child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL

    assert many_units.current(P) == before
    with reading(many_units.engine) as s:
        assert s.scalars(select(Submission.id)).all() == [first.submission_id]
        assert s.scalar(select(func.count()).select_from(SubmissionValue)) == len(before)
    assert check(many_units.engine) == []  # includes PRAGMA integrity_check on SQLite

    # The killed writer's locks are gone: the same assessment takes a new import at once.
    started = time.monotonic()
    assert not many_units.put(P, {"M0000": {"D1": 1}}).noop
    assert time.monotonic() - started < 5
    assert many_units.current(P)[("M0000", "D1", "")] == 1


# -- two app processes on one PostgreSQL database --------------------------------------------
REPLICA = """
    import json, sys
    import pandas as pd
    from storage.db import get_engine
    from services.bootstrap import ensure_ready
    from services.catalog import latest_version
    from services.results import results
    from services.submissions import import_values, rollback
    from services.values import current_values

    engine = ensure_ready(get_engine())  # DATABASE_URL, as the app does
    print("ready", flush=True)
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "import":
            unit, code, value = args
            frame = pd.DataFrame({"unit": [unit], "code": [code], "value": [float(value)]})
            out = import_values("2025-03", latest_version("t").id, frame, "副本", "x.csv", line.encode())
            print(json.dumps({"submission": out.submission_id}), flush=True)
        elif cmd == "rollback":
            print(json.dumps({"message": rollback(int(args[0]), "副本").message}), flush=True)
        elif cmd == "totals":
            r = results("t", "2025-03")
            print(json.dumps(dict(zip(r.units["unit"].astype(str), r.units["total"].astype(float)))), flush=True)
        elif cmd == "value":
            v = current_values("t", "2025-03")
            row = v[(v["unit"] == args[0]) & (v["code"] == args[1])]
            print(json.dumps({"value": float(row["value"].iloc[0])}), flush=True)
"""


class Replica:
    def __init__(self, url: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(REPLICA)],
            cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT), "DATABASE_URL": url},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        expect_line(self.proc, "ready")

    def ask(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(expect_line(self.proc, "{"))

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_two_replicas_on_one_postgres_database_see_each_others_imports(small: SmallDb) -> None:
    small.put(P, {u: {"D1": 40, "D2": 25, "K1": 0} for u in ("U1", "U2", "U3")})
    a, b = Replica(small.url), Replica(small.url)
    try:
        before = b.ask("totals")
        assert before == a.ask("totals") == {"U1": 85.0, "U2": 85.0, "U3": 85.0}

        sub = a.ask("import U1 D1 10")["submission"]
        assert b.ask("value U1 D1") == {"value": 10.0}
        assert b.ask("totals")["U1"] == 55.0  # b's own memo of the results did not go stale

        b.ask(f"rollback {sub}")
        assert a.ask("totals") == before

        b.ask("import U2 K1 2")
        assert a.ask("totals")["U2"] == 75.0
    finally:
        a.close()
        b.close()
    assert check(small.engine) == []
