"""Admin CLI: ``flask --app server COMMAND``. Commands call the same services as the API."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from .errors import AdmitError
from .extensions import db
from .models import SyncState
from .services import badges, devices, importer, keys, setup, users
from .services.db import write

ACTOR = "cli"


def _fail(exc: AdmitError) -> None:
    click.secho(f"error: {exc.message}", fg="red", err=True)
    if exc.details:
        import json

        click.echo(json.dumps(exc.details, indent=2, ensure_ascii=False, default=str), err=True)
    sys.exit(1)


def init_db() -> None:
    upgrade(directory=str(Path(__file__).resolve().parent / "migrations"))
    if db.session.get(SyncState, 1) is None:
        write(lambda: db.session.add(SyncState(id=1, version=0)))


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db_cmd() -> None:
        """Create the database or upgrade it to the newest schema."""
        init_db()
        click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")

    @app.cli.command("seed-demo")
    @click.option("--attendees", "count", default=1200, show_default=True)
    def seed_demo_cmd(count: int) -> None:
        """Create the demo convention (idempotent) and print logins and a gate token."""
        from .services import demo

        init_db()
        summary = demo.seed(count)
        for line in summary:
            click.echo(line)

    @app.cli.command("import-attendees")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_cmd(csv_file: Path) -> None:
        """Import attendees from a UTF-8 CSV; any bad row refuses the whole file."""
        try:
            report = write(importer.import_csv, setup.current_event(), csv_file.read_bytes(), ACTOR)
        except AdmitError as exc:
            _fail(exc)
        click.echo(f"imported: {report.created} created, {report.updated} updated")

    @app.cli.command("issue-badges")
    @click.option("--reissue", is_flag=True, help="Also give everyone a new revision.")
    def issue_cmd(reissue: bool) -> None:
        """Issue badges to every attendee without one."""
        event = setup.current_event()
        from .models import Attendee

        people = (
            list(db.session.scalars(select(Attendee).where(
                Attendee.event_id == event.id, Attendee.deleted_at.is_(None))).unique())
            if reissue else badges.attendees_without_badge(event)
        )
        done = write(badges.issue, event, people, ACTOR, reissue=reissue)
        click.echo(f"issued {len(done)} badge(s)")

    @app.cli.command("rotate-key")
    @click.option("--retire-previous", is_flag=True,
                  help="Retire older keys: badges they signed are then denied (unknown_key).")
    def rotate_cmd(retire_previous: bool) -> None:
        """Sign new badges with a fresh key."""
        record = write(keys.rotate, setup.current_event(), ACTOR, retire_previous)
        click.echo(f"signing with key {record.key_id}")

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--password", required=True)
    @click.option("--role", type=click.Choice(["admin", "security"]), required=True)
    def create_user_cmd(email: str, password: str, role: str) -> None:
        """Create (or reset) a dashboard user."""
        try:
            user = write(users.upsert, email, password, role, ACTOR)
        except AdmitError as exc:
            _fail(exc)
        click.echo(f"user {user.email} ({user.role}) ready")

    @app.cli.command("create-token")
    @click.option("--role", type=click.Choice(["admin", "security", "gate"]), required=True)
    @click.option("--gate", default=None, help="Bind a gate device to this gate (id or name).")
    @click.option("--name", default=None)
    def create_token_cmd(role: str, gate: str | None, name: str | None) -> None:
        """Print a new bearer token (a gate device is a token with role gate)."""
        try:
            _, token = write(devices.create, setup.current_event(), name or f"{role} token",
                             role, gate, ACTOR)
        except AdmitError as exc:
            _fail(exc)
        click.echo(token)
