"""A per-unit sheet shows each leaf's rule as it applies to that unit's category (variants):
「专科医院标准：…」, or 「本单位不适用」 where its category is not assessed on the leaf — when the
units come with their categories (the unit register, the CLI units file)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from sheets import build_template

CATS = ["综合医院", "专科医院", "精神专科医院"]
SPEC = {
    "id": "hosp",
    "name": "医院考核",
    "version": "1",
    "period_type": "year",
    "categories": CATS,
    "criteria": [
        {
            "code": "A",
            "name": "基础",
            "items": [
                {"code": "A1", "name": "业务用房面积", "method": "target", "mode": "all_or_nothing", "points": 10,
                 "target": 1200, "unit": "m²", "variants": {"专科医院": {"target": 500}}},
                {"code": "A2", "name": "手术占比", "method": "target", "mode": "proportional", "points": 10,
                 "target": 40, "variants": {"精神专科医院": {"applicable": False}}},
                {"code": "A3", "name": "其他", "method": "direct", "points": 80},
            ],
        }
    ],
}  # fmt: skip
UNITS = pd.DataFrame(
    {"code": ["综", "专", "精"], "name": ["一院", "二院", "三院"], "category": ["综合医院", "专科医院", "精神专科医院"]}
)


def _scheme():
    from scoring import scheme_from_dict

    return scheme_from_dict(SPEC)


def _rules(data: bytes) -> dict[str, dict[str, str]]:
    """Sheet → leaf code → its rule column (D)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = {}
    for name in ("一院", "二院", "三院"):
        ws = wb[name]
        out[name] = {str(r[0]): str(r[3]) for r in ws.iter_rows(min_row=6, values_only=True) if r[0] in ("A1", "A2")}
    return out


def test_each_unit_sheet_shows_its_own_rule() -> None:
    rules = _rules(build_template(_scheme(), "2025", UNITS, layout="per-unit"))
    assert rules["一院"]["A1"] == "目标 ≥ 1200m²，达标得满分，否则不得分"  # no variant for 综合医院
    assert rules["二院"]["A1"] == "专科医院标准：目标 ≥ 500m²，达标得满分，否则不得分"
    assert rules["三院"]["A1"] == rules["一院"]["A1"]
    assert rules["三院"]["A2"] == "本单位不适用（精神专科医院不考核本项）"
    assert rules["二院"]["A2"] == "目标 ≥ 40，按完成比例得分"


def test_triples_carry_the_category_and_pairs_show_the_general_rule() -> None:
    triples = list(zip(UNITS["code"], UNITS["name"], UNITS["category"], strict=True))
    assert _rules(build_template(_scheme(), "2025", triples, layout="per-unit"))["二院"]["A1"].startswith(
        "专科医院标准"
    )
    pairs = UNITS[["code", "name"]]
    assert _rules(build_template(_scheme(), "2025", pairs, layout="per-unit"))["二院"]["A1"] == (
        "目标 ≥ 1200m²，达标得满分，否则不得分（按单位类别：专科医院 ≥ 500m²；其他类别按上述标准）"
    )


def test_template_command_shows_the_units_own_rule(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from manage import main

    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(yaml.safe_dump(SPEC, allow_unicode=True), encoding="utf-8")
    units = tmp_path / "units.csv"
    units.write_text(
        "单位编码,单位名称,类别\n综,一院,综合医院\n专,二院,专科医院\n精,三院,精神专科医院\n", encoding="utf-8-sig"
    )
    out = tmp_path / "t.xlsx"
    args = ["template", "--scheme", scheme, "--period", "2025", "--units", units, "--layout", "per-unit", "--out", out]
    assert main([str(a) for a in args]) == 0
    rules = _rules(out.read_bytes())
    assert rules["二院"]["A1"] == "专科医院标准：目标 ≥ 500m²，达标得满分，否则不得分"
    assert rules["三院"]["A2"].startswith("本单位不适用")
