"""The names a user meets before anything else: the bureau that runs the installation and the
product, for the login page (and anything else that greets the user).

Configured by the operator (ASSESS_BUREAU_NAME, ASSESS_PRODUCT_NAME); safe defaults otherwise.
A value is cleaned (control characters dropped, whitespace collapsed, at most MAX_CHARS
characters), since it is shown on every login page.
"""

from __future__ import annotations

import os
import re

DEFAULT_BUREAU = "卫生健康局"
DEFAULT_PRODUCT = "卫生健康绩效考核系统"
MAX_CHARS = 40


def _clean(value: str | None) -> str:
    text = re.sub(r"\s+", " ", value or "")  # a line break reads as a space
    return re.sub(r"[\x00-\x1f\x7f]", "", text).strip()[:MAX_CHARS]


def bureau_name() -> str:
    """ASSESS_BUREAU_NAME, e.g. 「清河区卫生健康局」; 「卫生健康局」 when unset or blank."""
    return _clean(os.environ.get("ASSESS_BUREAU_NAME")) or DEFAULT_BUREAU


def product_name() -> str:
    """ASSESS_PRODUCT_NAME (optional); 「卫生健康绩效考核系统」 when unset or blank."""
    return _clean(os.environ.get("ASSESS_PRODUCT_NAME")) or DEFAULT_PRODUCT
