"""Uploads: a scoresheet checked against a stored scheme version, previewed, then committed.

    check = check_upload(data, "评分.xlsx", version_id, "2025-03", assessor="考核一组")
    check.errors             # every located problem (sheets.CellError); check.error_table() for a page
    check.annotated()        # the user's workbook with the bad cells marked (built on first call)
    check.preview.changes    # cells new / changed / unchanged, old → new
    check.preview.effect     # each unit's total and rank before → after
    outcome = commit(check, "张三", note="3月考核")  # one transaction (services.submissions)

The preview scores the current values with the uploaded cells applied, exactly as an import
would leave them (a cell is unit × code × assessor), and compares with the current results.
Nothing here is Streamlit; nothing is stored before `commit`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from scoring import Scheme, ScoringInputError, score
from scoring.periods import period_name, period_type
from services import audit
from services._db import local_today, read
from services.catalog import SchemeVersionInfo, get_version, latest_version, list_units, scheme_versions
from services.errors import Forbidden, InvalidInput, NotFound
from services.evidence import evidence_cell_errors
from services.periods import get_period, list_periods
from services.permissions import Actor, check, require_scope, trusted
from services.results import baseline_history_for, results
from services.submissions import ImportOutcome, import_values
from services.teams import assign_team, existing_teams, explain_effect
from services.unit_figures import figures_for
from services.values import current_values, find_assessment, periods_with_values
from sheets import annotate_workbook, build_template, read_scores, rules_for
from sheets.limits import DEFAULT_LIMITS, Limits
from sheets.model import CellError, ParsedUpload
from sheets.package import PackageRefused

KEY = ["unit", "code", "assessor"]
CHANGE_NAMES = {"new": "新增", "changed": "修改", "same": "不变"}
EFFECT_NAMES = {"new": "新参评", "total": "总分变化", "rank": "名次变化", "same": "不变"}
ERROR_COLUMNS = {
    "sheet": "工作表",
    "row": "行",
    "column": "列",
    "header": "表头",
    "value": "单元格内容",
    "problem": "问题",
    "expected": "应为",
    "suggestion": "建议",
}


# -- what to upload into ---------------------------------------------------------------------
def version_for(scheme_key: str, period: str, *, engine: Engine | None = None) -> SchemeVersionInfo:
    """The version an upload for `period` must use: the one its current values use, else the latest."""
    ref = read(engine, lambda s: find_assessment(s, scheme_key, period))
    if ref is not None and ref.scheme_version_id is not None:
        return get_version(ref.scheme_version_id, engine=engine)
    return latest_version(scheme_key, engine=engine)


def find_version(scheme_key: str, version: str | None = None, *, engine: Engine | None = None) -> SchemeVersionInfo:
    """A stored version by its label (None: the latest). NotFound names the versions there are."""
    versions = scheme_versions(scheme_key, engine=engine)
    if not versions:
        raise NotFound(f"方案 {scheme_key} 尚未登记")
    if version is None:
        return versions[-1]
    for v in versions:
        if v.version == version:
            return v
    raise NotFound(f"方案「{versions[-1].name}」没有版本 {version}（已登记：{'、'.join(v.version for v in versions)}）")


def scheme_units(version: SchemeVersionInfo, *, engine: Engine | None = None) -> pd.DataFrame:
    """The active units the scheme applies to (code, name, category, aliases), in register order."""
    units = list_units(include_inactive=False, engine=engine)
    if version.categories:
        units = units[units["category"].isin(version.categories)]
    return units[["code", "name", "category", "aliases"]].reset_index(drop=True)


@dataclass(frozen=True)
class PeriodOption:
    label: str
    has_values: bool
    locked: bool

    @property
    def text(self) -> str:
        marks = ("已有数据" if self.has_values else "", "已锁定" if self.locked else "")
        extra = "，".join(m for m in marks if m)
        return period_name(self.label) + (f"（{extra}）" if extra else "")


def _around(kind: str, today: dt.date) -> list[str]:
    """Periods a user may be filling now: the last two years up to the current period (a period
    that has not begun is not offered — a slip of the list would file scores under next month)."""
    if kind == "month":
        out, y, m = [], today.year, today.month
        for _ in range(25):
            out.append(f"{y}-{m:02d}")
            y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        return out
    if kind == "quarter":
        q = (today.month - 1) // 3 + 1
        return [f"{today.year - i // 4}-Q{(q - 1 - i) % 4 + 1}" for i in range(9)]
    return [str(today.year - i) for i in range(3)]


def period_options(
    scheme_key: str, *, today: dt.date | None = None, engine: Engine | None = None
) -> list[PeriodOption]:
    """Periods to upload into, newest first from the current period (the bureau's today): the
    recent ones plus those with values, with their state."""
    kind = latest_version(scheme_key, engine=engine).period_type
    with_values = set(periods_with_values(scheme_key, engine=engine))
    locked = {p.label for p in list_periods(engine=engine) if p.locked}
    labels = set(_around(kind, today or local_today())) | with_values
    labels = {lb for lb in labels if period_type(lb) == kind}
    return [PeriodOption(lb, lb in with_values, lb in locked) for lb in sorted(labels, reverse=True)]


def make_template(
    version_id: int,
    period: str,
    layout: str = "wide",
    *,
    assessor: str | None = None,
    prefill: bool = False,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> bytes:
    """An .xlsx template for the scheme's active units; `prefill`: with the current values filled in
    — of one team, which the template then carries (so uploading it back corrects that team).
    For those who may upload to the scheme; the download is audited."""
    who = check(by, "upload")
    version = get_version(version_id, engine=engine)
    if who is not None:
        require_scope(who, "upload", version.scheme_key, (), scheme_name=version.name)
    scheme = version.load()
    _check_period(scheme, period)
    with trusted():  # checked above: the reads act for that account, also on a download's thread
        units = scheme_units(version, engine=engine)
        values = current_values(version.scheme_key, period, engine=engine) if prefill else None
    if units.empty:
        raise InvalidInput(
            f"单位清单中没有适用于方案「{scheme.name}」的单位（适用类别：{'、'.join(scheme.categories)}）"
        )
    if values is not None:
        teams = sorted({str(a) for a in pd.unique(values["assessor"].astype(str))})
        if assessor is None and len(teams) == 1:
            assessor = teams[0] or None  # the only team: the template carries it
        elif assessor is None and len(teams) > 1:
            listed = "、".join(t or "（未署名）" for t in teams)
            raise InvalidInput(
                f"本期有多个考核组的数据（{listed}）：请先填写要预填哪一个考核组，模板将只含该组的数值。"
            )
        if assessor is not None:
            values = values[values["assessor"] == assessor]
    data = build_template(scheme, period, units, layout=layout, values=values, assessor=assessor or None)
    what = "预填当前数据的评分表模板" if prefill else "空白评分表模板"
    audit.record_download(
        who, f"scheme:{version.scheme_key}", f"下载 {scheme.name} {period} {what}", engine=engine, period=period,
        prefill=prefill, layout=layout,
    )  # fmt: skip
    return data


def _check_period(scheme: Scheme, period: str) -> None:
    kind = period_type(period)
    if kind != scheme.period_type:
        names = {"month": "月度（如 2025-03）", "quarter": "季度（如 2025-Q1）", "year": "年度（如 2025）"}
        raise InvalidInput(f"期间「{period}」不适用于方案「{scheme.name}」：该方案按{names[scheme.period_type]}考核")


# -- the check and its preview ---------------------------------------------------------------
@dataclass
class Preview:
    """What committing the upload would change.

    `changes`: one row per uploaded cell — unit, name, code, item, assessor, before, after (display
    text), change ('new', 'changed', 'same'), change_name. `effect`: per unit that is uploaded or
    whose total or rank moves — unit, name, category, covered, total_before/after, delta,
    rank_before/after, group_size, grade_before/after, status ('new', 'total', 'rank', 'same'),
    status_name. `score_problems`: why the totals after import cannot be computed (then effect is
    empty). `blocked`: why the import would be refused now (locked period, another version in use).
    """

    changes: pd.DataFrame
    effect: pd.DataFrame
    score_problems: list[str] = field(default_factory=list)
    blocked: str | None = None

    @property
    def units(self) -> int:
        return int(self.changes["unit"].nunique())

    @property
    def cells(self) -> int:
        return len(self.changes)

    def count(self, change: str) -> int:
        return int((self.changes["change"] == change).sum())

    @property
    def unchanged(self) -> bool:
        """Every uploaded cell already holds the same value: importing changes nothing."""
        return self.count("same") == self.cells

    @property
    def summary(self) -> str:
        text = f"涉及 {self.units} 个单位、{self.cells} 个单元格：新增 {self.count('new')} 个，修改 {self.count('changed')} 个，不变 {self.count('same')} 个"
        if self.unchanged:
            text += "。上传的数值与当前数据相同，导入不会改变任何得分"
        return text


@dataclass
class UploadCheck:
    """One uploaded file checked against a scheme version and period."""

    version: SchemeVersionInfo
    period: str
    file_name: str
    file_bytes: bytes
    parsed: ParsedUpload
    preview: Preview | None  # None when there are errors
    limits: Limits = DEFAULT_LIMITS
    _annotated: bytes | None = field(default=None, repr=False)
    team_refused: str | None = None  # why the upload's team does not fit (services/teams.py)

    @property
    def errors(self) -> list[CellError]:
        return self.parsed.errors

    @property
    def ok(self) -> bool:
        return not self.parsed.errors

    @property
    def warnings(self) -> list[CellError]:
        """Cells read, but probably not as meant (0.6 in a % column): shown with the preview."""
        return self.parsed.warnings

    @property
    def total_errors(self) -> int:
        return self.parsed.total_errors or len(self.parsed.errors)

    @property
    def layout(self) -> str:
        return self.parsed.layout

    def error_table(self) -> pd.DataFrame:
        """The errors with Chinese headings: 工作表, 行, 列, 表头, 单元格内容, 问题, 应为, 建议."""
        rows = [
            {
                "sheet": e.sheet or e.file or "",
                "row": e.row,
                "column": e.column or "",
                "header": e.header or "",
                "value": e.value,
                "problem": e.problem,
                "expected": e.expected or "",
                "suggestion": e.suggestion or "",
            }
            for e in self.errors
        ]
        frame = pd.DataFrame(rows, columns=list(ERROR_COLUMNS))
        frame["row"] = frame["row"].astype("Int64")
        return frame.rename(columns=ERROR_COLUMNS)

    def annotated(self) -> bytes | None:
        """The user's workbook with each bad cell marked and commented; None when it cannot be opened."""
        if self.ok:
            return None
        if self._annotated is None:
            try:
                self._annotated = annotate_workbook(
                    self.file_bytes, self.errors, file_name=self.file_name, limits=self.limits
                )
            except PackageRefused:
                return None
            except Exception:  # openpyxl may fail on files calamine reads; the error list still stands
                return None
        return self._annotated

    @property
    def annotated_name(self) -> str:
        stem = self.file_name.rsplit(".", 1)[0] if "." in self.file_name else self.file_name
        return f"{stem}_错误标注.xlsx"


def check_upload(
    data: bytes,
    file_name: str,
    version_id: int,
    period: str,
    *,
    assessor: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    mode: str = "auto",
    by: Actor | None = None,
    engine: Engine | None = None,
) -> UploadCheck:
    """Read and check an uploaded file (any layout) for a stored scheme version and period.

    Never raises for a bad file: its problems are located in `errors`. Raises NotFound for an
    unknown version, InvalidInput for a period of the wrong kind, Forbidden for an account
    without the upload permission (an assessor's scheme and category scope shows as `blocked`).
    """
    who = check(by, "upload")
    version = get_version(version_id, engine=engine)
    scheme = version.load()
    _check_period(scheme, period)
    register = list_units(engine=engine)
    units = register.loc[register["active"], ["code", "name", "category", "aliases"]]
    parsed = read_scores(
        data, scheme, period=period, units=units, file_name=file_name, assessor=assessor or None, limits=limits,
        figures=figures_for(scheme, engine=engine),  # computed indicators: the cross-check reads 常住人口 …
    )  # fmt: skip
    missing = evidence_cell_errors(scheme, version.scheme_key, period, parsed, engine=engine)  # 无书面材料不得分
    if missing:  # refused like any bad cell, located in the workbook, listed with the other errors
        parsed.total_errors = (parsed.total_errors or len(parsed.errors)) + len(missing)
        parsed.errors.extend(missing)
    preview = None
    refused = None
    if not parsed.errors and mode != "auto":  # correction or new team (services/teams.py)
        existing = existing_teams(version.scheme_key, period, engine=engine)
        parsed.values, _, refused = assign_team(parsed.values, mode, assessor, existing)
    if not parsed.errors:
        preview = _preview(version, scheme, period, parsed.values, register.set_index("code"), who, engine, refused)
    return UploadCheck(version, period, file_name, data, parsed, preview, limits, team_refused=refused)


def commit(
    upload: UploadCheck, user: str = "", note: str = "", *, by: Actor | None = None, engine: Engine | None = None
) -> ImportOutcome:
    """Store a checked upload as one submission (one transaction). Refuses a check with errors;
    raises PeriodLocked, Conflict, Forbidden or ImportRefused as `import_values` does at the
    moment of commit. `user` is recorded when no account is signed in (command line)."""
    if not upload.ok:
        raise InvalidInput(
            f"文件「{upload.file_name}」有 {upload.total_errors} 处错误，未导入任何数据，请修改后重新上传"
        )
    if upload.team_refused:
        raise InvalidInput(f"未导入：{upload.team_refused}")
    return import_values(
        upload.period, upload.version.id, upload.parsed.values, user, upload.file_name, upload.file_bytes, note,
        by=by, engine=engine,
    )  # fmt: skip


def _text_key(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    """unit, code, assessor as plain text; value, na; one row per cell."""
    return pd.DataFrame(
        {
            "unit": _text_key(frame["unit"]),
            "code": _text_key(frame["code"]),
            "assessor": _text_key(frame["assessor"]) if "assessor" in frame.columns else "",
            "value": pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float),
            "na": frame["na"].fillna(False).to_numpy(dtype=bool) if "na" in frame.columns else False,
            "note": _text_key(frame["note"]) if "note" in frame.columns else "",
        }
    ).reset_index(drop=True)


def _blocked(
    version: SchemeVersionInfo, period: str, categories: set[str], who: Actor | None, engine: Engine | None
) -> str | None:
    if who is not None:
        try:
            require_scope(who, "upload", version.scheme_key, categories, scheme_name=version.name)
        except Forbidden as exc:
            return str(exc)
    info = get_period(period, engine=engine)
    if info.locked:
        return f"{info.name}（{period}）{info.state_text}：锁定期间不能导入数据；如确需更正，请先由管理员解锁。"
    ref = read(engine, lambda s: find_assessment(s, version.scheme_key, period))
    if ref is not None and ref.scheme_version_id not in (None, version.id):
        used = get_version(ref.scheme_version_id, engine=engine)
        return (
            f"{period_name(period)}（{period}）已按方案版本 {used.version} 导入了数据，不能再按版本 {version.version} 导入："
            "同一期间的数据必须使用同一个方案版本计分。"
        )
    return None


def _preview(
    version: SchemeVersionInfo,
    scheme: Scheme,
    period: str,
    values: pd.DataFrame,
    register: pd.DataFrame,
    who: Actor | None,
    engine: Engine | None,
    refused: str | None = None,
) -> Preview:
    """`register`: every unit (list_units), indexed by code. `refused`: why the upload's team
    does not fit (services/teams.py), shown as the reason it is blocked."""
    new = _cells(values)
    categories = set(register["category"].reindex(pd.unique(new["unit"])).dropna().astype(str))
    blocked = refused or _blocked(version, period, categories, who, engine)
    old = _cells(current_values(version.scheme_key, period, engine=engine)) if blocked is None else new.iloc[0:0]
    changes = _changes(scheme, new, old, register["name"])
    if blocked is not None:
        return Preview(changes, _empty_effect(), [], blocked)
    effect, problems = _effect(scheme, version.scheme_key, period, new, old, register, engine)
    effect["why"] = explain_effect(effect, new, old) if len(effect) else pd.Series(dtype=object)
    return Preview(changes, effect, problems, None)


def _shown(values: np.ndarray, na: np.ndarray, present: np.ndarray, yesno: np.ndarray) -> np.ndarray:
    """Cell values as a person reads them: 是/否, 不适用, （空白）, numbers without trailing zeros."""
    blank = np.isnan(values)
    text = np.char.mod("%g", np.where(blank, 0.0, values)).astype(object)
    text = np.where(yesno, np.where(values == 1, "是", "否"), text)
    text = np.where(blank, "（空白）", text)
    text = np.where(na, "不适用", text)
    return np.where(present, text, "")


def _item_names(scheme: Scheme) -> dict[str, str]:
    names = {}
    for leaf in scheme.leaves:
        names[leaf.code] = leaf.name
        for task in getattr(leaf, "tasks", ()) or ():
            names[task.code] = task.name
    return names


def _changes(scheme: Scheme, new: pd.DataFrame, old: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    merged = new.merge(old, on=KEY, how="left", suffixes=("", "_old"), indicator=True)
    had = (merged["_merge"] == "both").to_numpy()
    v, vo = merged["value"].to_numpy(float), merged["value_old"].to_numpy(float)
    same_value = (v == vo) | (np.isnan(v) & np.isnan(vo))
    na, na_old = merged["na"].to_numpy(bool), merged["na_old"].fillna(False).to_numpy(bool)
    # Notes do not count: they change no result (and a wide sheet has one note column per row).
    same = had & same_value & (na == na_old)
    # A blank cell of a method where blank means "nothing happened" adds nothing where nothing was.
    blank = ~had & np.isnan(v) & ~na
    change = np.where(same | blank, "same", np.where(had, "changed", "new"))
    rules = rules_for(scheme)
    yesno = merged["code"].map(lambda c: rules[c].kind == "yesno" if c in rules else False).to_numpy(bool)
    items = _item_names(scheme)
    out = pd.DataFrame(
        {
            "unit": merged["unit"],
            "name": merged["unit"].map(names).fillna(""),
            "code": merged["code"],
            "item": merged["code"].map(items).fillna(""),
            "assessor": merged["assessor"],
            "before": _shown(vo, na_old, had, yesno),
            "after": _shown(v, na, np.ones(len(merged), bool), yesno),
            "change": change,
        }
    )
    out["change_name"] = out["change"].map(CHANGE_NAMES)
    order = {c: i for i, c in enumerate(rules)}
    out["_o"] = out["code"].map(order).fillna(len(order))
    return out.sort_values(["unit", "_o", "assessor"], kind="stable").drop(columns="_o").reset_index(drop=True)


_EFFECT_COLUMNS = [
    "unit", "name", "category", "covered", "total_before", "total_after", "delta", "rank_before", "rank_after",
    "group_size", "grade_before", "grade_after", "status", "status_name",
]  # fmt: skip


def _empty_effect() -> pd.DataFrame:
    return pd.DataFrame(columns=_EFFECT_COLUMNS)


def _effect(
    scheme: Scheme,
    scheme_key: str,
    period: str,
    new: pd.DataFrame,
    old: pd.DataFrame,
    register: pd.DataFrame,
    engine: Engine | None,
) -> tuple[pd.DataFrame, list[str]]:
    """Score the current values with the uploaded cells applied; compare with the current results."""
    covered = pd.MultiIndex.from_frame(new[KEY])
    kept = old[~pd.MultiIndex.from_frame(old[KEY]).isin(covered)] if len(old) else old
    merged = pd.concat([kept, new], ignore_index=True).assign(period=period)
    present = pd.unique(merged["unit"])
    categories = register["category"].astype(str).reindex(present).dropna()
    try:
        after = score(
            scheme,
            merged[["period", "unit", "code", "value", "na", "assessor"]],
            categories=categories,
            figures=figures_for(scheme, engine=engine),
            history=baseline_history_for(scheme_key, scheme, period, engine=engine),  # as results() does
        )
    except ScoringInputError as exc:
        problems = [str(p) for p in exc.problems[:50]]
        if len(exc.problems) > 50:
            problems.append(f"……另有 {len(exc.problems) - 50} 处")
        return _empty_effect(), problems
    try:
        current = results(scheme_key, period, published=False, engine=engine)  # the working values
        before = current.units if current is not None else None
    except ScoringInputError:  # the stored values are incomplete: every unit counts as new
        before = None
    a = after.units.assign(unit=after.units["unit"].astype(str))
    cols = ["unit", "total", "rank", "grade"]
    if before is not None and len(before):
        b = before.assign(unit=before["unit"].astype(str))[cols]
    else:
        b = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    m = a[[*cols, "category", "group_size"]].merge(b, on="unit", how="left", suffixes=("_after", "_before"))
    scored_before = m["total_before"].notna().to_numpy()
    tb, ta = m["total_before"].astype(float).to_numpy(), m["total_after"].astype(float).to_numpy()
    rb, ra = m["rank_before"].astype(float).to_numpy(), m["rank_after"].astype(float).to_numpy()
    total_moved = scored_before & ~np.isclose(tb, ta, equal_nan=True)
    rank_moved = scored_before & (rb != ra)
    status = np.where(~scored_before, "new", np.where(total_moved, "total", np.where(rank_moved, "rank", "same")))
    is_covered = m["unit"].isin(set(new["unit"])).to_numpy()
    out = pd.DataFrame(
        {
            "unit": m["unit"],
            "name": m["unit"].map(register["name"]).fillna(""),
            "category": m["category"].astype(str),
            "covered": is_covered,
            "total_before": tb,
            "total_after": ta,
            "delta": np.round(ta - tb, scheme.decimals),
            "rank_before": pd.array(np.where(scored_before, rb, np.nan), dtype="Float64").astype("Int64"),
            "rank_after": pd.array(ra, dtype="Float64").astype("Int64"),
            "group_size": m["group_size"].astype(int),
            "grade_before": m["grade_before"].astype(object).where(scored_before, "").astype(str),
            "grade_after": m["grade_after"].astype(str),
            "status": status,
        }
    )
    out["status_name"] = out["status"].map(EFFECT_NAMES)
    shown = out[out["covered"] | (out["status"] != "same")]
    return shown.sort_values(["category", "rank_after", "unit"], kind="stable").reset_index(drop=True), []
