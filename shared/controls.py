"""Control characters are refused at the boundary.

Unicode category Cc (C0 controls, DEL, C1 controls) has no business in a code, a name,
a gate or a search: PostgreSQL refuses NUL in text (a 500 and a batch retried forever),
CR/LF break mail headers and logs. Format characters (Cf: zero-width joiner and
non-joiner, which Persian and Arabic names need) are not controls and pass.

One validator for every schema that takes text from outside (``NoControls``), and
``has_controls`` for what arrives outside a schema (query strings).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["CONTROLS", "NoControls", "has_controls", "refuse_controls"]

CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")  # exactly Unicode category Cc


def has_controls(text: str) -> bool:
    return CONTROLS.search(text) is not None


def refuse_controls(text: str) -> str:
    if has_controls(text):
        raise ValueError("control characters (such as NUL, tab or line breaks) are not allowed")
    return text


NoControls = Annotated[str, AfterValidator(refuse_controls)]
