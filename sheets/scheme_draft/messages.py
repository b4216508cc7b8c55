"""Every message the draft import shows a user, in one place (Chinese)."""

from __future__ import annotations

from sheets.scheme_draft.text import num

EMPTY = "文件是空的，请选择填好的评分细则表（Word .docx 或 Excel .xlsx）。"
WRONG_TYPE = "只能导入 Word（.docx）或 Excel（.xlsx）格式的评分细则表，请另存为这两种格式之一后再导入。"
ENCRYPTED = (
    "文件设有打开密码（已加密），或是旧版 .doc / .xls 格式，无法读取。请在 Word / WPS 中取消密码，"
    "另存为 .docx 或 .xlsx 后再导入。"
)
CORRUPT = "文件已损坏，或不是 Word / Excel 文件，无法读取。请用 Word / WPS 打开确认后另存一份再导入。"
NOT_WORD = "文件不是 Word 文档（.docx），请确认文件类型后再导入。"
TOO_BIG = "文件解压后过大，不像评分细则表，未读取。"
NO_TABLE = "文件中没有找到带「分值」列的表格（表头应有「分值」「标准分」或「分数」一列），无法生成方案草稿。"
NO_NAME_COLUMN = (
    "{where}第 {row} 行是表头，但没有找到指标名称列（如「一级指标」「二级指标」「考核内容」「考核项目」）。"
)
NO_LEAVES = "{where}中没有找到带分值的评分细则行，无法生成方案草稿。"

# -- what was recognised / what a person must decide, per row --------------------------------------
DIRECT = "未识别评分规则，按直接评分处理，请核对"
NO_POINTS = "分值为空或不是数字（「{text}」），未导入此行，请补上分值"
VETO_WITH_POINTS = "写有「一票否决」但本项有 {points} 分，按直接评分处理；如为否决项请另设一行"
STARRED = "带 ★，已加标签「★核心指标」"
NAME_FROM_ABOVE = "本行没有细则名称，暂用上级指标名称，请核对"

# -- lint -----------------------------------------------------------------------------------------
SUBTOTAL_DIFFERS = "{where}第 {row} 行「{word}」: {level}「{name}」各细则合计 {leaves} 分，表中写 {declared} 分，请核对"
TOTAL_DIFFERS = "{where}第 {row} 行「{word}」: 各细则合计 {leaves} 分，表中写 {declared} 分，请核对"
NAME_SUBTOTAL_DIFFERS = "{where}第 {row} 行: {level}「{name}」各细则合计 {leaves} 分，名称中写 {declared} 分，请核对"
RULE_MAX = "{where}第 {row} 行「{name}」: 评分标准最多得 {most} 分，本项分值为 {points} 分，请核对"
SCHEME_INVALID = "草稿未通过方案校验，请在编辑器中修改："

# -- the scheme as a whole -----------------------------------------------------------------------
CHECK_HEAD = "方案编码、版本号、考核周期和适用单位类别为自动填写，请核对后再保存"


def subtotal_differs(where: str, row: int, word: str, level: str, name: str, leaves: float, declared: float) -> str:
    return SUBTOTAL_DIFFERS.format(
        where=where, row=row, word=word, level=level, name=name, leaves=num(leaves), declared=num(declared)
    )
