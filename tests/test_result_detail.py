"""The scored month's detail packed for storage (services/result_detail.py): an unpacked Results is
indistinguishable from the one packed; a bad, stale or foreign payload is a cache miss; the
`result_detail` table and its migration 0007."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import SMALL_SCHEME, SmallDb
from scheme_factory import NA, checklist, direct, make_scheme, target, values, veto
from sqlalchemy import inspect, select, update

from data.demo import SCHEME_DIR, build_demo
from scoring import Results, Scheme, load_scheme, parse_scheme, scheme_from_dict, score
from services import result_detail as rd
from storage.db import alembic_config, reading, writing
from storage.models import Assessment, ResultDetail

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from real_scheme import BEFORE, PERIOD, real_frame, real_scheme  # noqa: E402

DEMO = sorted(p.stem for p in SCHEME_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def demo_results() -> dict[str, Results]:
    demo = build_demo()
    categories = demo.units.set_index("code")["category"]
    out = {}
    for stem in DEMO:
        scheme = load_scheme(SCHEME_DIR / f"{stem}.yaml")
        out[stem] = score(scheme, demo.values[stem], categories=categories, figures=demo.figures)
    return out


@pytest.fixture(scope="module")
def real_results() -> Results:
    """Two months of the benchmark's real scheme at 40 units: 同类排名 (F3, P1), a 逐步提高 leaf
    (I1) whose March baseline is February in the same frame and whose February has none (scored
    full), register figures, a category variant 不适用 (丙类 on V2), 分类扣分, tags."""
    march, categories, figures, _ = real_frame(40 * 45, seed=1)
    february, _, _, _ = real_frame(40 * 45, seed=2)
    february["period"] = pd.Categorical([BEFORE] * len(february))
    march["period"] = pd.Categorical([PERIOD] * len(march))
    frame = pd.concat([february, march], ignore_index=True)
    return score(scheme_from_dict(real_scheme()), frame, categories=categories, figures=figures)


def assert_same(a: Results, b: Results) -> None:
    """Every public use of the two Results gives the same answer."""
    for name in ("units", "leaves", "tasks", "notes", "tags"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)
    for unit, period in zip(a.units["unit"].astype(str), a.units["period"].astype(str), strict=True):
        pd.testing.assert_frame_equal(a.explain(unit, period), b.explain(unit, period), obj=f"explain {unit}")
        assert a.part_values(unit, period) == b.part_values(unit, period)
        for code in a._scores.peer:
            assert a.peer_position(code, unit, period) == b.peer_position(code, unit, period)
        for code in a._scores.compared:
            np.testing.assert_equal(a.comparison(code, unit, period), b.comparison(code, unit, period))


def round_trip(results: Results) -> Results:
    return rd.unpack(results.scheme, rd.pack(results))


@pytest.mark.parametrize("stem", DEMO)
def test_a_demo_scheme_comes_back_the_same(demo_results: dict[str, Results], stem: str) -> None:
    assert_same(demo_results[stem], round_trip(demo_results[stem]))


def test_the_demo_covers_what_the_payload_must_carry(demo_results: dict[str, Results]) -> None:
    """So the round trips above are not vacuous: several assessors (a highest value and counts),
    不适用 cells, notes, checklist tasks, tags, register figures and a divisor below minimum."""
    community, village = demo_results["community_monthly"]._matrix, demo_results["village_monthly"]._matrix
    assert community.vmax is not None and community.assessors is not None and community.assessors.max() >= 2
    assert community.na.any() and village.na.any()
    assert all(len(r.notes) > 0 and len(r.tasks) > 0 for r in demo_results.values())
    assert set(village.figures) == {"常住人口", "65岁以上人口"} and village.below_minimum["A4"].any()
    assert len(demo_results["staff_annual"].tags) > 0


def test_peer_ranks_baselines_figures_and_variants_come_back_the_same(real_results: Results) -> None:
    r = real_results
    assert set(r._scores.peer) == {"F3", "P1"} and set(r._scores.compared) == {"I1"}
    missing = r._scores.compared["I1"].missing
    assert missing.any() and not missing.all()  # February has no baseline, March has February's
    assert r.units["period"].nunique() == 2 and r._matrix.na.any()  # 丙类 are 不适用 on V2
    back = round_trip(r)
    assert_same(r, back)
    unit = str(r.units["unit"].iloc[0])
    assert back.comparison("I1", unit, PERIOD)[0] == BEFORE
    assert back.comparison("I1", unit, BEFORE)[3] is True


def test_assessors_who_disagree_and_two_tags_come_back_the_same() -> None:
    """Hand-built: a veto only one of two assessors reports (the highest value differs from the
    mean), each assessor's count, two tags in scheme order, a checklist, 不适用 and notes."""
    scheme = make_scheme(
        direct("D1", 40, tags=["核心指标", "国家监测"], allow_na=True),
        target("T1", 40, target=60, tags=["国家监测"]),
        checklist("C1", {"C1-1": 10, "C1-2": 10}, tags=["核心指标"]),
        veto("V1"),
    )
    甲 = {"D1": 30, "T1": 70, "C1-1": 1, "C1-2": 0, "V1": 1}
    乙 = {"D1": NA, "T1": 50, "C1-1": 1, "C1-2": 1, "V1": 0}
    first = values({"甲": 甲, "乙": 乙}, assessor="张三", note="现场核查")
    second = values({"甲": 甲 | {"V1": 0, "D1": 20}, "乙": 乙}, assessor="李四", note="")
    results = score(scheme, pd.concat([first, second], ignore_index=True))
    m = results._matrix
    v1 = [c.code for c in m.columns].index("V1")
    assert m.vmax[0, v1] == 1 and m.value[0, v1] == 0.5 and m.assessors[0].max() == 2
    assert list(results._scores.tags) == ["核心指标", "国家监测"] and len(results.notes) == 10
    back = round_trip(results)
    assert_same(results, back)
    assert back.leaves.query("leaf == 'V1'")["value"].tolist() == [1.0, 0.0]  # reported by one of two


def test_the_arrays_keep_their_types_and_layout(real_results: Results) -> None:
    back = round_trip(real_results)
    m, n = real_results._matrix, back._matrix
    for name in ("value", "na", "vmax", "assessors"):
        a, b = getattr(m, name), getattr(n, name)
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype and b.flags.f_contiguous == a.flags.f_contiguous
    assert n.units.dtype == object and list(n.units) == list(m.units)
    assert n.columns == m.columns
    assert back._scores.earned.flags.f_contiguous
    back.units.loc[0, "total"] = -1.0  # a page may add to or change its copy of the frame
    assert real_results.units.loc[0, "total"] != -1.0


# -- a payload that cannot be used is a ValueError ---------------------------------------------
@pytest.fixture(scope="module")
def payload(demo_results: dict[str, Results]) -> bytes:
    return rd.pack(demo_results["community_monthly"])


@pytest.fixture(scope="module")
def community(demo_results: dict[str, Results]) -> Scheme:
    return demo_results["community_monthly"].scheme


@pytest.mark.parametrize("cut", [0, 10, 16, 100, -1])
def test_a_truncated_payload_is_refused(payload: bytes, community: Scheme, cut: int) -> None:
    with pytest.raises(ValueError):
        rd.unpack(community, payload[:cut])


@pytest.mark.parametrize("at", [0, 12, 20, 200, 2_000, -200, -5])
def test_a_changed_byte_is_refused(payload: bytes, community: Scheme, at: int) -> None:
    """Anywhere: the magic, the size, the compressed stream (zstd's frame, then the zip's
    CRC-32 of each member)."""
    broken = bytearray(payload)
    broken[at] ^= 0x5A
    with pytest.raises(ValueError):
        rd.unpack(community, bytes(broken))


def test_an_unknown_format_version_is_refused(
    demo_results: dict[str, Results], community: Scheme, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rd, "FORMAT_VERSION", 2)
    future = rd.pack(demo_results["community_monthly"])
    monkeypatch.undo()
    with pytest.raises(ValueError, match="format 2"):
        rd.unpack(community, future)


def test_a_payload_of_another_scheme_or_version_is_refused(payload: bytes, community: Scheme) -> None:
    with pytest.raises(ValueError, match="another scheme"):
        rd.unpack(load_scheme(SCHEME_DIR / "village_monthly.yaml"), payload)
    bumped = community.model_copy(update={"version": community.version + ".1"})
    with pytest.raises(ValueError, match="another scheme"):
        rd.unpack(bumped, payload)


def _repack(payload: bytes, change) -> bytes:  # noqa: ANN001 - change(arrays) edits the members
    """The payload with its npz members edited, compressed and framed as `pack` does."""
    raw = pa.CompressedInputStream(pa.BufferReader(payload[rd._HEADER.size :]), "zstd").read()
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = buf.getvalue()
    return rd._HEADER.pack(rd.MAGIC, len(data)) + pa.compress(data, codec="zstd", asbytes=True)


def test_pickled_objects_are_never_loaded(payload: bytes, community: Scheme) -> None:
    """An object array is stored pickled by numpy; unpack loads with allow_pickle=False."""

    def smuggle(arrays: dict) -> None:
        arrays["s.earned"] = np.array([{"x": 1}], dtype=object)

    with pytest.raises(ValueError):
        rd.unpack(community, _repack(payload, smuggle))


def test_arrays_of_the_wrong_shape_are_refused(payload: bytes, community: Scheme) -> None:
    def shrink(arrays: dict) -> None:
        arrays["s.met"] = arrays["s.met"][:-1]

    with pytest.raises(ValueError, match="s.met"):
        rd.unpack(community, _repack(payload, shrink))
    untouched = rd.unpack(community, _repack(payload, lambda arrays: None))  # the helper alone breaks nothing
    pd.testing.assert_frame_equal(untouched.leaves, rd.unpack(community, payload).leaves)


def test_changed_input_columns_are_refused(payload: bytes, community: Scheme) -> None:
    """The same id and version but other input columns (a scheme edited in place) is no match."""

    def widen(arrays: dict) -> None:
        manifest = json.loads(bytes(arrays["manifest"]).decode())
        manifest["columns"][0]["hi"] = 999
        arrays["manifest"] = np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8)

    with pytest.raises(ValueError, match="input columns"):
        rd.unpack(community, _repack(payload, widen))


# -- the result_detail table --------------------------------------------------------------------
def _scored_small(small: SmallDb) -> tuple[int, Results]:
    cells = {"U1": {"D1": 40, "D2": 25, "K1": 1}, "U2": {"D1": 50, "D2": "不适用", "K1": 0}}
    small.put("2025-03", cells)
    with reading(small.engine) as s:
        assessment_id = s.scalar(select(Assessment.id))
    return assessment_id, score(parse_scheme(SMALL_SCHEME), small.frame(cells))


def test_stored_detail_loads_for_its_fingerprint_only(small: SmallDb) -> None:
    assessment_id, results = _scored_small(small)
    scheme = results.scheme
    with reading(small.engine) as s:
        assert rd.load_detail(s, assessment_id, "fp-1", scheme) is None  # nothing stored yet
    with writing(small.engine) as s:
        rd.store_detail(s, assessment_id, "fp-1", results)
    with reading(small.engine) as s:
        back = rd.load_detail(s, assessment_id, "fp-1", scheme)
        assert back is not None
        assert_same(results, back)
        assert back.notes["note"].tolist() == ["备注U1K1", "备注U2K1"]
        assert rd.load_detail(s, assessment_id, "fp-2", scheme) is None  # stale
        assert rd.load_detail(s, assessment_id, "fp-", scheme) is None  # a prefix is not a match
    with writing(small.engine) as s:  # a newer result replaces the row
        rd.store_detail(s, assessment_id, "fp-2", results)
    with reading(small.engine) as s:
        assert rd.load_detail(s, assessment_id, "fp-1", scheme) is None
        assert rd.load_detail(s, assessment_id, "fp-2", scheme) is not None
        assert s.scalar(select(ResultDetail.fingerprint)) == "fp-2"


def test_the_current_and_the_published_detail_are_kept_side_by_side(small: SmallDb) -> None:
    assessment_id, results = _scored_small(small)
    with writing(small.engine) as s:
        rd.store_detail(s, assessment_id, "draft-fp", results)
        rd.store_detail(s, assessment_id, "pub-fp", results, kind=rd.PUBLISHED)
    with reading(small.engine) as s:
        assert rd.load_detail(s, assessment_id, "draft-fp", results.scheme) is not None
        assert rd.load_detail(s, assessment_id, "pub-fp", results.scheme, kind=rd.PUBLISHED) is not None
        assert rd.load_detail(s, assessment_id, "pub-fp", results.scheme) is None  # not the current one
        assert rd.load_detail(s, assessment_id, "draft-fp", results.scheme, kind=rd.PUBLISHED) is None


def test_a_corrupt_stored_payload_is_a_miss(small: SmallDb) -> None:
    assessment_id, results = _scored_small(small)
    with writing(small.engine) as s:
        rd.store_detail(s, assessment_id, "fp", results)
        s.execute(update(ResultDetail).values(payload=b"not a payload"))
    with reading(small.engine) as s:
        assert rd.load_detail(s, assessment_id, "fp", results.scheme) is None


def test_migration_0007_adds_and_drops_the_table(small: SmallDb) -> None:
    from alembic import command

    cfg = alembic_config()
    for revision, present in (("0006", False), ("head", True)):
        with small.engine.execution_options(write=True).begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if revision == "0006" else command.upgrade)(cfg, revision)
        small.engine.dispose()
        assert ("result_detail" in inspect(small.engine).get_table_names()) is present
        assert "result_cache" in inspect(small.engine).get_table_names()
    test_stored_detail_loads_for_its_fingerprint_only(small)  # usable again after the round trip
