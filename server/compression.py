"""gzip for large JSON answers (the sync feed above all), when the client accepts it.

Small answers (a scan's verdict) go as they are: compressing a few hundred bytes costs
more time than it saves on a LAN. Level 5: at 20,000 badge records a page it keeps most
of level 9's saving (the sealed records are ciphertext and barely compress at any level)
at a fraction of its time.
"""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

MIN_SIZE = 2048
LEVEL = 5


def _accepts_gzip() -> bool:
    return any(part.split(";")[0].strip() == "gzip"
               for part in request.headers.get("Accept-Encoding", "").lower().split(","))


def compress(response: Response) -> Response:
    if (response.direct_passthrough or response.is_streamed or response.status_code != 200
            or response.mimetype != "application/json"
            or "Content-Encoding" in response.headers):
        return response
    response.vary.add("Accept-Encoding")
    data = response.get_data()
    if len(data) < MIN_SIZE or not _accepts_gzip():
        return response
    response.set_data(gzip.compress(data, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def init_app(app: Flask) -> None:
    app.after_request(compress)
