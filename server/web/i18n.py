"""The dashboard's language: Flask-Babel with the gettext catalogues in server/translations.

Strings live in ``server/translations/<lang>/LC_MESSAGES/messages.po`` (compiled to .mo by
``make setup``, see ``compile_catalogues``). The language is the person's choice for the
session (the switch in the page header), not the browser's Accept-Language: staff share
devices at the desk.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, session
from flask_babel import Babel, get_locale
from flask_babel import gettext as _babel_gettext
from flask_babel import pgettext as _babel_pgettext

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

babel = Babel()


def current_language() -> str:
    lang = session.get("lang") if has_request_context() else None
    return lang if lang in LANGUAGES else DEFAULT


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=current_language)


def gettext(text: str, *args: object) -> str:
    """The old helper's signature (positional ``%s`` arguments) over Flask-Babel's gettext,
    so templates and views kept their calls: ``_("Imported: %s created, %s updated.", a, b)``.
    """
    translated = _babel_gettext(text)
    return translated % args if args else translated


def pgettext(context: str, text: str, *args: object) -> str:
    """For words whose translation depends on what they label ("Name" of a person or a zone)."""
    translated = _babel_pgettext(context, text)
    return translated % args if args else translated


def locale_name() -> str:
    """The Babel locale of this request ("en", "zh"), for format_datetime/format_decimal."""
    return str(get_locale() or DEFAULT)


def compile_catalogues(root: Path = TRANSLATIONS) -> list[Path]:
    """Compile every messages.po whose .mo is missing or older (what ``pybabel compile`` does).

    The .mo files are build output (gitignored); tests call this so a bare ``pytest`` works.
    """
    written = []
    for po in sorted(root.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        tmp.replace(mo)  # atomic: parallel test workers never read half a file
        written.append(mo)
    return written
