"""Loading the demo district (清河区) from `data/`: units, the demo schemes, all their values.

Idempotent: units are upserted, schemes registered by hash, and each period's values imported as
one submission — identical on a second run, so those imports are no-ops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from scoring.periods import period_name
from services.catalog import register_scheme, upsert_units
from services.errors import Conflict, InvalidInput, PeriodLocked
from services.publishing import publish
from services.submissions import import_values
from services.unit_figures import set_figures

DEMO_USER = "系统（演示数据）"


@dataclass
class SeedReport:
    units_created: int = 0
    units_updated: int = 0
    schemes_created: int = 0
    imported: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        text = (
            f"演示数据：新增单位 {self.units_created} 个、更新 {self.units_updated} 个；新登记方案版本 "
            f"{self.schemes_created} 个；导入 {self.imported} 份提交，{self.unchanged} 份已存在未重复导入"
        )
        if self.skipped:
            text += "；跳过：\n" + "\n".join(f"  {s}" for s in self.skipped)
        return text


def seed_demo(
    *, engine: Engine | None = None, user: str = DEMO_USER, progress: Callable[[float, str], None] | None = None
) -> SeedReport:
    """Load or refresh the demo district. Periods locked or in use by another scheme version
    are skipped and listed in the report rather than failing the whole run. `progress` hears the
    share done (0–1) and the month being loaded, in Chinese."""
    from data.demo import SCHEME_DIR, build_demo

    tell = progress or (lambda share, text: None)
    tell(0.0, "正在生成演示数据（清河区）……")
    demo = build_demo()
    report = SeedReport()
    changes = upsert_units(demo.units, user, engine=engine)
    report.units_created, report.units_updated = changes.created, changes.updated
    # the register's per-year figures (常住人口 …) that the village scheme's rates divide by
    set_figures(demo.figures, user, engine=engine)
    versions = {}
    for path in sorted(SCHEME_DIR.glob("*.yaml")):
        reg = register_scheme(path.read_text(encoding="utf-8"), user, note="演示方案", engine=engine)
        report.schemes_created += reg.status == "created"
        versions[path.stem] = reg.version
    months = sum(frame["period"].nunique() for frame in demo.values.values())
    done = 0
    for stem, frame in sorted(demo.values.items()):
        version = versions[stem]
        for period, part in frame.groupby("period", sort=True):
            tell(done / months, f"正在载入演示数据：{version.name} {period_name(str(period))}（{done + 1}/{months}）")
            done += 1
            name = f"{stem}_{period}.csv"
            data = part.to_csv(index=False).encode("utf-8")
            try:
                outcome = import_values(str(period), version.id, part, user, name, data, note="演示数据", engine=engine)
            except (Conflict, PeriodLocked) as exc:
                report.skipped.append(f"{name}: {exc}")
                continue
            if outcome.noop:
                report.unchanged += 1
            else:
                report.imported += 1
                _publish(stem, str(period), outcome.scheme_key, user, engine, report)
    return report


def _publish(stem: str, period: str, scheme_key: str, user: str, engine: Engine | None, report: SeedReport) -> None:
    """The demo district's months are published, as a bureau's past months would be."""
    try:
        publish(scheme_key, period, user, "演示数据", engine=engine)
    except (Conflict, InvalidInput, PeriodLocked) as exc:
        report.skipped.append(f"{stem}_{period} 未发布: {exc}")
