"""Attachments (证明材料): files kept as evidence for an item, an objection or a 整改 task.

A file is accepted for what its content is, never for its name: images (JPEG, PNG) are opened and
verified with Pillow (which also refuses decompression bombs), PDFs must start like a PDF and end
with its trailer, Word and Excel files must be sound zip packages without bombs. Anything else,
an empty file, or one over the size limit (`ASSESS_ATTACHMENT_MAX_MB`, default 10) is refused
with a Chinese message, and nothing is stored.

Stored with their sha256, their detected type and who uploaded them; `fetch` hands the bytes only
to someone who may see the unit (a unit account: its own unit; others: results.all).
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from datetime import datetime

import filetype
from PIL import Image
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from services._db import read
from services.errors import InvalidInput, NotFound
from services.file_names import safe_file_name
from services.permissions import Actor, acting, require_unit
from storage.models import Attachment, Unit

MAX_MB_ENV = "ASSESS_ATTACHMENT_MAX_MB"
_DEFAULT_MAX_MB = 10
_MAX_PIXELS = 50_000_000  # a phone photo is ~12 MP; a larger "image" is a bomb, not evidence
_MAX_ZIP_RATIO = 100
_MAX_ZIP_INFLATED = 200 * 1024 * 1024

KIND_NAMES = {
    "image/jpeg": "图片（JPEG）",
    "image/png": "图片（PNG）",
    "application/pdf": "PDF 文件",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word 文档",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel 工作簿",
}
ACCEPTED_TEXT = "图片（JPG、PNG）、PDF、Word（.docx）或 Excel（.xlsx）"
_ZIP_KINDS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def max_bytes() -> int:
    try:
        mb = float(os.environ.get(MAX_MB_ENV, "") or _DEFAULT_MAX_MB)
    except ValueError:
        mb = _DEFAULT_MAX_MB
    return int(max(mb, 0.1) * 1024 * 1024)


def inspect(file_name: str, data: bytes) -> str:
    """The file's real type (a key of KIND_NAMES), or InvalidInput saying why it is refused."""
    name = file_name or "（未命名文件）"
    if not data:
        raise InvalidInput(f"文件「{name}」是空的，未保存。")
    limit = max_bytes()
    if len(data) > limit:
        raise InvalidInput(
            f"文件「{name}」有 {len(data) / 1024 / 1024:.1f} MB，超过 {limit / 1024 / 1024:.0f} MB 的上限，未保存。"
        )
    guess = filetype.guess(data[:8192])
    mime = guess.mime if guess is not None else ""
    if mime in ("image/jpeg", "image/png"):
        _check_image(name, data)
        return mime
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise InvalidInput(f"文件「{name}」不是完整的 PDF 文件（文件结尾缺失，可能未传完），未保存。")
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        return _check_package(name, data)
    raise InvalidInput(f"文件「{name}」的内容不是{ACCEPTED_TEXT}，未保存。请上传原始的照片、扫描件或文档。")


def _check_image(name: str, data: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > _MAX_PIXELS:
                raise InvalidInput(f"图片「{name}」尺寸过大（{img.width}×{img.height}），未保存。")
            img.verify()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(f"图片「{name}」尺寸异常（疑似压缩炸弹），未保存。") from None
    except Exception:  # noqa: BLE001 - any decoder failure means the image is damaged
        raise InvalidInput(f"图片「{name}」已损坏，无法打开，未保存。") from None


def _check_package(name: str, data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > _MAX_ZIP_INFLATED or any(
                i.compress_size and i.file_size / i.compress_size > _MAX_ZIP_RATIO for i in infos
            ):
                raise InvalidInput(f"文件「{name}」解压后异常巨大（疑似压缩炸弹），未保存。")
            names = {i.filename for i in infos}
            kind = next((mime for part, mime in _ZIP_KINDS.items() if part in names), None)
            if kind is None:
                raise InvalidInput(f"文件「{name}」是压缩包，不是 Word 或 Excel 文档，未保存。")
            bad = zf.testzip()  # inflates every part once, checking CRCs (sizes bounded above)
            if bad is not None:
                raise InvalidInput(f"文件「{name}」已损坏（{bad} 校验失败），未保存。")
            return kind
    except InvalidInput:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise InvalidInput(f"文件「{name}」已损坏或已加密，无法打开，未保存。") from None


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    owner_kind: str
    owner_id: int | None
    unit_code: str
    code: str | None
    file_name: str
    mime: str
    size: int
    sha256: str
    note: str
    uploaded_by: str
    uploaded_at: datetime

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.mime, "文件")


def _info(a: Attachment, unit_code: str) -> AttachmentInfo:
    return AttachmentInfo(
        a.id, a.owner_kind, a.owner_id, unit_code, a.code, a.file_name, a.mime, a.size, a.sha256, a.note,
        a.uploaded_by, a.uploaded_at,
    )  # fmt: skip


def store(
    session: Session,
    *,
    owner_kind: str,
    unit_id: int,
    file_name: str,
    data: bytes,
    uploaded_by: str,
    owner_id: int | None = None,
    assessment_id: int | None = None,
    code: str | None = None,
    note: str = "",
) -> Attachment:
    """Check `data` by content (InvalidInput if refused) and add it to `session`.

    The caller checks permissions and audits, in the same transaction.
    """
    mime = inspect(file_name, data)
    row = Attachment(
        owner_kind=owner_kind, owner_id=owner_id, assessment_id=assessment_id, unit_id=unit_id, code=code,
        file_name=safe_file_name(file_name or "附件"), mime=mime, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), data=data, note=note.strip(), uploaded_by=uploaded_by,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def listed(session: Session, *conditions: object) -> list[AttachmentInfo]:
    """Attachments matching `conditions` (SQLAlchemy clauses on Attachment), oldest first."""
    rows = session.execute(
        select(Attachment, Unit.code)
        .join(Unit, Unit.id == Attachment.unit_id)
        .where(*conditions)
        .order_by(Attachment.id)
    ).all()
    return [_info(a, code) for a, code in rows]


def fetch(attachment_id: int, *, by: Actor | None = None, engine: Engine | None = None) -> tuple[AttachmentInfo, bytes]:
    """One attachment's bytes, for someone who may see its unit (Forbidden otherwise)."""
    actor = acting(by)

    def work(session: Session) -> tuple[AttachmentInfo, bytes]:
        hit = session.execute(
            select(Attachment, Unit.code)
            .join(Unit, Unit.id == Attachment.unit_id)
            .where(Attachment.id == attachment_id)
        ).first()
        if hit is None:
            raise NotFound(f"附件 {attachment_id} 不存在")
        a, unit_code = hit
        require_unit(actor, unit_code)
        return _info(a, unit_code), a.data

    return read(engine, work)
