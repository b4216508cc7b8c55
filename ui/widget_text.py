"""Chinese in place of the English that Streamlit's own widgets draw and cannot be configured to
change (the file uploader's 「Upload」 button and its 「200MB per file」 line).

Static CSS, no user data: the English text is shrunk to nothing and Chinese is drawn after it, so
the widget keeps working exactly as before (the same button, the same drop zone).
"""

from __future__ import annotations

import streamlit as st

WIDGET_CSS = """
<style>
[data-testid="stFileUploaderDropzone"] button,
[data-testid="stFileUploaderDropzone"] button * { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stIconMaterial"] { font-size: 1.125rem; }
[data-testid="stFileUploaderDropzone"] button::after { content: "选择文件"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "可将文件拖放到此处";
  font-size: 0.875rem;
}
</style>
"""


def chinese_widget_text() -> None:
    """Draw the CSS once per page run (app.py calls it for every page)."""
    st.html(WIDGET_CSS)
