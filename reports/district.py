"""全区通报 as plain data: every scheme's bulletin of one period, for the Word 通报 and the
all-schemes Excel workbook (services/district_bulletin.py gathers it from published results)."""

from __future__ import annotations

from dataclasses import dataclass

from reports.bulletin import Bulletin
from scoring import Scheme
from scoring.periods import period_name


@dataclass(frozen=True)
class SchemeBulletin:
    bulletin: Bulletin  # with 申诉处理情况 and 整改落实情况 filled in
    scheme: Scheme


@dataclass(frozen=True)
class DistrictBulletin:
    period: str
    bureau: str  # the issuing bureau (落款)
    parts: list[SchemeBulletin]  # in the catalogue's scheme order

    @property
    def period_name(self) -> str:
        return period_name(self.period)
