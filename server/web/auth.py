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
from ..ratelimit import limiter
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


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        if signed_in_user() is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("web/login.html", next=request.args.get("next", ""))
    user = login_service.sign_in(
        request.form.get("email", ""), request.form.get("password", ""),
        max_failed=current_app.config.get("LOGIN_MAX_FAILED", login_service.MAX_FAILED),
        lock_minutes=current_app.config.get("LOGIN_LOCK_MINUTES", login_service.LOCK_MINUTES),
    )
    if user is None:
        # Unknown, locked and wrong look the same: the page must not confirm an account.
        return render_template("web/login.html", error=i18n.gettext("Wrong email or password."),
                               email=request.form.get("email", ""),
                               next=request.form.get("next", "")), 401
    lang = session.get("lang")
    session.clear()  # a fresh session at sign-in defeats session fixation
    session["user_id"] = user.id
    session["session_gen"] = user.session_generation or 0
    session["lang"] = lang or user.language
    renew_csrf_token()
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Response:
    user = signed_in_user()
    if user is not None:
        login_service.sign_out(user.id)  # the cookie alone must not keep the session alive
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
