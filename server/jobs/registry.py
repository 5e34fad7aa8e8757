"""Job functions by name. A module registers its jobs with ``@job("area.name")``; a job
record names its function by that string, so a record outlives code reloads and any
worker process (or the server's own thread) can run it.

Report rendering and retention register here the same way as the bulk badge send:

    @job("reports.render")
    def render_report(ctx: JobContext) -> dict[str, Any] | None:
        ctx.set_total(n); ...; ctx.advance()
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import AdmitError, NotFound

JobFunction = Callable[["JobContext"], "dict[str, Any] | None"]
JOBS: dict[str, JobFunction] = {}
# Modules whose import registers jobs; the runner imports them before looking a name up.
JOB_MODULES = ("server.jobs.badges",)


class JobFailed(AdmitError):
    """A job ends as failed (retryable) with this message and a partial result."""

    status = 500
    code = "job_failed"

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=result)
        self.result = result


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    def register(fn: JobFunction) -> JobFunction:
        JOBS[name] = fn
        return fn

    return register


def known_kinds() -> list[str]:
    for module in JOB_MODULES:
        importlib.import_module(module)
    return sorted(JOBS)


def lookup(name: str) -> JobFunction:
    known_kinds()
    fn = JOBS.get(name)
    if fn is None:
        raise NotFound(f"no job function {name!r}")
    return fn


@dataclass
class JobContext:
    """What a running job sees: its record id and parameters, and progress reporting
    (written to its record at most once a second, and always at the end)."""

    record_id: int
    params: dict[str, Any]
    report: Callable[[int, int], None]
    total: int = 0
    done: int = 0
    children: list[int] = field(default_factory=list)

    def set_total(self, total: int) -> None:
        self.total = total
        self.report(self.done, self.total)

    def advance(self, step: int = 1) -> None:
        self.done += step
        self.report(self.done, self.total)
