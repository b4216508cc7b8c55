"""Every message a user sees from the scoresheet readers and templates, in one place (Chinese).

Functions take plain values and return text, so the wording can be reviewed and changed here
without reading the parsers.
"""

from __future__ import annotations

import math

from scoring.inputs import levels_text
from sheets.cells import (
    BLANK,
    BOOL,
    DATE,
    NA_NOT_ALLOWED,
    NEGATIVE,
    NOT_FINITE,
    NOT_INTEGER,
    NOT_LEVEL,
    NOT_NUMBER,
    NOT_YESNO,
    ONLY_NA,
    OUT_OF_RANGE,
    PERCENT_FORMAT,
    PERCENT_TEXT,
    CellRule,
)

NA_WORD = "不适用"
YES_WORD, NO_WORD = "是", "否"
YESNO_ACCEPTED = "是、否（也可填 √、×、完成、未完成、1、0）"


def num(x: float) -> str:
    """60.0 → '60', 92.5 → '92.5', inf → '∞'."""
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:g}" if abs(x) < 1e15 else f"{x:.6g}"


# -- what a cell should hold ---------------------------------------------------------------------
def expected(rule: CellRule) -> str:
    """'0–100 之间的数字', '是 或 否', … with '，或「不适用」' where the leaf allows it."""
    if rule.only_na and rule.kind == "count":  # a deduction by kinds: counts go under each kind
        return f"留空，或「{NA_WORD}」（整项不适用时）"
    if rule.only_na and rule.formula:  # a computed indicator: its inputs are written instead
        return f"留空（由公式计算），或「{NA_WORD}」" if rule.allow_na else "留空（由公式计算）"
    if rule.only_na:
        return f"留空，或「{NA_WORD}」（整个清单不适用时）"
    if rule.kind == "yesno":
        text = f"{YES_WORD} 或 {NO_WORD}"
        if rule.blank_ok and not rule.is_task:
            text += "（没有发生可留空）"
    elif rule.kind == "count":
        text = "0 或正整数（发生次数，没有发生可留空）"
    elif rule.kind == "level":
        text = "下拉列表中的一个档次"  # the levels themselves are named by the problem and the rule
    elif rule.kind == "score":
        text = f"{num(rule.lo)}–{num(rule.hi)} 之间的分数"
    else:
        text = _range(rule.lo, rule.hi) + ("（百分数，如 92.5 表示 92.5%）" if rule.percent else "")
    if rule.allow_na and not rule.only_na:
        text += f"，或「{NA_WORD}」"
    return text


def _range(lo: float, hi: float) -> str:
    if math.isinf(lo) and math.isinf(hi):
        return "数字"
    if math.isinf(hi):
        return f"不小于 {num(lo)} 的数字"
    if math.isinf(lo):
        return f"不大于 {num(hi)} 的数字"
    return f"{num(lo)}–{num(hi)} 之间的数字"


def cell_problem(kind: str, shown: str, rule: CellRule | None = None) -> str:
    """What is wrong with a cell whose content reads `shown`."""
    q = f"'{shown}'"
    if kind == BLANK:
        return "未填写（空白不等于 0）"
    if kind == NOT_NUMBER:
        return f"{q} 不是数字"
    if kind == DATE:
        return f"{q} 被 Excel 识别成了日期，不是数字"
    if kind == BOOL:
        return f"{q} 是逻辑值，不是数字"
    if kind == PERCENT_TEXT:
        return f"{q} 是百分数，但本指标不按百分比填写"
    if kind == PERCENT_FORMAT:
        return f"单元格设置成了百分比格式（实际存的是 {shown}），本指标不按百分比填写"
    if kind == NOT_YESNO:
        return f"{q} 不是「是/否」"
    if kind == NA_NOT_ALLOWED:
        return f"本指标不允许填「{NA_WORD}」"
    if kind == NEGATIVE:
        return f"{q} 是负数"
    if kind == OUT_OF_RANGE:
        return f"{q} 超出范围"
    if kind == NOT_INTEGER:
        return f"{q} 不是整数"
    if kind == NOT_FINITE:
        return f"{q} 不是有效数字"
    if kind == NOT_LEVEL and rule is not None and rule.levels:
        return f"{q} 不是允许的档次（{levels_text(rule.levels)}）"
    if kind == ONLY_NA and rule is not None and rule.formula:
        return f"{q} 不能填在这一列（本指标由公式计算，请分别填写{rule.formula}）"
    if kind == ONLY_NA:
        return f"{q} 不能填在这一列（这一列只用于标记整个清单「{NA_WORD}」）"
    return f"{q} 无法识别"


def suggestion_for(kind: str, hint: str | None, rule: CellRule | None) -> str | None:
    """A suggestion shown after the message, from the kind of problem and the reader's hint."""
    if kind == NOT_NUMBER and hint:
        return f"是否应为 {hint}？请填阿拉伯数字"
    if kind == NOT_NUMBER:
        return "请填阿拉伯数字，不要带文字"
    if kind == DATE:
        return "请把单元格格式改为「常规」或「数值」后重新输入"
    if kind == PERCENT_FORMAT:
        return "请把单元格格式改为「常规」，再按指标要求填写数字"
    if kind == NOT_YESNO:
        return f"可填：{YESNO_ACCEPTED}"
    if kind == NOT_LEVEL:
        return "也可填档次名称或该档次的分值"
    if kind == BLANK and rule is not None and rule.allow_na:
        return f"如确实不适用，请填「{NA_WORD}」"
    if kind == BLANK:
        return "请补填；如本项没有得分请填 0"
    if kind == NEGATIVE and rule is not None and rule.kind == "count":
        return "扣分项填发生次数，不要填负分"
    return None


# -- locations -----------------------------------------------------------------------------------
def where(sheet: str | None, row: int | None, column: str | None, header: str | None) -> str:
    """'表「评分」第 14 行 D 列「建档率」'; parts that are unknown are left out."""
    text = f"表「{sheet}」" if sheet else ""
    if row:
        text += f"第 {row} 行"
    if column:
        text += (" " if text else "") + f"{column} 列" + (f"「{header}」" if header else "")
    elif header:
        text += f"「{header}」"
    return text


def located(place: str, problem: str, expected_text: str | None, suggestion: str | None) -> str:
    text = f"{place}: {problem}" if place else problem
    if expected_text:
        text += f"，应为 {expected_text}"
    if suggestion:
        text += f"（{suggestion}）"
    return text


# -- files ---------------------------------------------------------------------------------------
FILE_EMPTY = "文件是空的"
FILE_TOO_BIG = "文件大小 {size} 超过上限 {limit}"
FILE_NOT_XLSX = "不是 Excel 工作簿（.xlsx）"
FILE_XLS = "这是旧版 Excel 格式（.xls）"
FILE_XLS_HINT = "请在 Excel 或 WPS 中「另存为」Excel 工作簿（.xlsx）后再上传"
FILE_HTML = "这是网页格式（HTML）的表格，只是扩展名为 .xls/.xlsx"
FILE_ENCRYPTED = "文件已加密（设置了打开密码）"
FILE_ENCRYPTED_HINT = "请在 Excel 中取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后另存再上传"
FILE_CORRUPT = "文件已损坏，无法读取（{detail}）"
FILE_CORRUPT_HINT = "请用 Excel 打开确认无误后重新保存，再上传"
FILE_WORD = "这是 Word/PowerPoint 文档，不是 Excel 工作簿"
FILE_ODS = "这是 WPS/LibreOffice 的 ODS 表格"
FILE_BOMB = "文件解压后体积异常（{detail}），为安全起见拒绝读取"
FILE_BOMB_HINT = "请用 Excel 打开后另存为新的 .xlsx 文件再上传"
FILE_ENTITY = "文件中含有 XML 实体声明（DOCTYPE/ENTITY），为安全起见拒绝读取"
FILE_TOO_MANY_ROWS = "有 {rows} 行，超过上限 {limit} 行"
FILE_TOO_MANY_ROWS_HINT = "请分成几个文件上传"
FILE_TOO_WIDE = "已用区域 {ref} 过大（约 {cells} 个单元格，上限 {limit}）"
FILE_TOO_WIDE_HINT = "可能有单元格被误填在很远的位置：请删除多余的行列后另存再上传"
FILE_UNSUPPORTED_COMPRESSION = "文件使用了不支持的压缩方式"
FILE_TEXT_ENCODING = "无法识别文本编码（支持 UTF-8 和 GBK）"
FILE_CSV_EMPTY = "CSV 文件没有表头"
FILE_INTERNAL = "读取文件时发生意外错误（已记入服务器日志），请联系管理员"
NO_SCORE_SHEET = "没有找到评分表"
NO_SCORE_SHEET_HINT = "请使用系统下载的模板；或确保表头含「单位」列和指标编码/名称列"
NO_VALUES = "表中没有填写任何评分数据"
NO_VALUES_HINT = "请在白色单元格中填写后再上传"
MIXED_LAYOUTS = "同一工作簿中混用了不同版式（{layouts}）"
TOO_MANY_ERRORS = "错误太多，只列出前 {shown} 处（共 {total} 处）"
LAYOUT_NAMES = {"wide": "宽表（每行一个单位）", "per-unit": "每单位一张表", "long": "长表（每行一个数值）"}


def size_text(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.0f} KB"
    return f"{n} 字节"


# -- cells the sheet itself makes unreadable -----------------------------------------------------
FORMULA_NO_VALUE = "是公式，但文件中没有保存计算结果"
FORMULA_NO_VALUE_HINT = "请用 Excel 或 WPS 打开并保存一次（会算出结果），或把公式改为数值"
ERROR_VALUE = "'{value}' 是公式错误值"
ERROR_VALUE_HINT = "请修正公式或直接填写数值"

# -- headers and columns -------------------------------------------------------------------------
UNKNOWN_COLUMN = "表头「{header}」不是方案中的指标"
UNKNOWN_COLUMN_HINT = "最接近的指标：{names}"
UNKNOWN_COLUMN_NO_HINT = "如是备注请把表头改为「备注」；否则请删除该列"
DUPLICATE_COLUMN = "指标「{code}」的列重复（{first} 列已有）"
MISSING_COLUMN = "缺少指标列「{code} {name}」"
MISSING_COLUMN_HINT = "请使用系统下载的模板，不要删除指标列"
MISSING_ROW = "缺少指标「{code} {name}」这一行"
NO_HEADER = "该列有数据但没有表头，无法识别是哪个指标"
NO_UNIT_COLUMN = "没有找到单位列（表头应为「单位编码」或「单位名称」）"
LONG_MISSING_COLUMNS = "缺少列：{columns}"
LONG_MISSING_COLUMNS_HINT = "长表需要「单位」「指标编码」「数值」三列（也可用 unit、criterion、value）"
UNKNOWN_CODE = "'{value}' 不是方案「{scheme}」中的指标编码"  # the scheme's name: a reader never sees its id
UNKNOWN_CODE_HINT = "最接近的指标：{names}"
CRITERION_CODE = "'{value}' 是一级/二级指标，不能直接填数值，请填到其下的评分细则"
DUPLICATE_CODE_ROW = "指标「{code}」重复（第 {first} 行已有）"

# -- units ---------------------------------------------------------------------------------------
UNIT_BLANK = "该行有数值，但没有填写单位"
UNKNOWN_UNIT = "单位 '{value}' 不在单位清单中"
UNKNOWN_UNIT_HINT = "您是不是要找：{names}"
UNKNOWN_UNIT_NO_HINT = "请核对单位编码或名称"
AMBIGUOUS_UNIT = "单位 '{value}' 对应多个单位（{names}），请改填单位编码"
UNIT_MISMATCH = "单位编码 '{code}' 与单位名称 '{name}' 不是同一个单位"
UNIT_MISMATCH_HINT = "编码 {code} 对应「{code_name}」"
UNIT_OUT_OF_SCHEME = "单位「{name}」属于「{category}」，不在本方案适用范围（{categories}）内"
DUPLICATE_UNIT = "单位「{name}」重复：{first}已经填写过（同一考核人不能对同一单位评分两次）"
DUPLICATE_CELL = "单位「{name}」的指标「{code}」重复：{first}已经填写过（同一考核人不能填写两次）"
AFTER_FOOTER = "这一行在「{footer}」行之后，未被读取"
AFTER_FOOTER_HINT = "请把单位数据移到合计/签名行之前"
UNIT_NOT_FOUND_SHEET = "无法确定这张表是哪个单位的（表中没有「单位编码」或「单位名称」，表名「{sheet}」也不是单位名称）"

# -- checklists ----------------------------------------------------------------------------------
CHECKLIST_PARTLY_NA = "任务清单「{name}」部分任务填了「不适用」：要么全部填「不适用」，要么都按是/否填写"

# -- periods and schemes -------------------------------------------------------------------------
PERIOD_MISMATCH = "表中期间为 {found}，与所选期间 {chosen} 不一致"
PERIOD_MISMATCH_HINT = "请确认上传的是 {chosen} 的评分表，或下载 {chosen} 的模板"
PERIOD_UNREADABLE = "无法识别期间 '{value}'"
PERIOD_UNREADABLE_HINT = "期间应写作 {example} 这样的格式"
PERIOD_WRONG_KIND = "所选期间 {period} 不是{kind}期间（方案按{kind}考核，应写作 {example}）"
PERIOD_KINDS = {"month": ("月度", "2025-03"), "quarter": ("季度", "2025-Q1"), "year": ("年度", "2025")}
SCHEME_MISMATCH = "这是方案「{found}」的模板，与所选方案「{chosen}」不一致"
SCHEME_MISMATCH_HINT = "请下载所选方案的模板"
VERSION_MISMATCH = "模板对应方案版本 {found}，当前方案版本为 {chosen}"
VERSION_MISMATCH_HINT = "方案已更新，请下载新版模板后重新填写"

# -- the engine cross-check ----------------------------------------------------------------------
ENGINE_PROBLEM = "{message}"

# -- formulas whose stored result cannot be trusted (sheets.calcstate) ---------------------------
FORMULA_UNTRUSTED = (
    "单元格是公式，文件中没有可信的计算结果（保存文件的程序没有计算公式，记录的结果 '{value}' 不能当作数值）"
)
FORMULA_UNTRUSTED_HINT = "请在 Excel 或 WPS 中打开并保存后再上传，或把公式改为数值"

# -- a statement label merged with the cell its value belongs in -------------------------------------
STATEMENT_WHAT = {"period": "期间", "scheme": "方案", "version": "版本", "assessor": "考核人"}
STATEMENT_MERGED = (
    "「{label}」与右侧单元格合并成了 {ref}，合并区域右侧没有可读取的{what}（合并单元格只保留左上角的内容）"
)
STATEMENT_MERGED_HINT = "请选中 {ref} 取消合并单元格，再在 {cell} 填写{what}"

# -- a row of values after the 合计 / 签名 row, without a unit ------------------------------------
AFTER_FOOTER_NO_UNIT = "这一行在「{footer}」行之后，有数值但没有填写单位，未被读取"

# -- CSV text encodings ----------------------------------------------------------------------------
FILE_TEXT_ENCODING_UTF16 = "无法识别文本编码（支持 UTF-8、GBK 和 UTF-16）"
FILE_TEXT_HINT = "请在 Excel 中「另存为」Excel 工作簿（.xlsx）或「CSV UTF-8（逗号分隔）」后再上传"

# -- workbook formats the reader does not read ------------------------------------------------------
FILE_XLSB = "这是 Excel 二进制工作簿（.xlsb），系统无法读取"
FILE_STRICT = "文件为 Strict Open XML 格式，系统无法读取"
FILE_STRICT_HINT = (
    "请在 Excel 中「另存为」，保存类型选“Excel 工作簿(*.xlsx)”（不要选“Strict Open XML 电子表格”）后再上传"
)

# -- warnings: read, but probably not as meant (shown with the preview, never refused) --------------
PERCENT_FRACTION = "'{value}' 可能是 {pct}%：本指标按百分数填写（{pct} 表示 {pct}%），现在会按 {value}% 计算"
PERCENT_FRACTION_HINT = "如实际是 {pct}%，请改填 {pct}；如确实是 {value}%，可忽略本提示"

# -- merged cells, and files read outside the scoresheet upload --------------------------------------
FILE_TOO_MANY_MERGES = "合并单元格超过 {limit} 处（上限）"
FILE_MERGED_TOO_LARGE = "合并单元格覆盖约 {cells} 个单元格，超过上限 {limit}（最大的一处为 {ref}）"
FILE_MERGES_HINT = "可能有合并区域被大量重复或误选了整行整列：请取消多余的合并单元格后另存再上传"
MERGE_INVALID = "合并单元格的位置无效"
ANNOTATE_TOO_MANY_CELLS = "文件有约 {cells} 个单元格，超过生成标注副本的上限 {limit}，未生成标注副本"
ANNOTATE_TOO_MANY_CELLS_HINT = "错误清单仍然完整，请按清单逐条修改"
FILE_NO_SHEET = "工作簿中没有工作表"
