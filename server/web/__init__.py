"""The operations dashboard: server-rendered pages for admin and security staff.

Views are thin: they parse a form, call the same services as the JSON API (which write
the audit log) and render a template.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from shared import format_badge_number

from ..access import csrf_token, csrf_valid, signed_in_user
from ..errors import AdmitError, NotFound
from ..services.event.stats import clock_note
from . import formats, i18n, import_words


def register(app: Flask) -> None:
    from . import admin, auth, data, desk, events, jobs, ops, scan

    for bp in (auth.bp, ops.bp, admin.bp, jobs.bp, data.bp, events.bp, desk.bp):
        # Blueprints are module-level; a second app in one process (tests, tools) must
        # not add their hooks again, which Flask refuses once they were registered.
        if not getattr(bp, "_admit_hooks", False):
            bp.before_request(_check_csrf)
            bp.register_error_handler(AdmitError, _admit_error)
            bp.register_error_handler(429, _too_many)
            bp._admit_hooks = True  # type: ignore[attr-defined]
        app.register_blueprint(bp)
    i18n.init_app(app)
    scan.register(app)  # JSON and a page of its own: no form CSRF hook, no HTML error pages
    app.context_processor(_template_globals)
    formats.init_app(app)  # the `local`, `day` and `number` filters
    app.add_template_filter(import_words.import_message, "import_message")
    app.add_template_filter(import_words.import_field, "import_field")
    app.add_template_filter(format_badge_number, "badge_number")
    app.add_template_filter(clock_note, "clock_note")


def _check_csrf() -> BaseResponse | tuple[str, int] | None:
    if csrf_valid():
        return None
    return render_template(
        "web/error.html", status=400, title="Bad request",
        message="Your session form expired or was not sent from this page. Please try again.",
    ), 400


def _admit_error(exc: AdmitError) -> BaseResponse | tuple[str, int]:
    """A service refused: say why on the page the person came from."""
    if request.method == "GET":
        title = "Not found" if isinstance(exc, NotFound) else "Error"
        return render_template("web/error.html", status=exc.status, title=title,
                               message=exc.message), exc.status
    flash(exc.message, "error")
    return redirect(_same_site(request.referrer) or url_for("ops.overview"))


def _same_site(referrer: str | None) -> str | None:
    # Back to the form the person came from, never to another site.
    if not referrer:
        return None
    parts = urlsplit(referrer)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.path.startswith("/") else None


def _too_many(exc: HTTPException) -> tuple[str, int]:
    return render_template(
        "web/error.html", status=429, title="Too many requests",
        message=i18n.gettext("Too many attempts from this address. Wait a minute and try again."),
    ), 429


def _template_globals() -> dict[str, Any]:
    return {
        "_": i18n.gettext,
        "gettext": i18n.gettext,
        "pgettext": i18n.pgettext,
        "csrf_token": csrf_token,
        "current_user": signed_in_user(),
        "languages": i18n.LANGUAGES,
        "lang": i18n.current_language(),
    }


__all__ = ["register"]
