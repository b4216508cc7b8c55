"""Background export jobs in this process: a province's Excel bulletin takes a minute to write,
so it is built on a daemon thread while the page shows its progress (ui/export_job.py).

`start(key, make)` runs `make(progress)` once per key: a second start while it runs, or after it
finished, returns the same job (no second build); only a failed job is started again. `job(key)`
is the job or None. A key names everything that makes the file (what, the scheme and period, the
results' fingerprint, the account, the database: `job_key`), so a stale file or another
account's is never served — a changed fingerprint is another key.

Bounded, from the environment (docs/deployment.md):
- ASSESS_EXPORT_JOBS_KEPT (default 20): finished jobs kept, least recently used dropped first;
- ASSESS_EXPORT_JOBS_MB (default 256): megabytes of finished files kept, the same way (the job
  that just finished is always kept, so a file larger than the budget can still be fetched);
- ASSESS_EXPORT_JOBS_RUNNING (default 2): jobs building at once; more wait their turn, since a
  province bulletin holds several hundred megabytes while it is written;
- ASSESS_EXPORT_JOB_MINUTES (default 30): a finished file is served for this long, then built
  anew on the next request (objections and 整改 tasks it reports are not in the fingerprint).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from enum import StrEnum

from exports.progress import Progress
from services.errors import ServiceError

log = logging.getLogger(__name__)

KEPT_ENV, MB_ENV, RUNNING_ENV, MINUTES_ENV = (
    "ASSESS_EXPORT_JOBS_KEPT",
    "ASSESS_EXPORT_JOBS_MB",
    "ASSESS_EXPORT_JOBS_RUNNING",
    "ASSESS_EXPORT_JOB_MINUTES",
)
DEFAULTS = {KEPT_ENV: 20.0, MB_ENV: 256.0, RUNNING_ENV: 2.0, MINUTES_ENV: 30.0}
FAILED_TEXT = "生成失败，请稍后重试（已记录日志）"
QUEUED_TEXT = "排队等候：其他文件正在生成"
STARTING_TEXT = "正在准备"

Key = tuple[Hashable, ...]
File = bytes | str


def setting(name: str) -> float:
    """A positive number from the environment; its default when unset or not a positive number."""
    try:
        value = float(os.environ.get(name, "").strip() or DEFAULTS[name])
    except ValueError:
        return DEFAULTS[name]
    return value if value > 0 else DEFAULTS[name]


class State(StrEnum):
    RUNNING = "进行中"
    DONE = "完成"
    FAILED = "失败"


class Job:
    """One export being built, or built. Its fields are written under its lock by the builder
    thread; `data` is set before `state` turns DONE, so a reader seeing DONE finds the file."""

    def __init__(self, key: Key) -> None:
        self.key = key
        self.state = State.RUNNING
        self.fraction = 0.0
        self.message = STARTING_TEXT
        self.data: File | None = None
        self.error: str | None = None  # Chinese, for the person
        self.finished_at: float | None = None  # time.monotonic()
        self._lock = threading.Lock()
        self._finished = threading.Event()

    @property
    def size(self) -> int:
        data = self.data
        return len(data.encode("utf-8") if isinstance(data, str) else data) if data is not None else 0

    def wait(self, timeout: float | None = None) -> bool:
        """True once the job is done or failed (within `timeout` seconds)."""
        return self._finished.wait(timeout)

    def progress(self, fraction: float, message: str) -> None:
        """The builder's report: the fraction never goes back, and stays within 0…1."""
        with self._lock:
            if self.state is State.RUNNING:
                self.fraction = max(self.fraction, min(max(float(fraction), 0.0), 1.0))
                self.message = message

    def _end(self, data: File | None, error: str | None) -> None:
        with self._lock:
            self.data, self.error = data, error
            if data is not None:
                self.fraction = 1.0
            self.finished_at = time.monotonic()
            self.state = State.DONE if error is None else State.FAILED


_jobs: OrderedDict[Key, Job] = OrderedDict()  # least recently used first
_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None  # jobs building at once (made on first use)


def job_key(what: str, fingerprint: str, account: Hashable, database: str = "") -> Key:
    """The key of a file: what it is (its scheme and period), the fingerprint of the results it
    is made of, the account it is made for, and the database they come from."""
    return (database, what, fingerprint, account)


def start(key: Key, make: Callable[[Progress], File]) -> Job:
    """The job of `key`: the running or finished one, else a new one building `make(progress)`
    on a daemon thread."""
    with _lock:
        _expire()
        found = _jobs.get(key)
        if found is not None and found.state is not State.FAILED:
            _jobs.move_to_end(key)
            return found
        new = _jobs[key] = Job(key)
    threading.Thread(target=_run, args=(new, make), name="export-job", daemon=True).start()
    return new


def job(key: Key) -> Job | None:
    """The job of `key` (running, done or failed), or None: never started, dropped or expired."""
    with _lock:
        _expire()
        found = _jobs.get(key)
        if found is not None:
            _jobs.move_to_end(key)
        return found


def _slots_now() -> threading.BoundedSemaphore:
    global _slots
    with _lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(int(setting(RUNNING_ENV)))
        return _slots


def _run(job: Job, make: Callable[[Progress], File]) -> None:
    data: File | None = None
    error: str | None = FAILED_TEXT  # whatever escapes below leaves the job failed, never running
    slots = _slots_now()
    if not slots.acquire(blocking=False):
        job.progress(0.0, QUEUED_TEXT)
        slots.acquire()
    try:
        job.progress(0.0, STARTING_TEXT)
        data = make(job.progress)
        error = None
    except ServiceError as exc:  # refused or impossible: its message is for the person
        error = str(exc)
    except Exception:
        log.exception("export job %s failed", job.key[1:3])
    finally:
        slots.release()
        job._end(data if error is None else None, error)
        with _lock:
            _evict(keep=job)
        job._finished.set()  # after the eviction: a waiter sees the bounds already applied


def _expire() -> None:
    """Drop finished jobs older than ASSESS_EXPORT_JOB_MINUTES (called under _lock)."""
    oldest = time.monotonic() - setting(MINUTES_ENV) * 60
    for key in [k for k, j in _jobs.items() if j.finished_at is not None and j.finished_at < oldest]:
        del _jobs[key]


def _evict(keep: Job) -> None:
    """Drop the least recently used finished jobs beyond the count and size bounds (under _lock)."""
    kept, budget = int(setting(KEPT_ENV)), setting(MB_ENV) * 1024 * 1024
    finished = [j for j in _jobs.values() if j.finished_at is not None]
    count, size = len(finished), sum(j.size for j in finished)
    for old in finished:
        if count <= kept and size <= budget:
            break
        if old is keep:
            continue
        del _jobs[old.key]
        count, size = count - 1, size - old.size


def clear() -> None:
    """Forget every job and the limit of jobs building at once (tests: a running job finishes
    into the void, and the next job reads ASSESS_EXPORT_JOBS_RUNNING again)."""
    global _slots
    with _lock:
        _jobs.clear()
        _slots = None
