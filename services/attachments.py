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
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime

import filetype
from PIL import Image
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from services import audit
from services._db import read
from services.errors import InvalidInput, NotFound
from services.file_names import safe_file_name
from services.permissions import Actor, acting, require_unit
from storage.models import Attachment, Unit

MAX_MB_ENV = "ASSESS_ATTACHMENT_MAX_MB"
_DEFAULT_MAX_MB = 10
_MAX_PIXELS = 50_000_000  # a phone photo is ~12 MP; a larger "image" is a bomb, not evidence
_MAX_ZIP_RATIO = 100
_RATIO_FROM = 1024 * 1024  # small parts may compress very well (empty styles, repeated cells)
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
    """The file's real type (a key of KIND_NAMES), or InvalidInput saying why it is refused.

    The name must not contradict the content: a photo called 报告.pdf or a page called 照片.jpg is
    refused, as a file "not what its name says"; a name without an extension is accepted (`store`
    gives it the right one)."""
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
    elif data.startswith(b"%PDF-"):
        _check_pdf(name, data)
        mime = "application/pdf"
    elif data.startswith(b"PK\x03\x04"):
        mime = _check_package(name, data)
    else:
        raise InvalidInput(f"文件「{name}」的内容不是{ACCEPTED_TEXT}，未保存。请上传原始的照片、扫描件或文档。")
    _check_name(name, mime)
    return mime


# What each accepted type may be called; another extension means the name lies about the content.
EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "application/pdf": (".pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
}


def _extension(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    return f".{ext.lower()}" if dot and stem.strip() and ext else ""


def _check_name(name: str, mime: str) -> None:
    ext = _extension(name)
    if ext and ext not in EXTENSIONS[mime]:
        raise InvalidInput(
            f"文件「{name}」的扩展名是 {ext}，但内容是{KIND_NAMES[mime]}，名称与内容不符，未保存。"
            f"请上传原始文件，或把扩展名改为 {EXTENSIONS[mime][0]}。"
        )


def _check_image(name: str, data: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > _MAX_PIXELS:
                raise InvalidInput(f"图片「{name}」尺寸过大（{img.width}×{img.height}），未保存。")
            img.verify()  # chunk structure and checksums (PNG)
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # decode every pixel: a truncated or damaged photo fails here, not when viewed
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(f"图片「{name}」尺寸异常（疑似压缩炸弹），未保存。") from None
    except Exception:  # noqa: BLE001 - any decoder failure means the image is damaged
        raise InvalidInput(f"图片「{name}」已损坏或不完整，无法打开，未保存。") from None


# PDF names that make a document act rather than show (scripts, launching programs, embedded
# files): a scanned record never needs them. `#xx` escapes are undone first (/J#61vaScript).
# A best-effort screen of the objects' dictionaries: names inside compressed object streams are
# not seen, which is why downloads are always served as files to save, never shown inline.
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?![A-Za-z0-9])")
_PDF_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _pdf_dictionaries(data: bytes) -> bytes:
    """`data` without the bytes of its streams (a scan's image data could hold "/JS" by chance).
    One pass with `find`: a file full of "stream" without "endstream" stays linear."""
    out, at = [], 0
    while (start := data.find(b"stream", at)) >= 0:
        end = data.find(b"endstream", start + 6)
        if end < 0:
            break
        out.append(data[at:start])
        at = end + len(b"endstream")
    out.append(data[at:])
    return b"".join(out)


def _check_pdf(name: str, data: bytes) -> None:
    tail = data[-2048:]
    if b"%%EOF" not in tail or b"startxref" not in data[-4096:]:
        raise InvalidInput(f"文件「{name}」不是完整的 PDF 文件（文件结尾缺失，可能未传完），未保存。")
    plain = _PDF_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), _pdf_dictionaries(data))
    if b"/Encrypt" in plain:
        raise InvalidInput(f"文件「{name}」是加密的 PDF，无法查看，未保存。请上传未加密的文件。")
    if _PDF_ACTIVE.search(plain) is not None:
        raise InvalidInput(
            f"文件「{name}」含有脚本、可执行动作或内嵌文件，不能作为证明材料，未保存。请上传扫描件或另存为普通 PDF。"
        )


_MAX_ZIP_ENTRIES = 5_000
_MACRO_PARTS = ("vbaproject.bin", "vbadata.xml")
_XML_DECLARATIONS = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _declares_entities(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Inflate one part in chunks (checking its CRC at the end; zipfile never inflates past the
    declared size, bounded above, so a lying header cannot blow up) and, for XML, look for a DTD."""
    xml = info.filename.lower().endswith((".xml", ".rels"))
    carry = b""
    with zf.open(info) as part:
        while chunk := part.read(1 << 20):
            if xml and _XML_DECLARATIONS.search(carry + chunk):
                return True
            carry = chunk[-16:]  # a declaration split across two chunks is still seen
    return False


def _check_package(name: str, data: bytes) -> str:
    bomb = InvalidInput(f"文件「{name}」解压后异常巨大（疑似压缩炸弹），未保存。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > _MAX_ZIP_ENTRIES:
                raise bomb
            total = sum(i.file_size for i in infos)
            if total > _MAX_ZIP_INFLATED or any(
                i.file_size > _RATIO_FROM and i.file_size / max(i.compress_size, 1) > _MAX_ZIP_RATIO for i in infos
            ):
                raise bomb
            if any(i.flag_bits & 0x1 for i in infos):
                raise InvalidInput(f"文件「{name}」已加密（设有打开密码），无法查看，未保存。请取消密码后重新上传。")
            names = {i.filename for i in infos}
            kind = next((mime for part, mime in _ZIP_KINDS.items() if part in names), None)
            if kind is None or "[Content_Types].xml" not in names:
                raise InvalidInput(f"文件「{name}」是压缩包，不是 Word 或 Excel 文档，未保存。")
            if any(n.rsplit("/", 1)[-1].lower() in _MACRO_PARTS for n in names):
                raise InvalidInput(
                    f"文件「{name}」含有宏（可执行代码），不能作为证明材料，未保存。请另存为不含宏的文档。"
                )
            for info in infos:
                if _declares_entities(zf, info):
                    # Office never writes a DTD: entity declarations are how XML bombs start.
                    raise InvalidInput(f"文件「{name}」的内部 XML 含有实体声明（疑似 XML 炸弹），未保存。")
            return kind
    except InvalidInput:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError):
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
    clean = safe_file_name(file_name or "证明材料")
    if not _extension(clean):
        clean += EXTENSIONS[mime][0]  # so the download opens with the right program
    row = Attachment(
        owner_kind=owner_kind, owner_id=owner_id, assessment_id=assessment_id, unit_id=unit_id, code=code,
        file_name=clean, mime=mime, size=len(data),
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
    """One attachment's bytes, for someone who may see its unit (Forbidden otherwise); audited."""
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

    info, data = read(engine, work)
    audit.record_download(
        actor, f"attachment:{info.id}", f"下载证明材料「{info.file_name}」（单位「{info.unit_code}」）",
        engine=engine, sha256=info.sha256,
    )  # fmt: skip
    return info, data
