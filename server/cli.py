"""Admin CLI: ``flask --app server COMMAND``. Commands call the same services as the API."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask_migrate import upgrade

from .errors import AdmitError
from .extensions import db
from .services.accounts import devices, users
from .services.event import setup, sync
from .services.issuing import badges, keys
from .services.people import importer

ACTOR = "cli"


def _fail(exc: AdmitError) -> None:
    click.secho(f"error: {exc.message}", fg="red", err=True)
    if exc.details:
        import json

        click.echo(json.dumps(exc.details, indent=2, ensure_ascii=False, default=str), err=True)
    sys.exit(1)


def init_db() -> None:
    upgrade(directory=str(Path(__file__).resolve().parent / "migrations"))
    sync.ensure_state()
    keys.encrypt_raw_keys()  # keys an older version stored raw


def _clean_errors(fn: Callable[..., None]) -> Callable[..., None]:
    """A refused operation prints its reason and exits 1, not a traceback."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except AdmitError as exc:
            _fail(exc)

    return run


def register(app: Flask) -> None:
    from .jobs import cli as jobs_cli

    jobs_cli.register(app)

    from . import cli_data

    cli_data.register(app)

    @app.cli.command("init-db")
    @_clean_errors
    def init_db_cmd() -> None:
        """Create the database or upgrade it to the newest schema."""
        init_db()
        click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")

    @app.cli.command("seed-demo")
    @click.option("--attendees", "count", default=1200, show_default=True)
    @_clean_errors
    def seed_demo_cmd(count: int) -> None:
        """Create the demo convention (idempotent) and print logins and a gate token."""
        from .services.event import demo

        init_db()
        summary = demo.seed(count)
        for line in summary:
            click.echo(line)

    @app.cli.command("import-attendees")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @_clean_errors
    def import_cmd(csv_file: Path) -> None:
        """Import attendees from a UTF-8 CSV; any bad row refuses the whole file."""
        try:
            report = importer.import_csv(setup.current_event(), csv_file.read_bytes(), actor=ACTOR)
        except AdmitError as exc:
            _fail(exc)
        click.echo(f"imported: {report.created} created, {report.updated} updated")

    @app.cli.command("issue-badges")
    @click.option("--reissue", is_flag=True, help="Also give everyone a new revision.")
    @_clean_errors
    def issue_cmd(reissue: bool) -> None:
        """Issue badges to every attendee without one."""
        done = badges.issue_all(setup.current_event(), actor=ACTOR, reissue=reissue)
        click.echo(f"issued {done} badge(s)")

    @app.cli.command("send-badges")
    @click.option("--attendee", "attendee_ids", multiple=True, type=int,
                  help="Only these attendees (repeatable).")
    @click.option("--resend", is_flag=True, help="Send again even if already delivered.")
    @click.option("--rate", type=float, default=None, help="Emails per second (MAIL_RATE_PER_S).")
    @click.option("--retries", type=int, default=4, show_default=True)
    @click.option("--backoff", type=float, default=1.0, show_default=True,
                  help="Seconds before the first retry of a temporary failure (doubles).")
    @click.option("--queue", is_flag=True,
                  help="Send as jobs (worker processes with REDIS_URL) and follow progress.")
    @_clean_errors
    def send_badges_cmd(attendee_ids: tuple[int, ...], resend: bool, rate: float | None,
                        retries: int, backoff: float, queue: bool) -> None:
        """Email badges to everyone whose current badge was not yet delivered."""
        from flask import current_app

        from .services.mail import delivery

        if queue:
            from .jobs.cli import queue_send

            queue_send(resend, list(attendee_ids) or None)
            return

        event = setup.current_event()
        ids = delivery.due(event, list(attendee_ids) or None, resend)
        transport = delivery.make_transport()
        rate = rate if rate is not None else float(current_app.config["MAIL_RATE_PER_S"])
        try:
            with click.progressbar(length=len(ids), label="sending badges",
                                   show_pos=True, file=sys.stderr) as bar:
                report = delivery.send_all(event, ids, transport, rate_per_s=rate,
                                           retries=retries, backoff_s=backoff,
                                           on_progress=lambda _id, _state: bar.update(1),
                                           actor=ACTOR)
        finally:
            transport.close()
        click.echo(f"sent {report.sent}, failed {report.failed} (will retry on the next run), "
                   f"rejected {report.rejected}" + (" - interrupted" if report.interrupted else ""))
        if report.interrupted or report.failed:
            sys.exit(2)

    @app.cli.command("print-badges")
    @click.option("--layout", type=click.Choice(["a6", "4x3", "a4-sheet"]), default="a6")
    @click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
    @click.option("--attendee", "attendee_ids", multiple=True, type=int)
    @_clean_errors
    def print_badges_cmd(layout: str, out: Path, attendee_ids: tuple[int, ...]) -> None:
        """Write printable badges (PDF) for everyone with an active badge."""
        from .services.issuing.badge_pdf import render_badges_pdf
        from .services.mail import delivery

        event = setup.current_event()
        from .services.people import attendees as attendee_service

        ids = delivery.due(event, list(attendee_ids) or None, resend=True)
        prints = [delivery.badge_print(event, attendee_service.get(event, i)) for i in ids]
        out.write_bytes(render_badges_pdf(prints, layout=layout))
        click.echo(f"{len(prints)} badge(s) written to {out}")

    @app.cli.command("rotate-key")
    @click.option("--retire-previous", is_flag=True,
                  help="Retire older keys: badges they signed are then denied (unknown_key).")
    @_clean_errors
    def rotate_cmd(retire_previous: bool) -> None:
        """Sign new badges with a fresh key."""
        record = keys.rotate(setup.current_event(), actor=ACTOR, retire_previous=retire_previous)
        click.echo(f"signing with key {record.key_id}")

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--password", required=True)
    @click.option("--role", type=click.Choice(["admin", "security"]), required=True)
    @_clean_errors
    def create_user_cmd(email: str, password: str, role: str) -> None:
        """Create (or reset) a dashboard user."""
        try:
            user = users.upsert(email, password, role, actor=ACTOR)
        except AdmitError as exc:
            _fail(exc)
        click.echo(f"user {user.email} ({user.role}) ready")

    @app.cli.command("set-password")
    @click.option("--email", required=True)
    @click.option("--password", default=None,
                  help="The new password; asked for (hidden, twice) when not given.")
    @_clean_errors
    def set_password_cmd(email: str, password: str | None) -> None:
        """Set a dashboard user's password (their other sessions end)."""
        from .services.accounts import passwords

        if password is None:
            password = click.prompt("new password", hide_input=True, confirmation_prompt=True)
        user = passwords.set_password(email, password, ACTOR)
        click.echo(f"password of {user.email} ({user.role}) set")

    @app.cli.command("create-token")
    @click.option("--role", type=click.Choice(["admin", "security", "gate"]), required=True)
    @click.option("--gate", default=None, help="Bind a gate device to this gate (id or name).")
    @click.option("--name", default=None)
    @_clean_errors
    def create_token_cmd(role: str, gate: str | None, name: str | None) -> None:
        """Print a new bearer token (a gate device is a token with role gate)."""
        try:
            _, token = devices.create(setup.current_event(), name or f"{role} token", role, gate,
                                      actor=ACTOR)
        except AdmitError as exc:
            _fail(exc)
        click.echo(token)
