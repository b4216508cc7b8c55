"""证明材料 on the items of a unit's result: what assessors attach to a deduction, a veto or any
item, and what the drill-down, the unit's page and the objection page show beside the trace.

Evidence belongs to (scheme, period, unit, item code): an `Attachment` with owner_kind 'item'.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from services._db import read
from services.attachments import AttachmentInfo, listed
from services.permissions import Actor, acting, require_unit
from services.values import find_assessment
from storage.models import Attachment, Unit


def item_evidence(
    scheme_key: str, period: str, unit: str, *, by: Actor | None = None, engine: Engine | None = None
) -> list[AttachmentInfo]:
    """Every piece of evidence on the unit's items in the period (`code` says which item)."""
    require_unit(acting(by), unit)

    def work(session: Session) -> list[AttachmentInfo]:
        ref = find_assessment(session, scheme_key, period)
        if ref is None:
            return []
        unit_id = select(Unit.id).where(Unit.code == unit).scalar_subquery()
        return listed(
            session,
            Attachment.owner_kind == "item",
            Attachment.assessment_id == ref.id,
            Attachment.unit_id == unit_id,
        )

    return read(engine, work)
