"""The login page names the bureau and the product (ASSESS_BUREAU_NAME, ASSESS_PRODUCT_NAME),
with safe defaults and cleaned values (issue 21)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_pages import APP, _as_a_running_server, demo_url  # noqa: F401 - demo_url: fixture

from services.branding import DEFAULT_BUREAU, DEFAULT_PRODUCT, MAX_CHARS, bureau_name, product_name


def login_page(url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "登录"
    return at


def test_the_login_page_names_the_default_bureau_and_product(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.delenv("ASSESS_BUREAU_NAME", raising=False)
    monkeypatch.delenv("ASSESS_PRODUCT_NAME", raising=False)
    at = login_page(demo_url, monkeypatch)
    assert at.subheader[0].value == f"{DEFAULT_BUREAU} · {DEFAULT_PRODUCT}"


def test_the_login_page_names_the_configured_bureau_and_product(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("ASSESS_BUREAU_NAME", "清河区卫生健康局")
    monkeypatch.setenv("ASSESS_PRODUCT_NAME", "绩效考核平台")
    at = login_page(demo_url, monkeypatch)
    assert at.subheader[0].value == "清河区卫生健康局 · 绩效考核平台"


def test_names_are_cleaned_and_blank_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSESS_BUREAU_NAME", "  \t ")
    monkeypatch.setenv("ASSESS_PRODUCT_NAME", "考核\n平台\x07")
    assert bureau_name() == DEFAULT_BUREAU
    assert product_name() == "考核 平台"
    monkeypatch.setenv("ASSESS_BUREAU_NAME", "局" * 100)
    assert bureau_name() == "局" * MAX_CHARS
