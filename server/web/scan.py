"""The browser scanner (/scan): the page, its service worker, and a sign-in for staff.

The page is a second client of the gate contract: an enrolled browser talks to the same
JSON API with its device's bearer token (kept in IndexedDB, never in a cookie). Staff
who "check access" sign in here with their dashboard login; the API then accepts their
session cookie (writes need the X-CSRFToken header, see api.auth). Nothing on the page is
inline script, so it runs under ``script-src 'self' 'wasm-unsafe-eval'``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    session,
    url_for,
)
from pydantic import BaseModel, Field

from shared.schemas import CleanStr

from ..access import STAFF, csrf_token, csrf_valid, renew_csrf_token, signed_in_user
from ..errors import Forbidden, Unauthorized, ValidationFailed
from ..ratelimit import limiter
from ..security import csp
from ..services.accounts import login as login_service
from ..services.event import setup, sync
from . import forms, i18n

bp = Blueprint("scan", __name__)
STATIC = Path(__file__).resolve().parents[1] / "static"
SCAN_STATIC = STATIC / "scan"
# The page works on what it cached: the service worker keeps exactly these, and its
# version (a hash of their bytes) changes whenever one of them does.
ASSET_SUFFIXES = (".js", ".css", ".wasm", ".webmanifest", ".svg")


class FeedQuery(BaseModel):
    cursor: CleanStr | None = Field(default=None, max_length=60)
    limit: int = Field(default=sync.DEFAULT_PAGE, ge=1, le=sync.MAX_PAGE)
    format: Literal["1", "2"] = "1"  # a query string: the text of the number


def register(app: Flask) -> None:
    app.register_blueprint(bp)


def _assets() -> tuple[str, list[str]]:
    cached = current_app.extensions.get("admit_scan_assets")
    if cached is None:
        digest = hashlib.sha256()
        urls = []
        for path in sorted(SCAN_STATIC.rglob("*")):
            if path.is_file() and path.suffix in ASSET_SUFFIXES:
                digest.update(path.relative_to(STATIC).as_posix().encode())
                digest.update(path.read_bytes())
                urls.append(url_for("static", filename=path.relative_to(STATIC).as_posix()))
        cached = (digest.hexdigest()[:16], urls)
        current_app.extensions["admit_scan_assets"] = cached
    return cached


@bp.get("/scan")
@csp(script_src="'wasm-unsafe-eval'")  # zxing-wasm decodes where BarcodeDetector is missing
def page() -> Response:
    version, _ = _assets()
    html = render_template("scan/scan.html", version=version, lang=i18n.current_language())
    response = Response(html, mimetype="text/html")
    # The token travels in the fragment (never sent); no referrer leaks the page's URL.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/scan/sw.js")
def service_worker() -> Response:
    version, assets = _assets()
    body = render_template("scan/sw.js", version=version,
                           assets=[url_for("scan.page"), *assets])
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/scan"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _session_out() -> dict[str, Any]:
    user = signed_in_user()
    if user is None:
        return {"user": None, "csrf": None}
    return {"user": {"email": user.email, "role": user.role}, "csrf": csrf_token()}


@bp.get("/scan/session")
def session_get() -> Response:
    return jsonify(_session_out())


def _same_origin() -> None:
    """A JSON sign-in cannot be posted cross-site without CORS, and a browser always sends
    Origin on a POST: refuse one from elsewhere (login CSRF)."""
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
        raise Forbidden("sign in from this server's own page", code="csrf_failed")


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.post("/scan/session")
@limiter.limit(_login_limit)
def session_post() -> Response:
    _same_origin()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("email"), str) \
            or not isinstance(body.get("password"), str):
        raise ValidationFailed("send email and password as JSON")
    user = login_service.sign_in(
        body["email"][:320], body["password"][:1024],
        max_failed=current_app.config.get("LOGIN_MAX_FAILED", login_service.MAX_FAILED),
        lock_minutes=current_app.config.get("LOGIN_LOCK_MINUTES", login_service.LOCK_MINUTES))
    if user is None:
        # Unknown, locked and wrong answer alike (see services.login).
        raise Unauthorized("wrong email or password", code="login_failed")
    if user.role not in STAFF:
        raise Forbidden("only security and admin staff check access", code="forbidden")
    lang = session.get("lang")
    session.clear()  # a fresh session at sign-in defeats session fixation
    session["user_id"] = user.id
    session["session_gen"] = user.session_generation or 0
    session["lang"] = lang or user.language
    renew_csrf_token()
    return jsonify(_session_out())


@bp.post("/scan/session/logout")
def session_logout() -> Response:
    if not csrf_valid(allow_form=False):
        raise Forbidden("missing or wrong CSRF token", code="csrf_failed")
    user = signed_in_user()
    if user is not None:
        login_service.sign_out(user.id)  # ends the session on the server, not just here
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return jsonify(_session_out())


@bp.get("/scan/feed")
def staff_feed() -> Response:
    """The sync feed for signed-in staff, so "check access" decides offline too: public
    keys and sealed records (names open only with the badge's own code)."""
    user = signed_in_user()
    if user is None or user.role not in STAFF:
        raise Unauthorized("sign in as security or admin staff", code="unauthorized")
    query = forms.parse(FeedQuery, request.args.to_dict())
    if query.format == "2":
        body, _more = sync.feed_packed(setup.current_event(), query.cursor, query.limit)
        return Response(body, mimetype="application/json")
    out = sync.feed(setup.current_event(), query.cursor, query.limit)
    return Response(out.model_dump_json(), mimetype="application/json")
