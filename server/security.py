"""What every response carries, and where the client's address and scheme come from.

- Behind ``PROXY_COUNT`` reverse proxies, werkzeug's ProxyFix takes the client address,
  scheme and host from that many ``X-Forwarded-*`` hops (never more: a client could
  forge the rest), so rate limits key on the real address and ``request.is_secure``
  knows the browser spoke HTTPS.
- The session cookie is ``Secure`` whenever the request came over HTTPS (or
  ``SESSION_COOKIE_SECURE=1``), so plain HTTP on loopback and in tests keeps working.
- A Content-Security-Policy without inline script on every response; a view that needs
  more (the browser scanner's WebAssembly) widens it for itself with ``@csp(...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

F = TypeVar("F", bound=Callable[..., Any])

BASE_CSP: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "frame-ancestors": ("'self'",),
    "form-action": ("'self'",),
}
HSTS = "max-age=31536000; includeSubDomains"


def csp(**extra: str) -> Callable[[F], F]:
    """Widen the policy for one view: ``@csp(script_src="'wasm-unsafe-eval'")`` adds the
    source to that directive for this route only (underscores stand for dashes)."""

    def decorate(view: F) -> F:
        additions = dict(getattr(view, "admit_csp", {}))
        for name, sources in extra.items():
            key = name.replace("_", "-")
            additions[key] = (*additions.get(key, ()), *sources.split())
        view.admit_csp = additions  # type: ignore[attr-defined]
        return view

    return decorate


def policy_for(view: Callable[..., Any] | None) -> str:
    directives = dict(BASE_CSP)
    for key, sources in (getattr(view, "admit_csp", None) or {}).items():
        directives[key] = (*directives.get(key, ()), *sources)
    return "; ".join(f"{key} {' '.join(sources)}" for key, sources in directives.items())


class AdaptiveSecureSessionInterface(SecureCookieSessionInterface):
    """``Secure`` follows the request: an HTTPS request never gets a cookie that a later
    plain-HTTP request to the same host could carry in clear."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def standard_headers(policy: str, secure: bool) -> list[tuple[str, str]]:
    """The headers every response carries (this module's hook, and the scan lane's)."""
    headers = [("Content-Security-Policy", policy), ("X-Frame-Options", "SAMEORIGIN"),
               ("X-Content-Type-Options", "nosniff"),
               ("Referrer-Policy", "strict-origin-when-cross-origin")]
    return [*headers, ("Strict-Transport-Security", HSTS)] if secure else headers


def _headers(response: Response) -> Response:
    view = current_app.view_functions.get(request.endpoint or "")
    for name, value in standard_headers(policy_for(view), request.is_secure):
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    hops = int(app.config.get("PROXY_COUNT", 0))
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    app.wsgi_app = DrainBody(app.wsgi_app)  # type: ignore[method-assign]
    app.session_interface = AdaptiveSecureSessionInterface()
    app.after_request(_headers)


# What a request may leave unread and still keep its connection: the server reads it
# after the answer (gunicorn did this itself; Granian closes a connection whose request
# body the app did not read, and a client that sent its next request on it meanwhile
# sees "connection closed without response").
DRAIN_LIMIT = 1024 * 1024


class DrainBody:
    """WSGI middleware: after the app has answered, read whatever of the request body it
    left (an early 401, 403 or 422), up to ``DRAIN_LIMIT``; a bigger body is answered
    with ``Connection: close`` so the client does not reuse the connection."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and (not length.isdigit() or int(length) == 0):
            return self.app(environ, start_response)
        if chunked or int(length) > DRAIN_LIMIT:
            def closing(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                return start_response(status, [*headers, ("Connection", "close")], exc_info)
            return self.app(environ, closing)
        try:
            return self.app(environ, start_response)
        finally:
            _drain(environ["wsgi.input"], int(length))


def _drain(stream: Any, left: int) -> None:
    try:
        while left > 0:
            chunk = stream.read(min(left, 65536))
            if not chunk:
                return
            left -= len(chunk)
    except (OSError, ValueError):
        return  # the client went away: nothing to keep
