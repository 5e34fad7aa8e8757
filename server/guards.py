"""Checks every request passes before any view: what arrives outside a schema.

Query strings reach SQL through many views (``?q=``, ``?gate=``, ``?cursor=``, the
dashboard's searches); one check here refuses control characters in all of them
(see shared.controls), instead of one per view that a new view would forget.
"""

from __future__ import annotations

from flask import request

from shared.controls import has_controls

from .errors import ValidationFailed


def refuse_control_characters_in_urls() -> None:
    for name, values in request.args.lists():
        if has_controls(name) or any(has_controls(v) for v in values):
            raise ValidationFailed("control characters are not allowed in the query string",
                                   details=[{"field": name[:60], "message": "control character"}])
