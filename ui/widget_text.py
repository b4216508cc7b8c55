"""Chinese in place of the English that Streamlit's own widgets draw and cannot be configured to
change: the file uploader's 「Upload」 button and its 「200MB per file」 line (static CSS: the
English text is shrunk to nothing and Chinese is drawn after it), and the table toolbar's and
column menu's labels, tooltips and screen-reader names — 「Search」, 「Fullscreen」, 「Sort
ascending」 … (a small script swaps exactly these strings as Streamlit draws them, inside its
toolbars, menus and tooltips only, so no text of the user's data is ever touched).

The widgets keep working exactly as before (the same buttons, the same drop zone).
"""

from __future__ import annotations

import streamlit as st

# Streamlit's own English (its frontend bundle, the version pinned in requirements.txt) → Chinese,
# swapped only where Streamlit draws it: element toolbars, popover menus (the column menu) and
# tooltips. A fixed string: no user text reaches it (tests/test_permissions.py checks that).
_SCRIPT = """
<script>
(() => {
  const doc = document;
  if (doc.defaultView.__chineseWidgetText) return;
  doc.defaultView.__chineseWidgetText = true;
  const words = {
    "Show/hide columns": "显示/隐藏列",
    "Search": "搜索",
    "Close Search": "关闭搜索",
    "Fullscreen": "全屏",
    "Enter fullscreen": "全屏",
    "Exit fullscreen": "退出全屏",
    "Close fullscreen": "退出全屏",
    "Toggle fullscreen": "切换全屏",
    "Download as CSV": "下载为 CSV",
    "Clear selection": "清除选择",
    "Select all": "全选",
    "Add row": "添加行",
    "Delete row(s)": "删除所选行",
    "Sort ascending": "升序排列",
    "Sort descending": "降序排列",
    "Pin column": "固定此列",
    "Unpin column": "取消固定",
    "Hide column": "隐藏此列",
    "Autosize": "自动列宽",
    "Format": "数字格式",
    "Copy column name": "复制列名",
    "Automatic": "自动",
    "Localized": "本地格式",
    "Plain": "常规",
    "Compact": "紧凑",
    "Percent": "百分比",
    "Scientific": "科学计数",
    "Accounting": "会计格式",
    "Dollar": "美元",
    "Euro": "欧元",
    "Yen": "日元",
    "Calendar": "日历",
    "Distance": "相对时间",
    "Duration": "时长",
  };
  const scope = '[data-testid="stElementToolbar"], [data-baseweb="popover"], [data-baseweb="tooltip"], [role="tooltip"]';
  const fix = (root) => {
    if (!root || root.nodeType !== 1 && root.nodeType !== 3) return;
    const el = root.nodeType === 3 ? root.parentElement : root;
    if (!el || !el.closest) return;
    const inScope = el.closest(scope);
    for (const b of [el, ...el.querySelectorAll('[aria-label]')]) {
      const label = b.getAttribute && b.getAttribute('aria-label');
      if (label && words[label] && (inScope || b.closest(scope))) b.setAttribute('aria-label', words[label]);
    }
    const walker = doc.createTreeWalker(root.nodeType === 3 ? el : root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.nodeValue.trim();
      if (words[text] && n.parentElement && n.parentElement.closest(scope)) n.nodeValue = words[text];
    }
  };
  new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === 'characterData') fix(c.target);
      else if (c.type === 'attributes') fix(c.target);
      else c.addedNodes.forEach(fix);
    }
  }).observe(doc.body, {subtree: true, childList: true, characterData: true,
                        attributes: true, attributeFilter: ['aria-label']});
  fix(doc.body);
})();
</script>
"""

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
    """The CSS and the script, once per page run (app.py calls it for every page; the script
    installs itself once per browser page)."""
    st.html(WIDGET_CSS)
    st.html(_SCRIPT, unsafe_allow_javascript=True)
