"""CLI for the data-out work: close the day, run the scheduled jobs, erase a person."""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask, current_app

from . import jobs_seam
from .models import utcnow


def _moment(text: str | None) -> dt.datetime:
    if not text:
        return utcnow()
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def register(app: Flask) -> None:
    @app.cli.command("close-day")
    @click.option("--now", default=None, help="ISO time to act at (default: now)")
    def close_day_cmd(now: str | None) -> None:
        """Check out everyone still inside (a logged system exit each)."""
        from .services.entry import dayend
        from .services.event import setup

        count = dayend.close_day(setup.current_event(), _moment(now), actor="cli")
        click.echo(f"checked out {count}")

    @app.cli.command("run-jobs")
    @click.option("--now", default=None, help="ISO time to act at (default: now)")
    def run_jobs_cmd(now: str | None) -> None:
        """Run the scheduled jobs that are due once (the server's worker does this itself)."""
        done = jobs_seam.scheduled_tick(current_app._get_current_object(),  # type: ignore[attr-defined]
                                        _moment(now))
        click.echo(" ".join(f"{k}={v}" for k, v in done.items()))
