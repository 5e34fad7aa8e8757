"""Sign in and out, the language switch, and the root redirect."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from ..access import renew_csrf_token, signed_in_user
from ..services.accounts import login as login_service
from . import i18n

bp = Blueprint("web", __name__)


@bp.get("/")
def root() -> Response:
    return redirect(url_for("ops.overview"))


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login would help phishing.
    if not target or urlsplit(target).netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("ops.overview")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        if signed_in_user() is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("web/login.html", next=request.args.get("next", ""))
    result = login_service.attempt(
        request.form.get("email", ""), request.form.get("password", ""),
        max_failed=current_app.config.get("LOGIN_MAX_FAILED", login_service.MAX_FAILED),
        lock_minutes=current_app.config.get("LOGIN_LOCK_MINUTES", login_service.LOCK_MINUTES),
    )
    if result.user is None:
        if result.locked_until is not None:
            message = i18n.gettext("Too many failed sign-ins. This account is locked until %s.",
                                   result.locked_until.strftime("%H:%M UTC"))
        else:
            message = i18n.gettext("Wrong email or password.")
        return render_template("web/login.html", error=message,
                               email=request.form.get("email", ""),
                               next=request.form.get("next", "")), 401
    lang = session.get("lang")
    session.clear()  # a fresh session at sign-in defeats session fixation
    session["user_id"] = result.user.id
    session["auth_version"] = login_service.auth_version(result.user)
    session["lang"] = lang or result.user.language
    renew_csrf_token()
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Response:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(i18n.gettext("Signed out."), "info")
    return redirect(url_for("web.login"))


@bp.post("/language")
def language() -> Response:
    chosen = request.form.get("lang", "")
    if chosen in i18n.LANGUAGES:
        session["lang"] = chosen
    back = request.form.get("next") or (urlsplit(request.referrer).path if request.referrer else "")
    return redirect(_safe_next(back))
