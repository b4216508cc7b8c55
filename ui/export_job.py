"""Download buttons for files that take a minute to make (a province's bulletin, issue 23).

A small file is today's one-click download (ui/downloads.py). A large one gets a button
「生成 Excel 通报」: a click re-checks the account as a deferred download does (`fresh_actor`),
starts a background job (services/export_jobs.py) and a fragment redrawn every second shows its
progress in Chinese until the download button with the file appears (or the error, and a retry).
The job's key is kept in the session, so leaving the page and coming back shows the running or
finished job — as long as the results' fingerprint and the account are still those it was made for.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import streamlit as st

from services import export_jobs
from services._db import engine_or_default
from services.errors import NotFound, ServiceError
from services.export_jobs import State
from ui.downloads import File, deferred, download_button, fresh_actor, style_downloads
from ui.guard import TOKEN_KEY, current_actor

UNITS_ENV = "ASSESS_EXPORT_JOB_UNITS"
DEFAULT_UNITS = 3000  # more units than this in the period: the bulletins are made as jobs
REFRESH_SECONDS = 1.0
PROGRESS_WIDTH = 320  # pixels
GONE_TEXT = "文件已过期，请刷新页面后重新生成"
SESSION_PREFIX = "_export_job_"


def large_export(units: int) -> bool:
    """Whether a period of `units` units makes its bulletins as jobs (more than ASSESS_EXPORT_JOB_UNITS)."""
    try:
        limit = int(os.environ.get(UNITS_ENV, "").strip() or DEFAULT_UNITS)
    except ValueError:
        limit = DEFAULT_UNITS
    return units > (limit if limit >= 0 else DEFAULT_UNITS)


def export_button(
    label: str,
    make: Callable[..., File],
    *,
    permission: str,
    what: str,
    file_name: str,
    key: str,
    job_key: str,
    large: bool,
    mime: str | None = None,
    where: Any = None,
    **options: Any,
) -> None:
    """`ui.downloads.download_button` when not `large`: `make(account)` on the click. When `large`,
    a job calls `make(account, progress)` and the page shows its progress; `job_key` is the
    fingerprint of the results the file is made of (with `what` and the account: the job's key)."""
    if not large:
        download_button(
            label, make, permission=permission, what=what, file_name=file_name, key=key, mime=mime, where=where,
            **options,
        )  # fmt: skip
        return
    place = where or st
    drawn = current_actor()
    if drawn is None:
        return
    job_id = export_jobs.job_key(what, job_key, (drawn.account_id, drawn.role, drawn.unit_code), _database())
    remembered = SESSION_PREFIX + key
    # only the job of these results and this account (a changed fingerprint is a new file)
    job = export_jobs.job(job_id) if st.session_state.get(remembered) == job_id else None
    # in a row of buttons: as wide as a button, or a progress bar's width while the job runs
    width: int | str = PROGRESS_WIDTH if job is not None and job.state is State.RUNNING else "content"
    with place.container(key=f"{key}_job", width=width):  # type: ignore[arg-type]
        if job is None:
            generate = label.replace("下载", "生成", 1)
            if st.button(generate, key=key, **_button_options(options)):
                job = _start(job_id, remembered, make, permission, what)
        if job is not None:
            _show(job_id, label, file_name, mime, key, permission, what, make, remembered, options.get("icon"))


def _button_options(options: dict[str, Any]) -> dict[str, Any]:
    return {name: options[name] for name in ("icon", "disabled", "help") if name in options}


def _database() -> str:
    return engine_or_default(None).url.render_as_string(hide_password=True)


def _start(
    job_id: export_jobs.Key, remembered: str, make: Callable[..., File], permission: str, what: str
) -> export_jobs.Job | None:
    """Re-check the account as a deferred download does, then start (or find) the job."""
    try:
        by = fresh_actor(st.session_state.get(TOKEN_KEY), current_actor(), permission, what)
    except ServiceError as exc:
        st.error(str(exc))
        return None
    st.session_state[remembered] = job_id
    return export_jobs.start(job_id, lambda progress: make(by, progress))


def _show(
    job_id: export_jobs.Key,
    label: str,
    file_name: str,
    mime: str | None,
    key: str,
    permission: str,
    what: str,
    make: Callable[..., File],
    remembered: str,
    icon: str | None,
) -> None:
    job = export_jobs.job(job_id)
    if job is None:  # dropped (bounds) or expired since: offer to make it again
        st.session_state.pop(remembered, None)
        st.rerun()
    assert job is not None
    if job.state is State.RUNNING:
        _progress(job_id)
    elif job.state is State.DONE:
        style_downloads()
        st.download_button(
            label,
            data=deferred(lambda by: _file(job_id), permission, what),
            file_name=file_name,
            mime=mime,
            on_click="ignore",
            icon=icon,
            key=f"{key}_ready",
        )
    else:
        st.error(job.error or export_jobs.FAILED_TEXT)
        retry = st.button("重新生成", key=f"{key}_retry", icon=":material/refresh:")
        if retry and _start(job_id, remembered, make, permission, what) is not None:
            st.rerun()


@st.fragment(run_every=REFRESH_SECONDS)
def _progress(job_id: export_jobs.Key) -> None:
    """The running job's bar, redrawn every second; the whole page once it ends (its button)."""
    job = export_jobs.job(job_id)
    if job is None or job.state is not State.RUNNING:
        st.rerun(scope="app")
    assert job is not None
    st.progress(job.fraction, text=job.message)


def _file(job_id: export_jobs.Key) -> File:
    """The finished job's file at the click (re-checked by `deferred`); gone once dropped."""
    job = export_jobs.job(job_id)
    if job is None or job.data is None:
        raise NotFound(GONE_TEXT)
    return job.data
