"""证明材料 files are checked by what they are, not by their names: hostile and broken files are
refused with a Chinese message naming the file, and nothing is stored (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from conftest import SmallDb
from PIL import Image
from sqlalchemy import func, select

from services import attachments
from services.attachments import inspect, store
from services.errors import InvalidInput
from storage.db import reading
from storage.models import Attachment, Unit

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- building files, good and hostile ---------------------------------------------------------
def jpeg(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 200, 30)).save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny, well-formed PNG that claims 900 million pixels: all zero rows, deflated to a few KB."""
    raw = zlib.compressobj(9)
    row = b"\x00" * (1 + width // 8)  # 1-bit greyscale rows, each with its filter byte
    body = b"".join(raw.compress(row) for _ in range(200)) + raw.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def pdf(extra: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + extra + b">>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"3 0 obj\n<< /Length 8 >>\nstream\n/JS abc\nendstream\nendobj\n"
        b"xref\n0 4\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"
    )


def office(main_part: str = "word/document.xml", body: bytes = b"<w:document/>", extra: dict | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        zf.writestr(main_part, body)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A docx whose document part inflates 1 KB into 50 MB of zeros."""
    return office(body=b"\x00" * (50 * 1024 * 1024))


def lying_zip_bomb() -> bytes:
    """The document part declares 1 KB but its deflated data is 50 MB of zeros."""
    honest = io.BytesIO()
    with zipfile.ZipFile(honest, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        zf.writestr("word/document.xml", b"\x00" * (50 * 1024 * 1024))
    data = bytearray(honest.getvalue())
    # patch the declared size of word/document.xml in its local header and the central directory
    big = struct.pack("<I", 50 * 1024 * 1024)
    small = struct.pack("<I", 1024)
    return bytes(data.replace(big, small))


def encrypted_docx() -> bytes:
    data = bytearray(office())
    # set the "encrypted" flag (bit 0) of every entry in local headers and the central directory
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (i := data.find(sig, start)) >= 0:
            data[i + at] |= 0x01
            start = i + 4
    return bytes(data)


def xml_bomb_docx() -> bytes:
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    return office(body=laughs + b"<w:document>&lol2;</w:document>")


# -- inspect: accepted -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("检查照片.jpg", jpeg(), "image/jpeg"),
        ("现场.JPEG", jpeg(), "image/jpeg"),
        ("截图.png", png(), "image/png"),
        ("督查记录.pdf", pdf(), "application/pdf"),
        ("整改报告.docx", office(), DOCX),
        ("台账.xlsx", office("xl/workbook.xml", b"<workbook/>"), XLSX),
        ("无扩展名", jpeg(), "image/jpeg"),
    ],
)
def test_genuine_files_are_accepted_for_what_they_are(name: str, data: bytes, mime: str) -> None:
    assert inspect(name, data) == mime


# -- inspect: refused ------------------------------------------------------------------------
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("报告.pdf", HTML, "内容不是"),
        ("照片.jpg", HTML, "内容不是"),
        ("照片.jpg", EXE, "内容不是"),
        ("报告.pdf", EXE, "内容不是"),
        ("记录.pdf", b"#!/bin/sh\nrm -rf /\n", "内容不是"),
        ("截断.pdf", pdf()[:-60], "不是完整的 PDF"),
        ("脚本.pdf", pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "), "含有脚本"),
        ("伪装脚本.pdf", pdf(b"/OpenAction << /S /J#61vaScript >> "), "含有脚本"),
        ("启动.pdf", pdf(b"/OpenAction << /S /Launch /F (cmd.exe) >> "), "含有脚本"),
        ("加密.pdf", pdf(b"/Encrypt 5 0 R "), "加密"),
        ("截断.jpg", jpeg((400, 300))[:-400], "已损坏"),
        ("坏图.png", png()[:40], "已损坏"),
        ("炸弹.png", png_bomb(), "尺寸"),
        ("炸弹.docx", zip_bomb(), "压缩炸弹"),
        ("说谎的炸弹.docx", lying_zip_bomb(), "损坏"),
        ("实体.docx", xml_bomb_docx(), "XML 炸弹"),
        ("加密.docx", encrypted_docx(), "已加密"),
        ("宏.docx", office(extra={"word/vbaProject.bin": b"\x00" * 10}), "含有宏"),
        ("压缩包.docx", office("notes.txt", b"hello"), "不是 Word 或 Excel"),
        ("压缩包.zip", office("notes.txt", b"hello"), "不是 Word 或 Excel"),
        ("半截.docx", office()[:50], "损坏"),
        ("照片.pdf", jpeg(), "名称与内容不符"),
        ("报告.jpg", pdf(), "名称与内容不符"),
        ("文档.xlsx", office(), "名称与内容不符"),
        ("图片.png.exe", png(), "名称与内容不符"),
        ("空.pdf", b"", "是空的"),
    ],
    ids=lambda x: x if isinstance(x, str) and "." in x else "",
)
def test_hostile_and_broken_files_are_refused_with_a_located_message(name: str, data: bytes, says: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        inspect(name, data)
    message = str(exc.value)
    assert says in message and f"「{name}」" in message and "未保存" in message


def test_a_file_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(attachments.MAX_MB_ENV, "0.5")
    with pytest.raises(InvalidInput, match="超过 0 MB|上限"):
        inspect("大照片.jpg", jpeg() + b"\x00" * 600_000)
    monkeypatch.setenv(attachments.MAX_MB_ENV, "not a number")  # a typo falls back to the default
    assert attachments.max_bytes() == 10 * 1024 * 1024


def test_a_pdf_whose_image_stream_happens_to_hold_script_like_bytes_is_accepted() -> None:
    assert inspect("扫描件.pdf", pdf()) == "application/pdf"  # pdf() has "/JS" inside a stream


# -- store: nothing is kept on refusal -------------------------------------------------------
def _count(engine) -> int:  # noqa: ANN001
    with reading(engine) as s:
        return s.scalar(select(func.count()).select_from(Attachment))


@pytest.mark.parametrize("hostile", [("报告.pdf", HTML), ("炸弹.docx", zip_bomb()), ("空.jpg", b"")])
def test_store_keeps_nothing_when_the_file_is_refused(small: SmallDb, hostile: tuple[str, bytes]) -> None:
    from services._db import write

    def work(session):  # noqa: ANN001, ANN202
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "U1"))
        store(session, owner_kind="item", unit_id=unit_id, file_name=hostile[0], data=hostile[1], uploaded_by="测试员")

    with pytest.raises(InvalidInput):
        write(small.engine, work)
    assert _count(small.engine) == 0


def test_store_keeps_the_hash_the_detected_type_and_a_name_with_the_right_extension(small: SmallDb) -> None:
    from services._db import write

    data = png()

    def work(session):  # noqa: ANN001, ANN202
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "U1"))
        return store(
            session, owner_kind="item", unit_id=unit_id, file_name="../../扫描/现场", data=data, uploaded_by="测试员"
        ).id

    new_id = write(small.engine, work)
    info, stored = attachments.fetch(new_id, engine=small.engine)
    assert stored == data and info.mime == "image/png" and info.size == len(data)
    assert info.file_name == "现场.png" and info.kind_name == "图片（PNG）"
    import hashlib

    assert info.sha256 == hashlib.sha256(data).hexdigest()


def test_an_entity_declaration_split_across_read_chunks_is_still_found() -> None:
    import os

    filler = os.urandom((1 << 20) - 5).replace(b"<", b"x")  # incompressible; the DTD straddles 1 MB
    with pytest.raises(InvalidInput, match="XML 炸弹"):
        inspect("长文档.docx", office(body=filler + b'<!DOCTYPE x [<!ENTITY a "b">]><w:document/>'))


def test_small_parts_that_compress_very_well_are_not_mistaken_for_bombs() -> None:
    styles = b"<w:styles>" + b"<w:style/>" * 50_000 + b"</w:styles>"  # 500 KB, ratio far above 100
    assert inspect("样式多.docx", office(extra={"word/styles.xml": styles})) == DOCX


def test_a_pdf_full_of_unterminated_streams_is_checked_in_linear_time() -> None:
    import time

    data = b"%PDF-1.4\n" + b"stream\n" * 700_000 + b"trailer\nstartxref\n9\n%%EOF\n"
    started = time.monotonic()
    assert inspect("怪.pdf", data) == "application/pdf"
    assert time.monotonic() - started < 5
