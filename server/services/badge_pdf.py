"""Printable badges: plain data in, PDF bytes out (templates in ``templates/badge/``).

WeasyPrint (HTML/CSS -> PDF) because its Pango/HarfBuzz text stack shapes Arabic (joined,
right to left) and picks CJK fonts through fontconfig. The small helpers are public because
the badge email shows the same facts the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import subprocess
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

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
LANGUAGES = ("en", "zh")
_BABEL_LOCALE = {"en": "en", "zh": "zh_Hans_CN"}
_HTML_LANG = {"en": "en", "zh": "zh-Hans"}
_MM_TO_PT = 72.0 / 25.4
_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
_fonts = threading.local()
_LINE_HEIGHT = 1.2  # must match line-height in badge.css; the fit below relies on it
_MARK_HEADROOM = 0.3  # em


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


# --- fitting text into fixed boxes -------------------------------------------------------
# WeasyPrint has no "shrink to fit", and a badge page must never spill onto a second page,
# so sizes are chosen here from the advance widths of the fonts the CSS asks for first.

_SPACE_EM = 0.26
_WIDTH_MARGIN = 0.96  # kerning, hinting and estimates that fall short
_ARABIC_JOINING = 0.85  # joined forms run ~0.75-0.8 of the isolated widths measured


def _fc_match(family: str) -> str | None:
    try:
        out = subprocess.run(["fc-match", "-f", "%{family}|%{file}", f"{family}:bold"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families, _, path = out.partition("|")
    # fc-match always answers; only a font of the family asked for has the right widths.
    return path if family in families.split(",") else None


@functools.cache
def _font_advances() -> dict[str, float]:
    """Bold advance widths (em) by character: Noto Sans, then Noto Sans Arabic.

    Bold is measured for every weight: it is never narrower, so regular text still fits.
    """
    from fontTools.ttLib import TTFont  # comes with WeasyPrint

    table: dict[str, float] = {}
    for family, scale in (("Noto Sans Arabic", _ARABIC_JOINING), ("Noto Sans", 1.0)):
        path = _fc_match(family)
        if path is None:
            continue
        with TTFont(path, lazy=True) as font:
            upem, metrics = font["head"].unitsPerEm, font["hmtx"].metrics
            table.update({chr(cp): metrics[glyph][0] / upem * scale
                          for cp, glyph in font.getBestCmap().items()})
    return table


def _advance_em(ch: str) -> float:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0.0
    known = _font_advances().get(ch)
    if known is not None:
        return known
    if ch.isspace():
        return _SPACE_EM
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0  # CJK ideographs and kana are square in every CJK font
    return 1.0 if ch.isupper() else 0.75  # without the fonts: generous guesses


@dataclass(frozen=True)
class _Atom:
    """A unit a line may break after: a word, or a single CJK character."""

    text: str
    em: float
    spaced: bool  # a space separates it from the atom before


def _atoms(text: str, tracking_em: float = 0.0, upper: bool = False) -> list[_Atom]:
    def em(ch: str) -> float:
        # CSS text-transform may turn one letter into two ("ß" -> "SS").
        return sum(_advance_em(c) + tracking_em for c in (ch.upper() if upper else ch))

    atoms: list[_Atom] = []
    for word in text.split():
        spaced, chunk, chunk_em = True, "", 0.0
        for ch in word:
            if unicodedata.east_asian_width(ch) in ("W", "F"):
                if chunk:
                    atoms.append(_Atom(chunk, chunk_em, spaced))
                    spaced, chunk, chunk_em = False, "", 0.0
                atoms.append(_Atom(ch, em(ch), spaced))
                spaced = False
            else:
                chunk, chunk_em = chunk + ch, chunk_em + em(ch)
        if chunk:
            atoms.append(_Atom(chunk, chunk_em, spaced))
    return atoms


def _balanced_split(atoms: Sequence[_Atom], max_lines: int) -> tuple[float, tuple[int, ...]]:
    """(widest line em, cut indices) of the split into <= max_lines whose widest is narrowest.

    Balanced lines read better on a badge than greedy ones ("Jean-Baptiste / Dupont"
    rather than "Jean-Baptiste Dupont de la / Tour"), and make the line count known here.
    """
    n = len(atoms)
    widths, spaces = [0.0], [0]
    for atom in atoms:
        widths.append(widths[-1] + atom.em)
        spaces.append(spaces[-1] + atom.spaced)

    def line_em(i: int, j: int) -> float:
        return widths[j] - widths[i] + _SPACE_EM * (spaces[j] - spaces[i + 1])

    @functools.cache
    def best(start: int, lines: int) -> tuple[float, tuple[int, ...]]:
        result: tuple[float, tuple[int, ...]] = (line_em(start, n), ())
        if lines == 1:
            return result
        for cut in range(start + 1, n):
            head = line_em(start, cut)
            if head >= result[0]:
                break  # the first line only widens from here on
            tail, cuts = best(cut, lines - 1)
            if max(head, tail) < result[0]:
                result = (max(head, tail), (cut, *cuts))
        return result

    return best(0, max_lines)


@dataclass(frozen=True)
class Fit:
    pt: float  # font size
    lines: list[str]  # where the text breaks
    rows: int  # lines the browser will draw: more than len(lines) when even min_pt is too big


def fit_text(text: str, width_mm: float, height_mm: float, max_pt: float, min_pt: float,
             max_lines: int, *, tracking_em: float = 0.0, upper: bool = False) -> Fit:
    """The largest size at which ``text`` fits the box, and its lines at that size.

    ``tracking_em`` (CSS letter-spacing) and ``upper`` (text-transform) mirror the box's CSS.
    """
    width_pt, height_pt = width_mm * _MM_TO_PT * _WIDTH_MARGIN, height_mm * _MM_TO_PT
    atoms = _atoms(text, tracking_em, upper)
    if not atoms:
        return Fit(max_pt, [], 0)
    if len(atoms) > 80:  # a runaway string: smallest size, and let the browser wrap it
        rows = math.ceil(_balanced_split(atoms, 1)[0] * min_pt / width_pt)
        return Fit(min_pt, [text], rows)
    best_pt = 0.0
    best_cuts: tuple[int, ...] = ()
    for lines in range(1, min(max_lines, len(atoms)) + 1):
        widest, cuts = _balanced_split(atoms, lines)
        # Headroom past the line boxes: Arabic dots below, Vietnamese stacked accents.
        by_height = height_pt / ((len(cuts) + 1) * _LINE_HEIGHT + _MARK_HEADROOM)
        size = min(max_pt, width_pt / max(widest, 0.01), by_height)
        if size > best_pt * 1.08:  # another line only if it buys a clearly larger name
            best_pt, best_cuts = size, cuts
    pt = max(min_pt, math.floor(min(best_pt, max_pt) * 10) / 10)
    bounds = (0, *best_cuts, len(atoms))
    parts = [atoms[i:j] for i, j in zip(bounds, bounds[1:], strict=False)]
    # Below min_pt a line may still be too wide; overflow-wrap then breaks it further.
    rows = sum(max(1, math.ceil(_balanced_split(p, 1)[0] * pt / width_pt - 0.01)) for p in parts)
    lines_text = ["".join((" " if a.spaced and i else "") + a.text for i, a in enumerate(p))
                  for p in parts]
    return Fit(pt, lines_text, rows)


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
