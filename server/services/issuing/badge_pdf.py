"""Printable badges: plain data in, PDF bytes out (templates in ``templates/badge/``).

WeasyPrint (HTML/CSS -> PDF) because its Pango/HarfBuzz text stack shapes Arabic (joined,
right to left) and picks CJK fonts through fontconfig. The small helpers are public because
the badge email shows the same facts the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import segno
from babel import Locale
from babel.dates import format_skeleton

from .badge_fit import _LINE_HEIGHT, _MM_TO_PT, fit_text

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"
LANGUAGES = ("en", "zh")
_BABEL_LOCALE = {"en": "en", "zh": "zh_Hans_CN"}
_HTML_LANG = {"en": "en", "zh": "zh-Hans"}
_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
_fonts = threading.local()


@dataclass(frozen=True)
class BadgePrint:
    name: str
    organization: str
    country: str  # ISO 3166 alpha-2; the badge shows the country's name
    access_level: str
    level_colour: str  # "#RRGGBB" of the colour band
    zones: tuple[str, ...]
    days: tuple[dt.date, ...]
    badge_number: str  # short human-readable number printed under the QR code
    qr_text: str  # the signed token, encoded as is
    event_name: str
    language: str = "en"  # labels, country and day names; "en" or "zh"


@dataclass(frozen=True)
class _Box:
    """A fixed rectangle on the badge (mm) and how the text inside it may be sized."""

    left: float
    top: float
    width: float
    height: float
    max_pt: float = 10.0
    min_pt: float = 6.0
    lines: int = 1

    def style(self) -> str:
        return f"left:{self.left}mm;top:{self.top}mm;width:{self.width}mm;height:{self.height}mm"


@dataclass(frozen=True)
class _Layout:
    page_size: str  # CSS @page size
    badge_w_mm: float
    badge_h_mm: float
    per_page: int
    boxes: dict[str, _Box]


# Every element sits in a fixed box so that no name, however long, can push the QR code
# or the colour band off the page; the geometry lives here only, the CSS holds typography.
# The QR box includes the quiet zone: ~0.8 mm a module for version-6 tokens, read from ~40 cm.
_A6_BOXES = {
    "event": _Box(6, 4.5, 93, 9, 12, 7, 2),
    "rule": _Box(6, 14.5, 93, 0),
    "name": _Box(6, 16.5, 93, 27, 34, 9, 3),
    "org": _Box(6, 44, 93, 11, 13, 7, 2),
    "country": _Box(6, 55.5, 93, 5, 10, 6, 1),
    "qr": _Box(31.5, 61.5, 42, 42),
    "number": _Box(6, 103.5, 93, 5, 11, 8, 1),
    "zones": _Box(6, 109.5, 93, 8, 10, 6, 2),
    "days": _Box(6, 117.5, 93, 4.5, 10, 6, 1),
    "band": _Box(0, 124, 105, 24),
    "level": _Box(6, 130, 93, 12, 24, 8, 2),
}
LAYOUTS: dict[str, _Layout] = {
    "a6": _Layout("105mm 148mm", 105, 148, 1, _A6_BOXES),
    "4x3": _Layout("4in 3in", 101.6, 76.2, 1, {
        "event": _Box(5, 2.5, 91.6, 6.5, 10, 6, 2),
        "rule": _Box(5, 9.5, 91.6, 0),
        "name": _Box(5, 11, 53, 19, 24, 7, 3),
        "org": _Box(5, 30.5, 53, 8, 10, 6, 2),
        "country": _Box(5, 39, 53, 4, 8, 5, 1),
        "zones": _Box(5, 43.5, 53, 7, 8, 5, 2),
        "days": _Box(5, 50.5, 53, 7, 8, 5, 2),
        "qr": _Box(59.6, 10.5, 37, 37),
        "number": _Box(59.6, 48, 37, 4.5, 10, 7, 1),
        "band": _Box(0, 58, 101.6, 18.2),
        "level": _Box(5, 61, 91.6, 12, 20, 7, 2),
    }),
    # Four A6 badges tiled on A4, so a guillotine cut along the marks yields the "a6" badge.
    "a4-sheet": _Layout("210mm 297mm", 105, 148, 4, _A6_BOXES),
}

_LABELS: dict[str, dict[str, str]] = {
    "en": {"zones": "Zones", "days": "Days", "number": "No."},
    "zh": {"zones": "区域", "days": "日期", "number": "编号"},
}


def normalise_language(language: str | None) -> str:
    """Map "zh-CN", "zh_Hans", "ZH" ... to "zh"; anything unsupported to "en"."""
    base = (language or "").replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else "en"


@functools.cache
def _locale(language: str) -> Locale:
    return Locale.parse(_BABEL_LOCALE[normalise_language(language)])


def country_name(code: str, language: str = "en") -> str:
    """CLDR's short name for an ISO alpha-2 code; an unknown code is shown as given."""
    key = code.strip().upper()
    return _locale(language).territories.get(key, key) if key else ""


def format_days(days: Sequence[dt.date], language: str = "en") -> list[str]:
    return [format_skeleton("MMMEd", d, locale=_locale(language)) for d in sorted(days)]


def qr_code(text: str) -> segno.QRCode:
    # Level M as the token format assumes; segno may raise it when the version has room.
    return segno.make(text, error="m", micro=False)


def contrast_text(background: str) -> str:
    """Black or white, whichever has the larger WCAG contrast against ``background``."""
    if not _COLOUR_RE.match(background):
        raise ValueError(f"level colour must be #RRGGBB, got {background!r}")

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(background[i : i + 2]) for i in (1, 3, 5))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def text_direction(text: str) -> str:
    """Direction of the first strong character, as HTML's dir=auto would decide."""
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            return "rtl"
        if bidi == "L":
            return "ltr"
    return "ltr"


# --- rendering ---------------------------------------------------------------------------


@functools.cache
def _jinja() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _fitted(text: str, box: _Box, *, upper: bool = False, tracking_em: float = 0.0,
            centre: bool = True) -> dict[str, Any]:
    """Text split into lines at the size that fits ``box``, centred vertically by padding.

    ``upper`` and ``tracking_em`` mirror the box's CSS. Centring is done here rather than
    with CSS flexbox, which costs WeasyPrint over a third more layout time.
    """
    fit = fit_text(text, box.width, box.height, box.max_pt, box.min_pt, box.lines,
                   tracking_em=tracking_em, upper=upper)
    pad = (box.height * _MM_TO_PT - fit.rows * fit.pt * _LINE_HEIGHT) / 2 if centre else 0.0
    style = f"{box.style()};font-size:{fit.pt}pt;padding-top:{max(0.0, round(pad, 2))}pt"
    return {"lines": fit.lines, "dir": text_direction(text), "style": style}


def _badge_view(badge: BadgePrint, layout: _Layout) -> dict[str, Any]:
    lang = normalise_language(badge.language)
    labels = _LABELS[lang]
    boxes = layout.boxes
    qr_uri = qr_code(badge.qr_text).svg_data_uri(border=4, dark="#000000", light="#ffffff")
    level = _fitted(badge.access_level, boxes["level"], upper=True, tracking_em=0.06)
    level["style"] += f";color:{contrast_text(badge.level_colour)}"
    return {
        "lang": _HTML_LANG[lang],
        "labels": labels,
        "event": _fitted(badge.event_name, boxes["event"], tracking_em=0.02),
        "name": _fitted(badge.name, boxes["name"]),
        "org": _fitted(badge.organization, boxes["org"]),
        "country": _fitted(country_name(badge.country, lang), boxes["country"]),
        "zones": _fitted(f"{labels['zones']}  " + " · ".join(badge.zones), boxes["zones"],
                         centre=False),
        "days": _fitted(f"{labels['days']}  " + " · ".join(format_days(badge.days, lang)),
                        boxes["days"], centre=False),
        "number": _fitted(f"{labels['number']} {badge.badge_number}", boxes["number"]),
        "level": level,
        "zones_list": badge.zones,
        "days_list": format_days(badge.days, lang),
        "number_text": badge.badge_number,
        "rule_style": boxes["rule"].style(),
        "band_style": f"{boxes['band'].style()};background:{badge.level_colour}",
        "qr_style": boxes["qr"].style(),
        "qr_uri": qr_uri,
    }


def render_badges_html(badges: Sequence[BadgePrint], *, layout: str = "a6") -> str:
    """The HTML handed to WeasyPrint; public so a browser can preview the same badge."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown badge layout {layout!r}; expected one of {sorted(LAYOUTS)}")
    spec = LAYOUTS[layout]
    views = [_badge_view(b, spec) for b in badges]
    pages = [views[i : i + spec.per_page] for i in range(0, len(views), spec.per_page)]
    return _jinja().get_template("badge/badges.html.j2").render(
        layout=layout, spec=spec, pages=pages
    )


def render_badges_pdf(badges: Sequence[BadgePrint], *, layout: str = "a6") -> bytes:
    """One PDF for all ``badges``: one badge a page, or four per A4 sheet for "a4-sheet"."""
    if not badges:
        raise ValueError("no badges to render")
    html = render_badges_html(badges, layout=layout)
    # Imported here so that composing mail (which only needs the helpers) works on hosts
    # without Pango, and so that importing this module stays cheap for the CLI.
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    # Reusing the font set-up saves ~40% of a one-badge render; Pango's font map is not
    # thread-safe, hence one per thread.
    if getattr(_fonts, "config", None) is None:
        _fonts.config = FontConfiguration()
    doc = weasyprint.HTML(string=html, base_url=str(TEMPLATE_DIR / "badge"))
    return bytes(doc.write_pdf(font_config=_fonts.config))
