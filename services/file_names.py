"""File names that come from users (uploads) reduced to a bare name that stays in its directory."""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def safe_file_name(name: str, default: str = "上传文件") -> str:
    """The last path component of `name` (either slash), without control or reserved characters,
    leading dots or spaces; never empty, '.', '..', or longer than 200 characters."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.split(r"[\\/]", text)[-1]
    text = _UNSAFE.sub("_", text).strip().lstrip(".").strip()
    if len(text) > 200:
        stem, dot, ext = text.rpartition(".")
        text = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else text[:200]
    return text or default
